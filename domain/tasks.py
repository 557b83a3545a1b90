"""Follow-up tasks for staff: created by hand, or raised by the club itself once per occasion."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from domain import models
from domain.db import fetch_dicts
from domain.errors import DomainError, NotFound
from domain.ledger import utcnow
from domain.members import member_for_write
from domain.models import TaskKind, TaskStatus
from domain.policy import OWN_MEMBERS_ONLY, ROLE_PERMISSIONS, Permission, has_permission, require_permission
from domain.validation import as_utc, clean_text
from domain.viewer import Viewer


class Raised(NamedTuple):
    """The task raised for an occasion, and whether this call created it (False: it existed already)."""

    task: models.Task
    created: bool


# Insert-if-absent in one statement: `created` comes from the database itself, so two runs at once
# cannot both count the task; a conflict does not abort the surrounding transaction, as a failed
# INSERT would on PostgreSQL. RETURNING gives a row only when the row was inserted.
_RAISE = """
INSERT INTO task (source_key, kind, title, notes, due_at, member_id, assignee_id, status, outcome, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9)
ON CONFLICT (source_key) DO NOTHING
RETURNING id
"""


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
) -> Raised:
    """The task for `source_key` (e.g. "ticket:12"), created the first time only: safe to call again
    and concurrently. `created` tells the one call that created it, for jobs that count what they raised."""
    inserted = await fetch_dicts(
        _RAISE,
        [
            source_key, kind.value, title, notes, as_utc(due_at), member_id, assignee_id, TaskStatus.OPEN.value,
            as_utc(now or utcnow()),
        ],
    )
    return Raised(await models.Task.get(source_key=source_key), created=bool(inserted))


# --- staff's own tasks --------------------------------------------------------------------------

MAX_TITLE_LENGTH = 200
MAX_NOTES_LENGTH = 2000
MAX_OUTCOME_LENGTH = 1000


def may_see_task(viewer: Viewer, task: models.Task, *, member_account_manager_id: int | None) -> bool:
    """TASK_WRITE staff; an account manager only the tasks assigned to them or about their own members."""
    if not has_permission(viewer, Permission.TASK_WRITE):
        return False
    if viewer.role not in OWN_MEMBERS_ONLY:
        return True
    return task.assignee_id == viewer.id or (task.member_id is not None and member_account_manager_id == viewer.id)


def task_query(
    *,
    viewer: Viewer,
    assignee_id: int | None = None,
    status: TaskStatus | None = None,
    kind: TaskKind | None = None,
    member_id: int | None = None,
    due_before: datetime | None = None,
) -> QuerySet[models.Task]:
    """The tasks the viewer may see, filtered; order them by due time, then id."""
    require_permission(viewer, Permission.TASK_WRITE)
    query = models.Task.all()
    if viewer.role in OWN_MEMBERS_ONLY:
        query = query.filter(Q(assignee_id=viewer.id) | Q(member__account_manager_id=viewer.id))
    if assignee_id is not None:
        query = query.filter(assignee_id=assignee_id)
    if status is not None:
        query = query.filter(status=status)
    if kind is not None:
        query = query.filter(kind=kind)
    if member_id is not None:
        query = query.filter(member_id=member_id)
    if due_before is not None:
        query = query.filter(due_at__lt=as_utc(due_before))
    return query


async def _assignee(staff_id: int) -> models.Staff:
    staff = await models.Staff.get_or_none(id=staff_id)
    if staff is None or not staff.is_active:
        raise NotFound("Staff member", field="assigneeId")
    if Permission.TASK_WRITE not in ROLE_PERMISSIONS.get(staff.role, frozenset()):
        raise DomainError("INVALID_ASSIGNEE", "This staff member's role does not work on tasks", field="assigneeId")
    return staff


async def create_task(
    *,
    viewer: Viewer,
    title: str,
    due_at: datetime,
    member_id: int | None = None,
    notes: str = "",
    assignee_id: int | None = None,
    now: datetime | None = None,
) -> models.Task:
    """A FOLLOW_UP task, assigned to the caller unless told otherwise; about a member the caller may write."""
    require_permission(viewer, Permission.TASK_WRITE)
    now = as_utc(now or utcnow())
    if member_id is not None:
        await member_for_write(viewer=viewer, member_id=member_id, permission=Permission.TASK_WRITE, allow_self=False)
    title = clean_text(title, field="title", max_length=MAX_TITLE_LENGTH)
    notes = clean_text(notes, field="notes", max_length=MAX_NOTES_LENGTH, required=False)
    due_at = as_utc(due_at)
    if due_at < now:
        raise DomainError("INVALID", "The due time is in the past", field="dueAt")
    assignee = await _assignee(assignee_id if assignee_id is not None else viewer.id)  # type: ignore[arg-type]
    return await models.Task.create(
        kind=TaskKind.FOLLOW_UP,
        title=title,
        notes=notes,
        due_at=due_at,
        member_id=member_id,
        assignee_id=assignee.id,
        status=TaskStatus.OPEN,
        created_by_id=viewer.id,
        created_at=now,
    )


async def complete_task(
    *, viewer: Viewer, task_id: int, outcome: str = "", now: datetime | None = None
) -> models.Task:
    """Mark an open task done, with what came of it; a task not open is ALREADY_DONE."""
    require_permission(viewer, Permission.TASK_WRITE)
    now = now or utcnow()
    task = await models.Task.get_or_none(id=task_id)
    manager_id = None
    if task is not None and task.member_id is not None:
        manager_id = await models.Member.filter(id=task.member_id).first().values_list("account_manager_id", flat=True)
    if task is None or not may_see_task(viewer, task, member_account_manager_id=manager_id):
        raise NotFound("Task", field="taskId")
    outcome = clean_text(outcome, field="outcome", max_length=MAX_OUTCOME_LENGTH, required=False)
    # Conditional: of two staff completing the same task at once, one wins and the other is told.
    done = await models.Task.filter(id=task_id, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, outcome=outcome, completed_at=now, completed_by_id=viewer.id
    )
    if done != 1:
        raise DomainError("ALREADY_DONE", "This task is no longer open", field="taskId")
    return await models.Task.get(id=task_id)
