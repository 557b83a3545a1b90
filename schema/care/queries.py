"""Care queries: the care calendar and the task list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from domain import care, tasks
from domain.ledger import utcnow
from schema.base import Info, node_pk_or_none
from schema.care.types import CareCalendarEntry, Task, TaskKind, TaskStatus
from schema.errors import BadRequest
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_KEY, Connection, check_page_size, page_of, paginate

_CALENDAR_CURSOR = "care-calendar"


@strawberry.type(description="A page of the care calendar.")
class CareCalendarConnection(relay.Connection[CareCalendarEntry]):
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="How many entries the whole calendar has (one extra query when asked).")
    async def total_count(self) -> int:
        assert self._count is not None
        return await self._count()


def _calendar_cursor(entry: care.CalendarEntry) -> str:
    on, kind_rank, member_id, source_id = entry.key
    return to_base64(_CALENDAR_CURSOR, f"{on.isoformat()}|{kind_rank}|{member_id}|{source_id}")


def _calendar_after(after: str | None) -> tuple[date, int, int, int] | None:
    if after is None:
        return None
    try:
        prefix, value = from_base64(after)
        if prefix != _CALENDAR_CURSOR:
            raise ValueError(prefix)
        on, kind_rank, member_id, source_id = value.split("|")
        key = (date.fromisoformat(on), int(kind_rank), int(member_id), int(source_id))
        if kind_rank not in ("0", "1", "2") or not all(0 <= n <= MAX_KEY for n in key[2:]):
            raise ValueError(value)
        return key
    except ValueError:
        raise BadRequest("The cursor in `after` is not valid; use an `endCursor` from this list") from None


@strawberry.input(description="Narrows the task list; all given conditions must hold.")
class TaskFilter:
    assignee_id: relay.GlobalID | None = None
    status: TaskStatus | None = None
    kind: TaskKind | None = None
    member_id: relay.GlobalID | None = None
    due_before: datetime | None = strawberry.field(
        default=None, description="Due strictly before this time; without an offset: UTC"
    )


@strawberry.type
class CareQuery:
    @strawberry.field(
        description=(
            "Birthdays and important dates of active members in the next `days` days (1 to 366, today "
            "included), soonest first. Account managers see their own members' only; the club manager "
            "sees one account manager's members, or everyone's when `accountManagerId` is null."
        )
    )
    async def care_calendar(
        self,
        info: Info,
        days: int = 14,
        account_manager_id: relay.GlobalID | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> CareCalendarConnection:
        viewer = info.context.viewer
        manager_id = node_pk_or_none(account_manager_id, "Staff", missing=0) if account_manager_id else None
        care.calendar_scope(viewer, account_manager_id=manager_id)  # refusals first, then the input
        first = check_page_size(first)
        after_key = _calendar_after(after)
        today = utcnow().date()
        rows = await care.calendar_page(
            viewer=viewer, days=days, account_manager_id=manager_id, limit=first + 1, after=after_key, today=today
        )
        connection = page_of(
            rows,
            first=first,
            has_previous=after_key is not None,
            node=CareCalendarEntry.from_entry,
            cursor=_calendar_cursor,
            connection=CareCalendarConnection,
        )
        connection._count = lambda: care.calendar_count(
            viewer=viewer, days=days, account_manager_id=manager_id, today=today
        )
        return connection

    @strawberry.field(
        description=(
            "Follow-up tasks by due time; staff who work on tasks. Account managers see the tasks assigned "
            "to them or about their own members."
        )
    )
    async def tasks(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: TaskFilter | None = None
    ) -> Connection[Task]:
        filter = filter or TaskFilter()
        query = tasks.task_query(
            viewer=info.context.viewer,
            assignee_id=node_pk_or_none(filter.assignee_id, "Staff", missing=0) if filter.assignee_id else None,
            status=filter.status,
            kind=filter.kind,
            member_id=node_pk_or_none(filter.member_id, "Member", missing=0) if filter.member_id else None,
            due_before=filter.due_before,
        )
        return await paginate(query, first=first, after=after, node=Task.from_row, sort="due_at")
