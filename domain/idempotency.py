"""Idempotency keys: a retry with the same key gets the first result and moves nothing again."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import models
from domain.errors import DomainError
from domain.viewer import Viewer

MAX_KEY_LENGTH = 200


def _fingerprint(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def scope_of(viewer: Viewer, operation: str) -> str:
    """Keys are the caller's own: two callers choosing the same key never collide."""
    return f"{viewer.kind}:{viewer.id}:{operation}"


async def _replay(scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
    record = await models.IdempotencyRecord.get_or_none(scope=scope, key=key)
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise DomainError(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was already used for a different request; use a new key",
            field="idempotencyKey",
        )
    return record.result


async def run_once(
    *, scope: str, key: str, arguments: dict[str, Any], action: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `action` once per (scope, key); its result is stored in the same transaction as its writes.

    A concurrent request with the same key waits on the same rows, fails on the unique key when it
    commits, rolls back everything it did, and returns the stored result instead. It may also fail
    earlier, because of what the first one did (the points are spent, the purchase is recorded):
    that DomainError gives way to the stored result too, so every retry gets the first answer.
    """
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            "INVALID", f"The idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters", field="idempotencyKey"
        )
    fingerprint = _fingerprint(arguments)
    replayed = await _replay(scope, key, fingerprint)
    if replayed is not None:
        return replayed
    try:
        async with in_transaction():
            result = await action()
            await models.IdempotencyRecord.create(scope=scope, key=key, fingerprint=fingerprint, result=result)
    except (IntegrityError, DomainError):
        replayed = await _replay(scope, key, fingerprint)
        if replayed is None:
            raise
        return replayed
    return result


async def purge_expired(*, retention_days: int, now: datetime | None = None) -> int:
    """Forget keys older than the retention period (at least a day, so that retries always work)."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=max(1, retention_days))
    return await models.IdempotencyRecord.filter(created_at__lt=cutoff).delete()
