"""Customer care: the interaction log, the care calendar of birthdays and important dates, and
the birthday greetings raised as tasks for account managers."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import lifecycle, models, surveys, tasks
from domain.db import fetch_dicts, month_day_sql
from domain.errors import DomainError, PermissionDenied
from domain.ledger import utcnow
from domain.members import member_for_write
from domain.models import ImportantDateKind, InteractionKind, MemberStatus, TaskKind
from domain.policy import OWN_MEMBERS_ONLY, Permission, has_permission, in_scope, require_permission
from domain.validation import as_utc, clean_text
from domain.viewer import Viewer

logger = logging.getLogger("clubgraph.care")

MAX_SUMMARY_LENGTH = 1000
INTERACTION_MAX_AGE = timedelta(days=365)
MIN_CALENDAR_DAYS = 1
MAX_CALENDAR_DAYS = 366


@dataclass(frozen=True, slots=True)
class CareRules:
    birthday_greeting_days_ahead: int = 7  # a greeting task is raised this many days before the birthday
    greeting_due_at: time = time(9)  # on the birthday itself, UTC


RULES = CareRules()


# --- who sees what ------------------------------------------------------------------------------


def may_read_care(viewer: Viewer, *, account_manager_id: int | None) -> bool:
    """Care data of one member (interactions, lifecycle, risk, segment): CARE_READ staff in scope.

    Not the member themself: the grading is the club's internal view of them.
    """
    return has_permission(viewer, Permission.CARE_READ) and in_scope(viewer, account_manager_id=account_manager_id)


# --- interactions -------------------------------------------------------------------------------


async def record_interaction(
    *,
    viewer: Viewer,
    member_id: int,
    kind: InteractionKind,
    summary: str,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> models.Interaction:
    """Log a visit, call, message or gift with a member; a visit grades the member again and sends
    the after-visit survey.

    The interaction and the grading commit together: if the grading fails, nothing is stored and the
    client may simply retry. The survey goes out after the commit, and its failure is logged, not
    returned: the visit is recorded, and `surveys.send_after_visit` can send it later (once per visit).
    """
    require_permission(viewer, Permission.INTERACTION_RECORD)
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.INTERACTION_RECORD, allow_self=False
    )
    now = as_utc(now or utcnow())
    summary = clean_text(summary, field="summary", max_length=MAX_SUMMARY_LENGTH)
    occurred_at = now if occurred_at is None else as_utc(occurred_at)
    if occurred_at > now:
        raise DomainError("INVALID", "The interaction cannot be in the future", field="occurredAt")
    if occurred_at < now - INTERACTION_MAX_AGE:
        raise DomainError("INVALID", "Interactions older than a year cannot be recorded", field="occurredAt")
    async with in_transaction():
        interaction = await models.Interaction.create(
            member_id=member.id, kind=kind, summary=summary, occurred_at=occurred_at, staff_id=viewer.id
        )
        if kind is InteractionKind.VISIT:
            await lifecycle.note_activity(member_id=member.id, at=occurred_at, now=now)
    if kind is InteractionKind.VISIT:
        await _send_after_visit_survey(interaction, now=now)
    return interaction


async def _send_after_visit_survey(interaction: models.Interaction, *, now: datetime) -> None:
    """A survey is a courtesy, not part of the record: its failure must not undo nor fail the visit."""
    try:
        await surveys.send_after_visit(interaction_id=interaction.id, now=now)
    except Exception:
        logger.exception(
            "the after-visit survey for interaction %s was not sent; "
            "surveys.send_after_visit(interaction_id=%s) sends it once",
            interaction.id,
            interaction.id,
        )


def interaction_query(*, member_id: int) -> QuerySet[models.Interaction]:
    """A member's interactions, for `paginate` to order (newest first); the caller checks `may_read_care` first."""
    return models.Interaction.filter(member_id=member_id)


# --- the care calendar --------------------------------------------------------------------------


