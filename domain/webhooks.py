"""Outbound webhooks: the endpoints staff register, and the delivery of the outbox's events to them.

Delivery is at least once. Every server process runs `run_dispatcher`; each pass
1. fans new outbox events out: one delivery per active endpoint subscribed to the event's type, in
   one transaction with a conditional `UPDATE ... SET fanned_out` per event, so that of several
   workers exactly one creates an event's deliveries;
2. tries the deliveries that are due. Each attempt is claimed first: a conditional update of the
   row's `attempts` (its version) that also moves `next_attempt_at` past the attempt's duration (a
   lease). Two workers never make the same attempt; a worker killed mid-attempt leaves the lease to
   run out, and the delivery is tried again. Its result is recorded only by the claim's holder.
A 2xx answer delivers it; anything else (another status, a timeout, a refused connection) is tried
again after an exponential backoff with jitter, and after `max_attempts` the delivery is DEAD until
staff retry it (`retry_delivery`).

Each request is a POST of `{"id", "type", "createdAt", "data"}` with `X-Clubgraph-Event-Id`
(receivers deduplicate on it), `X-Clubgraph-Event-Type`, and the partner protocol's signature
(domain/signatures.py): `X-Clubgraph-Timestamp` and `X-Clubgraph-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>." + raw body>`, keyed with the endpoint's secret.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import models
from domain.errors import DomainError, NotFound
from domain.ledger import utcnow
from domain.models import DeliveryStatus, WebhookEventType
from domain.policy import Permission, require_permission
from domain.signatures import signature_headers
from domain.viewer import Viewer

logger = logging.getLogger("clubgraph.webhooks")

MAX_URL_LENGTH = 500
MAX_ENDPOINTS = 100
BACKOFF_CAP_SECONDS = 3600
FAN_OUT_BATCH = 500
DELIVERY_BATCH = 200
DELIVERY_CONCURRENCY = 10
SECRET_PREFIX = "whsec_"
EVENT_ID_HEADER = "X-Clubgraph-Event-Id"
EVENT_TYPE_HEADER = "X-Clubgraph-Event-Type"


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """How hard the dispatcher tries: api/settings.py fills it from CLUBGRAPH_WEBHOOK_* settings."""

    max_attempts: int = 8
    backoff_seconds: float = 10.0  # the wait after the first failed attempt; doubled after each
    timeout_seconds: float = 5.0  # for one attempt: connecting, sending and the receiver's answer

    @property
    def lease(self) -> timedelta:
        """How long a claimed attempt is its worker's: well past the attempt's own timeout."""
        return timedelta(seconds=2 * self.timeout_seconds + 1)

    def backoff(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts: 10 s, 20 s, 40 s... at most an hour, plus up to 25%
        jitter, so that deliveries that failed together (a receiver's outage) do not all come back at once."""
        wait = min(BACKOFF_CAP_SECONDS, self.backoff_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=wait * random.uniform(1.0, 1.25))


