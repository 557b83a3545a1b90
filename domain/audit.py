"""The append-only audit log: every write, every read of a sensitive field, every export and sign-in.

Nothing updates or deletes an audit row; `record` only ever inserts, many rows in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from domain import models
from domain.models import AuditKind
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