class CareDateKind(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    CUSTOM = "custom"


_KIND_RANK = {CareDateKind.BIRTHDAY: 0, CareDateKind.ANNIVERSARY: 1, CareDateKind.CUSTOM: 2}
_KIND_OF_RANK = {rank: kind for kind, rank in _KIND_RANK.items()}


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One upcoming date of one member. `source_id` is the member's id for a birthday, else the
    important date's: with the date and kind, it orders and identifies the entry."""

    date: date
    days_away: int
    kind: CareDateKind
    label: str
    member_id: int
    source_id: int
    original: date

    @property
    def years(self) -> int | None:
        """Age, or years since the date; None before its first anniversary."""
        years = self.date.year - self.original.year
        return years if years > 0 else None

    @property
    def key(self) -> tuple[date, int, int, int]:
        return (self.date, _KIND_RANK[self.kind], self.member_id, self.source_id)


def occurrence(original: date, year: int) -> date:
    """The date in `year`; 29 February falls on 28 February in other years."""
    if (original.month, original.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return original.replace(year=year)


def window(today: date, days: int) -> dict[str, int]:
    """{"MMDD": days away} for the `days` days from today (today included), first occurrence first.

    A non-leap 28 February also stands for 29 February.
    """
    offsets: dict[str, int] = {}
    for offset in range(days):
        day = today + timedelta(days=offset)
        offsets.setdefault(day.strftime("%m%d"), offset)
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            offsets.setdefault("0229", offset)
    return offsets


def check_calendar_days(days: int) -> None:
    if not MIN_CALENDAR_DAYS <= days <= MAX_CALENDAR_DAYS:
        raise DomainError(
            "INVALID", f"`days` must be between {MIN_CALENDAR_DAYS} and {MAX_CALENDAR_DAYS}", field="days"
        )


def calendar_scope(viewer: Viewer, *, account_manager_id: int | None) -> int | None:
    """Whose members' dates the viewer asks for: an account manager's own by default and only;
    None is everyone's, for the club manager and the administrator."""
    require_permission(viewer, Permission.CARE_READ)
    if viewer.role in OWN_MEMBERS_ONLY:
        if account_manager_id is not None and account_manager_id != viewer.id:
            raise PermissionDenied("An account manager sees the calendar of their own members only")
        return viewer.id
    return account_manager_id


# Each row's month-day is computed once and looked up in the window (a small in-memory list), and
# only the rows that match look up their distance: joining the window directly made SQLite compute
# the month-day of every member once per day of the window, 20 times slower at 10,000 members.
_CALENDAR = """
WITH care_window(month_day, days_away) AS (VALUES {window}),
entries AS (
  SELECT (SELECT w.days_away FROM care_window w WHERE w.month_day = b.month_day) AS days_away,
         0 AS kind_rank, b.id AS member_id, b.id AS source_id, b.birthday AS original, '' AS label
  FROM (
    SELECT m.id, m.birthday, {birthday_md} AS month_day FROM member m
    WHERE m.status = '{active}' AND m.birthday IS NOT NULL {birthday_scope}
  ) b
  WHERE b.month_day IN (SELECT month_day FROM care_window)
  UNION ALL
  SELECT (SELECT w.days_away FROM care_window w WHERE w.month_day = d.month_day) AS days_away,
         CASE d.kind WHEN '{anniversary}' THEN 1 ELSE 2 END AS kind_rank, d.member_id AS member_id,
         d.id AS source_id, d.date AS original, d.label AS label
  FROM (
    SELECT d.id, d.kind, d.member_id, d.date, d.label, {date_md} AS month_day
    FROM important_date d JOIN member m ON m.id = d.member_id
    WHERE m.status = '{active}' {date_scope}
  ) d
  WHERE d.month_day IN (SELECT month_day FROM care_window)
)
"""


def _calendar_sql(
    today: date, days: int, account_manager_id: int | None, *, birthdays_only: bool = False,
    managed_only: bool = False,
) -> tuple[str, list[object]]:
    """The `entries` CTE of upcoming dates, and its parameters ($1 is the account manager, if any)."""
    # The window is built by us from dates, never from input: safe to write into the statement.
    values = ", ".join(f"('{month_day}', {offset})" for month_day, offset in window(today, days).items())
    params: list[object] = []
    scope = ""
    if account_manager_id is not None:
        params.append(account_manager_id)
        scope = "AND m.account_manager_id = $1"
    elif managed_only:
        scope = "AND m.account_manager_id IS NOT NULL"
    sql = _CALENDAR.format(
        window=values,
        birthday_md=month_day_sql("m.birthday"),
        date_md=month_day_sql("d.date"),
        active=MemberStatus.ACTIVE.value,
        anniversary=ImportantDateKind.ANNIVERSARY.value,
        birthday_scope=scope,
        date_scope=scope + (" AND 1 = 0" if birthdays_only else ""),
    )
    return sql, params


def _entry(row: dict, today: date) -> CalendarEntry:
    original = row["original"] if isinstance(row["original"], date) else date.fromisoformat(str(row["original"]))
    kind = _KIND_OF_RANK[int(row["kind_rank"])]
    on = today + timedelta(days=int(row["days_away"]))
    return CalendarEntry(
        date=on,
        days_away=int(row["days_away"]),
        kind=kind,
        label=row["label"] or "Birthday",
        member_id=int(row["member_id"]),
        source_id=int(row["source_id"]),
        original=original,
    )


async def calendar_page(
    *,
    viewer: Viewer,
    days: int,
    account_manager_id: int | None,
    limit: int,
    after: tuple[date, int, int, int] | None = None,
    today: date | None = None,
) -> list[CalendarEntry]:
    """Up to `limit` upcoming dates after the key `after`, in order of date, kind, member, source.

    Active members only; one statement, whatever the number of members.
    """
    manager_id = calendar_scope(viewer, account_manager_id=account_manager_id)
    check_calendar_days(days)
    today = today or utcnow().date()
    sql, params = _calendar_sql(today, days, manager_id)
    sql += "SELECT * FROM entries"
    if after is not None:
        on, kind_rank, member_id, source_id = after
        n = len(params)
        params += [(on - today).days, kind_rank, member_id, source_id]
        sql += f" WHERE (days_away, kind_rank, member_id, source_id) > (${n + 1}, ${n + 2}, ${n + 3}, ${n + 4})"
    sql += f" ORDER BY days_away, kind_rank, member_id, source_id LIMIT {int(limit)}"
    return [_entry(row, today) for row in await fetch_dicts(sql, params)]


async def calendar_count(
    *, viewer: Viewer, days: int, account_manager_id: int | None, today: date | None = None
) -> int:
    manager_id = calendar_scope(viewer, account_manager_id=account_manager_id)
    check_calendar_days(days)
    sql, params = _calendar_sql(today or utcnow().date(), days, manager_id)
    rows = await fetch_dicts(sql + "SELECT COUNT(*) AS n FROM entries", params)
    return int(rows[0]["n"])


# --- birthday greetings -------------------------------------------------------------------------


async def raise_birthday_greetings(*, today: date | None = None, now: datetime | None = None) -> int:
    """A BIRTHDAY_GREETING task for each active member with an account manager whose birthday is
    within the next N days (N = `birthday_greeting_days_ahead`), once per member and year; due on the
    birthday, assigned to the account manager. Returns how many tasks this run created.

    The whole window, not only day N, so that a day the job did not run is caught up.
    """
    now = now or utcnow()
    today = today or now.date()
    sql, params = _calendar_sql(
        today, RULES.birthday_greeting_days_ahead + 1, None, birthdays_only=True, managed_only=True
    )
    rows = await fetch_dicts(
        sql + "SELECT e.*, m.name, m.account_manager_id FROM entries e JOIN member m ON m.id = e.member_id", params
    )
    raised = 0
    for row in rows:
        entry = _entry(row, today)
        _, created = await tasks.raise_task(
            source_key=f"birthday-greeting:{entry.member_id}:{entry.date.year}",
            kind=TaskKind.BIRTHDAY_GREETING,
            title=f"Birthday greeting: {row['name']}"[:200],
            notes=f"Birthday on {entry.date:%d %B}" + (f", {entry.years} years" if entry.years else ""),
            due_at=datetime.combine(entry.date, RULES.greeting_due_at, tzinfo=timezone.utc),
            member_id=entry.member_id,
            assignee_id=row["account_manager_id"],
            now=now,
        )
        raised += created  # not the tasks another run raised first, even a moment before
    return raised
