"""The append-only audit log: every write, every read of a sensitive field, every export and sign-in.

Nothing updates or deletes an audit row; `record` only ever inserts, many rows in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

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
    """Append the records as the viewer's, at one time, in one INSERT (one per thousand rows, in one transaction).

    Raw SQL with the model fields' own conversions: a page of a hundred members' contacts is two hundred
    rows, which as model objects cost more than the rest of the request.
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
    chunks = [rows[start : start + _ROWS_PER_STATEMENT] for start in range(0, len(rows), _ROWS_PER_STATEMENT)]
    if len(chunks) == 1:
        await _insert(models.AuditEntry._choose_db(True), chunks[0])
        return
    async with in_transaction() as connection:
        for chunk in chunks:
            await _insert(connection, chunk)


async def _insert(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    width = len(_COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")" for row in range(len(rows))
    )
    sql = f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES {values}"
    if connection.capabilities.dialect == "sqlite":
        sql = sql.replace("$", "?")
    await connection.execute_query(sql, [value for row in rows for value in row])


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
