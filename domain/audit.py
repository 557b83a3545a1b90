"""The append-only audit log: every write, every read of a sensitive field, every export and sign-in.

Nothing updates or deletes an audit row; `record` only ever inserts, many rows in one statement.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import models
from domain.models import AuditKind
from domain.policy import Permission, require_permission
from domain.viewer import Viewer


@dataclass(frozen=True, slots=True)
class AuditRecord:
    kind: AuditKind
    action: str  # the mutation name, or Type.field for a read, e.g. "Member.phone"
    member_id: int | None = None
    outcome: str = "ok"
    detail: dict[str, Any] | None = field(default=None)


_COLUMNS = ("at", "kind", "actor_kind", "actor_id", "actor_role", "action", "member_id", "outcome", "request_id", "detail")
_ROWS_PER_STATEMENT = 1000  # 10,000 parameters: well within SQLite's and PostgreSQL's limits


async def record(viewer: Viewer, records: Sequence[AuditRecord], *, request_id: str | None) -> None:
    """Append the records as the viewer's, at one time; returns once they are committed.

    Raw SQL with the model fields' own conversions: a page of a hundred members' contacts is two hundred
    rows, which as model objects cost more than the rest of the request. Outside a transaction, the rows
    of concurrent requests share one INSERT and one commit (`_GroupCommit`).
    """
    if not records:
        return
    fields = models.AuditEntry._meta.fields_map
    at = fields["at"].to_db_value(datetime.now(timezone.utc), models.AuditEntry)
    to_json = fields["detail"].to_db_value
    actor = (str(viewer.kind), viewer.id, str(viewer.role) if viewer.role is not None else None)
    rows = [
        (at, item.kind.value, *actor, item.action, item.member_id, item.outcome, request_id,
         None if item.detail is None else to_json(item.detail, models.AuditEntry))
        for item in records
    ]
    connection = models.AuditEntry._choose_db(True)
    if isinstance(connection, TransactionalDBClient):
        await _insert_all(connection, rows)  # inside a transaction: part of it, and gone if it rolls back
        return
    await _group_commit().write(rows)


class _GroupCommit:
    """Rows of concurrent requests written together: each request still waits for the commit holding its own.

    The first writer starts a drain task; rows arriving while it writes go into its next INSERT. On
    SQLite this saves a statement and a synchronous commit per request; the rows are the same.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[list[tuple[Any, ...]], asyncio.Future[None]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        done = asyncio.get_running_loop().create_future()
        self.pending.append((rows, done))
        if self.draining is None or self.draining.done():
            # In a context of its own: never inside the transaction of the request that started it.
            self.draining = asyncio.create_task(self._drain(), context=contextvars.Context())
        await done

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await _insert_all(connections.get("default"), [row for rows, _ in batch for row in rows])
            except Exception as error:  # every writer of the batch learns it: no row, no answer
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = weakref.WeakKeyDictionary()


def _group_commit() -> _GroupCommit:
    loop = asyncio.get_running_loop()
    group = _group_commits.get(loop)
    if group is None:
        group = _group_commits[loop] = _GroupCommit()
    return group


async def _insert_all(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    """One INSERT, or one per thousand rows in a transaction."""
    if len(rows) <= _ROWS_PER_STATEMENT:
        await _insert(connection, rows)
        return
    async with in_transaction() as transaction:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            await _insert(transaction, rows[start : start + _ROWS_PER_STATEMENT])


async def _insert(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    sql = _insert_sql(len(rows), connection.capabilities.dialect)
    await connection.execute_query(sql, [value for row in rows for value in row])


@functools.lru_cache(maxsize=64)
def _insert_sql(count: int, dialect: str) -> str:
    width = len(_COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")" for row in range(count)
    )
    sql = f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES {values}"
    return sql.replace("$", "?") if dialect == "sqlite" else sql


def entry_query(
    *,
    viewer: Viewer,
    member_id: int | None = None,
    actor_kind: str | None = None,
    actor_id: int | None = None,
    kind: AuditKind | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[models.AuditEntry]:
    """The audit rows matching every condition given, for those who may read the log; `until` is exclusive."""
    require_permission(viewer, Permission.AUDIT_READ)
    conditions: dict[str, Any] = {
        "member_id": member_id,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "kind": kind,
        "action": action,
        "at__gte": since,
        "at__lt": until,
    }
    return models.AuditEntry.filter(**{column: value for column, value in conditions.items() if value is not None})
