"""The append-only audit log: every write, every read of a sensitive field, every export and sign-in.

Nothing updates or deletes an audit row; `record` only ever inserts, many rows in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.queryset import QuerySet

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


async def record(viewer: Viewer, records: Sequence[AuditRecord], *, request_id: str | None) -> None:
    """Append the records as the viewer's, at one time, in one INSERT."""
    if not records:
        return
    now = datetime.now(timezone.utc)
    await models.AuditEntry.bulk_create(
        [
            models.AuditEntry(
                at=now,
                kind=item.kind,
                actor_kind=str(viewer.kind),
                actor_id=viewer.id,
                actor_role=str(viewer.role) if viewer.role is not None else None,
                action=item.action,
                member_id=item.member_id,
                outcome=item.outcome,
                request_id=request_id,
                detail=item.detail,
            )
            for item in records
        ]
    )


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