# --- endpoints ---------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a malformed host or port
        parts, valid = None, False
    if parts is None or not valid:
        raise DomainError(
            "INVALID", "Enter the receiver's address as an http(s) URL, e.g. https://hooks.example/clubgraph", field="url"
        )
    if parts.username is not None or parts.password is not None:
        raise DomainError("INVALID", "Put no credentials in the URL: receivers check the signature instead", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise DomainError("TOO_LONG", f"The URL is at most {MAX_URL_LENGTH} characters", field="url")
    return url


def _clean_event_types(event_types: Sequence[WebhookEventType | str]) -> list[str]:
    try:
        chosen = {WebhookEventType(value).value for value in event_types}
    except ValueError:
        raise DomainError("INVALID", "Unknown event type", field="eventTypes") from None
    if not chosen:
        raise DomainError("REQUIRED", "Subscribe to at least one event type", field="eventTypes")
    return sorted(chosen)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def endpoint_query(*, viewer: Viewer) -> QuerySet[models.WebhookEndpoint]:
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    return models.WebhookEndpoint.all()


def delivery_query(
    *, viewer: Viewer, status: DeliveryStatus | None = None, endpoint_id: int | None = None
) -> QuerySet[models.WebhookDelivery]:
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    query = models.WebhookDelivery.all()
    if status is not None:
        query = query.filter(status=status)
    if endpoint_id is not None:
        query = query.filter(endpoint_id=endpoint_id)
    return query


async def create_endpoint(
    *, viewer: Viewer, url: str, event_types: Sequence[WebhookEventType | str], now: datetime | None = None
) -> models.WebhookEndpoint:
    """A new active endpoint, with a new signing secret (on the row: show it this once)."""
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    url = _clean_url(url)
    types = _clean_event_types(event_types)
    if await models.WebhookEndpoint.all().count() >= MAX_ENDPOINTS:
        raise DomainError("TOO_MANY_ENDPOINTS", f"The club has {MAX_ENDPOINTS} endpoints already: delete one first")
    now = now or utcnow()
    return await models.WebhookEndpoint.create(
        url=url, secret=new_secret(), event_types=types, active=True, created_by_id=viewer.id, created_at=now, updated_at=now
    )


async def update_endpoint(*, viewer: Viewer, endpoint_id: int, changes: dict[str, Any]) -> models.WebhookEndpoint:
    """Change the URL, the event types or `active` (an inactive endpoint keeps its deliveries waiting)."""
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    values: dict[str, Any] = {}
    if "url" in changes:
        if changes["url"] is None:
            raise DomainError("REQUIRED", "An endpoint needs a URL", field="url")
        values["url"] = _clean_url(changes["url"])
    if "event_types" in changes:
        values["event_types"] = _clean_event_types(changes["event_types"] or [])
    if "active" in changes:
        if changes["active"] is None:
            raise DomainError("REQUIRED", "Say whether the endpoint is active", field="active")
        values["active"] = bool(changes["active"])
    if not await models.WebhookEndpoint.filter(id=endpoint_id).update(**values, updated_at=utcnow()):
        raise NotFound("WebhookEndpoint", field="endpointId")
    return await models.WebhookEndpoint.get(id=endpoint_id)


async def delete_endpoint(*, viewer: Viewer, endpoint_id: int) -> int:
    """Delete the endpoint and its deliveries, delivered or not; the events stay in the outbox."""
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    async with in_transaction():
        await models.WebhookDelivery.filter(endpoint_id=endpoint_id).delete()
        if not await models.WebhookEndpoint.filter(id=endpoint_id).delete():
            raise NotFound("WebhookEndpoint", field="endpointId")
    return endpoint_id


async def retry_delivery(*, viewer: Viewer, delivery_id: int, now: datetime | None = None) -> models.WebhookDelivery:
    """A dead delivery back to pending, due now, with its attempts counted afresh."""
    require_permission(viewer, Permission.WEBHOOK_MANAGE)
    now = now or utcnow()
    if not await models.WebhookDelivery.filter(id=delivery_id, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now
    ):
        if not await models.WebhookDelivery.filter(id=delivery_id).exists():
            raise NotFound("WebhookDelivery", field="deliveryId")
        raise DomainError("NOT_DEAD", "Only a dead delivery can be retried: this one is delivered or still being tried", field="deliveryId")
    return await models.WebhookDelivery.get(id=delivery_id).select_related("endpoint", "event")


# --- fan-out -----------------------------------------------------------------------------------


async def fan_out(*, now: datetime | None = None, batch: int = FAN_OUT_BATCH) -> int:
    """Create the deliveries of new outbox events; returns the deliveries created.

    One transaction for the batch; each event is taken by a conditional update first, in id order
    (so that concurrent workers queue up rather than deadlock), and a worker that finds it taken
    skips it: each event is fanned out once.
    """
    now = now or utcnow()
    events = await models.OutboxEvent.filter(fanned_out=False).order_by("id").limit(batch)
    if not events:
        return 0
    endpoints = await models.WebhookEndpoint.filter(active=True).order_by("id")
    rows: list[models.WebhookDelivery] = []
    async with in_transaction():
        for event in events:
            if not await models.OutboxEvent.filter(id=event.id, fanned_out=False).update(fanned_out=True):
                continue
            rows += [
                models.WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
                for endpoint in endpoints
                if event.type.value in endpoint.event_types
            ]
        if rows:
            await models.WebhookDelivery.bulk_create(rows)
    return len(rows)


# --- delivery ----------------------------------------------------------------------------------


def body_of(event: models.OutboxEvent) -> bytes:
    return orjson.dumps(
        {"id": event_id(event.id), "type": event.type.value, "createdAt": event.created_at.isoformat(), "data": event.payload}
    )


def event_id(pk: int) -> str:
    return f"evt_{pk}"


def headers_of(endpoint: models.WebhookEndpoint, event: models.OutboxEvent, body: bytes, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "clubgraph-webhooks/1",
        EVENT_ID_HEADER: event_id(event.id),
        EVENT_TYPE_HEADER: event.type.value,
        "X-Clubgraph-Delivery-Attempt": str(attempt),
        **signature_headers(endpoint.secret, body),
    }


async def claim(delivery: models.WebhookDelivery, *, at: datetime, lease: timedelta) -> bool:
    """Take one attempt of the delivery, if it is due and nobody took it since it was read."""
    attempts = delivery.attempts + 1
    claimed = await models.WebhookDelivery.filter(
        id=delivery.id, status=DeliveryStatus.PENDING, attempts=delivery.attempts, next_attempt_at__lte=at
    ).update(attempts=attempts, next_attempt_at=at + lease, last_attempt_at=at)
    if claimed:
        delivery.attempts = attempts
    return bool(claimed)


async def _post(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """The receiver's status code; raises for no answer. The answer's body is not read."""
    async with asyncio.timeout(timeout):
        response = await http.send(http.build_request("POST", url, content=body, headers=headers), stream=True)
        await response.aclose()
    return response.status_code


async def attempt(
    delivery: models.WebhookDelivery,
    endpoint: models.WebhookEndpoint,
    event: models.OutboxEvent,
    *,
    http: httpx.AsyncClient,
    rules: DeliveryRules,
    at: datetime,
) -> str:
    """One claimed attempt: POST, then record what came of it. Returns delivered, retry_later, dead or taken."""
    if not await claim(delivery, at=at, lease=rules.lease):
        return "taken"
    body = body_of(event)
    status: int | None = None
    try:
        status = await _post(http, endpoint.url, body, headers_of(endpoint, event, body, delivery.attempts), rules.timeout_seconds)
        error = None if 200 <= status < 300 else f"answered {status}"
    except TimeoutError:
        error = f"no answer within {rules.timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        error = f"could not be reached ({type(exc).__name__})"
    finished = utcnow()
    mine = models.WebhookDelivery.filter(id=delivery.id, status=DeliveryStatus.PENDING, attempts=delivery.attempts)
    if error is None:
        await mine.update(
            status=DeliveryStatus.DELIVERED, delivered_at=finished, next_attempt_at=None, last_status_code=status, last_error=None
        )
        return "delivered"
    if delivery.attempts >= rules.max_attempts:
        await mine.update(status=DeliveryStatus.DEAD, next_attempt_at=None, last_status_code=status, last_error=error)
        logger.warning(
            "webhook %s of %s to endpoint %s is dead after %s attempts: %s",
            delivery.id, event_id(event.id), endpoint.id, delivery.attempts, error,
        )
        return "dead"
    await mine.update(next_attempt_at=finished + rules.backoff(delivery.attempts), last_status_code=status, last_error=error)
    return "retry_later"


async def deliver_due(
    *,
    http: httpx.AsyncClient,
    rules: DeliveryRules,
    now: datetime | None = None,
    batch: int = DELIVERY_BATCH,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """One pass: fan out new events, then attempt the deliveries that are due. Returns outcome counts.

    Deliveries to inactive endpoints wait until their endpoint is active again.
    """
    started = utcnow()
    now = now or started
    created = await fan_out(now=now)
    due = await (
        models.WebhookDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
        .order_by("next_attempt_at", "id")
        .limit(batch)
    )
    if progress is not None:
        progress(f"{created} deliveries created, {len(due)} due")
    endpoints = {row.id: row for row in await models.WebhookEndpoint.filter(id__in={row.endpoint_id for row in due})}
    events = {row.id: row for row in await models.OutboxEvent.filter(id__in={row.event_id for row in due})}
    gate = asyncio.Semaphore(DELIVERY_CONCURRENCY)

    async def one(delivery: models.WebhookDelivery) -> str:
        async with gate:
            # Claimed at the moment of the claim, not of the pass: a lease must not start in the past.
            at = now + (utcnow() - started)
            try:
                return await attempt(delivery, endpoints[delivery.endpoint_id], events[delivery.event_id], http=http, rules=rules, at=at)
            except Exception:
                logger.exception("webhook %s: the attempt failed; it is tried again once its lease is over", delivery.id)
                return "failed"

    outcomes = Counter(await asyncio.gather(*(one(row) for row in due)))
    if due:
        logger.info("webhooks: %s", dict(outcomes))
    return {"created": created, **outcomes}


async def run_dispatcher(http: httpx.AsyncClient, rules: DeliveryRules, interval_seconds: float) -> None:
    """Deliver now (start-up), then every `interval_seconds`, until cancelled."""
    while True:
        try:
            await deliver_due(http=http, rules=rules)
        except Exception:
            logger.exception("webhook delivery failed; it runs again at the next interval")
        await asyncio.sleep(interval_seconds)


async def backlog() -> int:
    """Deliveries waiting (pending), and events not yet fanned out: what the dispatcher has to do."""
    pending = await models.WebhookDelivery.filter(status=DeliveryStatus.PENDING).count()
    return pending + await models.OutboxEvent.filter(fanned_out=False).count()
