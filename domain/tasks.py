"""Follow-up tasks for staff: created by hand, or raised by the club itself once per occasion."""

from __future__ import annotations

from datetime import datetime

from domain import models
from domain.ledger import utcnow
from domain.models import TaskKind


async def raise_task(
    *,
    source_key: str,
    kind: TaskKind,
    title: str,
    due_at: datetime,
    member_id: int | None,
    assignee_id: int | None,
    notes: str = "",
    now: datetime | None = None,
) -> models.Task:
    """The task for `source_key` (e.g. "ticket:12"), created the first time only: safe to call again and concurrently."""
    row = models.Task(
        source_key=source_key,
        kind=kind,
        title=title,
        notes=notes,
        due_at=due_at,
        member_id=member_id,
        assignee_id=assignee_id,
        created_at=now or utcnow(),
    )
    # Insert-if-absent: a conflict does not abort the surrounding transaction, as a failed INSERT would on PostgreSQL.
    await models.Task.bulk_create([row], ignore_conflicts=True)
    return await models.Task.get(source_key=source_key)
