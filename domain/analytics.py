"""Staff analytics: club-wide figures, each computed by one or a few SQL aggregates.

Nothing here loads rows to count them in Python: every figure is a COUNT or a SUM in the
database, grouped by period or by event where it is a series, so that the cost of a figure does
not grow with the rows it summarises beyond the database's own scan. Per-period series have a
row for every period of the range, zeros included, so that charts need no gap filling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from domain import surveys
from domain.db import Period, fetch_dicts, period_start_sql
from domain.errors import DomainError
from domain.ledger import utcnow
from domain.lifecycle import visits_sql
from domain.models import EntryKind, MemberStatus, RegistrationStatus
from domain.policy import Permission, require_permission
from domain.validation import as_utc, clean_range
from domain.viewer import Viewer

MAX_EVENTS = 500  # events in one fill-rate answer: a plain list, so it is bounded
VISIT_WINDOW = timedelta(days=90)
JOIN_WINDOW = timedelta(days=30)
EXPIRY_WINDOW = timedelta(days=30)


def authorize(viewer: Viewer) -> None:
    """Analytics are club-wide figures: for the roles that run the club, not for one member's carers."""
    require_permission(viewer, Permission.ANALYTICS_READ)


def period_start(day: date, period: Period) -> date:
    """The first day of the period a day falls in, as `domain.db.period_start_sql` computes it."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_start(start: date, period: Period) -> date:
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    if period is Period.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def period_starts(start: datetime, end: datetime, period: Period) -> list[date]:
    """The first days of every period that overlaps [start, end), in order."""
    starts, current = [], period_start(start.date(), period)
    while datetime.combine(current, time(), timezone.utc) < end:
        starts.append(current)
        current = _next_start(current, period)
    return starts


# --- members ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberCounts:
    total: int
    active: int
    suspended: int
    resigned: int
    visited_last_90_days: int
    joined_last_30_days: int


_MEMBER_COUNTS = """
SELECT COUNT(*) AS total,
  COALESCE(SUM(CASE WHEN status = $3 THEN 1 ELSE 0 END), 0) AS active,
  COALESCE(SUM(CASE WHEN status = $4 THEN 1 ELSE 0 END), 0) AS suspended,
  COALESCE(SUM(CASE WHEN status = $5 THEN 1 ELSE 0 END), 0) AS resigned,
  (SELECT COUNT(DISTINCT v.member_id) FROM ({visits}) v
   JOIN member m ON m.id = v.member_id WHERE m.joined_on <= $1) AS visited,
  COALESCE(SUM(CASE WHEN joined_on > $7 THEN 1 ELSE 0 END), 0) AS joined
FROM member WHERE joined_on <= $1
"""


async def member_counts(*, viewer: Viewer, as_of: datetime | None = None) -> MemberCounts:
    """Members enrolled by `as_of`, by their status today (status changes are not kept), and how many
    of them visited in the 90 days and joined in the 30 days up to `as_of`. One statement.

    Visits are counted from the visits themselves (`lifecycle.visits_sql`: purchases not wholly
    refunded, VISIT interactions, event check-ins), not from `Member.last_visit_at`: that is the last
    visit as of the latest grading, wrong for a past `as_of` and behind until the next grading.
    """
    authorize(viewer)
    as_of = as_utc(as_of or utcnow())
    row = (
        await fetch_dicts(
            _MEMBER_COUNTS.format(visits=visits_sql("{at} > $6 AND {at} <= $2")),
            [
                as_of.date(),
                as_of,
                MemberStatus.ACTIVE.value,
                MemberStatus.SUSPENDED.value,
                MemberStatus.RESIGNED.value,
                as_of - VISIT_WINDOW,
                (as_of - JOIN_WINDOW).date(),
            ],
        )
    )[0]
    return MemberCounts(
        total=row["total"],
        active=row["active"],
        suspended=row["suspended"],
        resigned=row["resigned"],
        visited_last_90_days=row["visited"],
        joined_last_30_days=row["joined"],
    )


# --- tiers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierShare:
    tier_id: int
    members: int
    share: float


# Members grouped first, then joined to the ladder: a join of every member to its tier made SQLite
# build a temporary index on each call (10 ms for 10,000 members, against 3 ms this way).
_TIER_DISTRIBUTION = """
SELECT t.id AS tier_id, COALESCE(c.members, 0) AS members
FROM tier t LEFT JOIN (SELECT tier_id, COUNT(*) AS members FROM member WHERE status = $1 GROUP BY tier_id) c
  ON c.tier_id = t.id
ORDER BY t.rank
"""


async def tier_distribution(*, viewer: Viewer) -> list[TierShare]:
    """Active members per tier, up the ladder, empty tiers included; shares of all active members."""
    authorize(viewer)
    rows = await fetch_dicts(_TIER_DISTRIBUTION, [MemberStatus.ACTIVE.value])
    total = sum(row["members"] for row in rows)
    return [TierShare(row["tier_id"], row["members"], row["members"] / total if total else 0.0) for row in rows]


# --- points -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointsLiability:
    outstanding: int
    owed: int
    members_with_points: int
    expiring_within_30_days: int


_LIABILITY = """
SELECT COALESCE(SUM(points_balance), 0) AS outstanding, COALESCE(SUM(points_debt), 0) AS owed,
  COALESCE(SUM(CASE WHEN points_balance > 0 THEN 1 ELSE 0 END), 0) AS members_with_points,
  (SELECT COALESCE(SUM(remaining), 0) FROM points_lot
   WHERE remaining > 0 AND expires_at > $1 AND expires_at <= $2) AS expiring
FROM member
"""

# Held points left the balance but are still owed until the redemption completes or is released.
_HELD = """
SELECT COALESCE(-SUM(amount), 0) AS held FROM ledger_entry WHERE kind IN ($1, $2)
"""


async def points_liability(*, viewer: Viewer, now: datetime | None = None) -> PointsLiability:
    """The points members could spend today, what they owe from refunds, and what expires within 30 days."""
    authorize(viewer)
    now = as_utc(now or utcnow())
    row = (await fetch_dicts(_LIABILITY, [now, now + EXPIRY_WINDOW]))[0]
    return PointsLiability(
        outstanding=row["outstanding"],
        owed=row["owed"],
        members_with_points=row["members_with_points"],
        expiring_within_30_days=row["expiring"],
    )


async def points_held(*, viewer: Viewer) -> int:
    """Points set aside by holds not yet captured or released: holds minus the releases that ended them."""
    authorize(viewer)
    row = (await fetch_dicts(_HELD, [EntryKind.HOLD.value, EntryKind.RELEASE.value]))[0]
    return int(row["held"])


@dataclass(frozen=True, slots=True)
class PointsFlow:
    period_start: date
    issued: int
    redeemed: int
    expired: int
    adjusted: int
    clawed_back: int


# A capture writes a RELEASE of the hold and a REDEEM: only the REDEEM counts, as redeemed. A REVERSE
# with a positive amount gives a redemption back (ledger.refund); one with a negative amount takes
# back the points of a refunded purchase, or clears points owed from one. Transfers move points
# between members and change neither what was issued nor what is owed in total.
_FLOW = """
SELECT {period} AS period_start,
  COALESCE(SUM(CASE WHEN kind = $3 THEN amount ELSE 0 END), 0) AS issued,
  COALESCE(-SUM(CASE WHEN kind = $4 OR (kind = $5 AND amount > 0) THEN amount ELSE 0 END), 0) AS redeemed,
  COALESCE(-SUM(CASE WHEN kind = $6 THEN amount ELSE 0 END), 0) AS expired,
  COALESCE(SUM(CASE WHEN kind = $7 THEN amount ELSE 0 END), 0) AS adjusted,
  COALESCE(-SUM(CASE WHEN kind = $5 AND amount < 0 THEN amount ELSE 0 END), 0) AS clawed_back
FROM ledger_entry WHERE created_at >= $1 AND created_at < $2
GROUP BY {period}
"""


async def points_flow(*, viewer: Viewer, start: datetime, end: datetime, period: Period) -> list[PointsFlow]:
    """Points issued, redeemed, expired, adjusted and clawed back per period of [start, end): one statement.

    Issued: points earned (purchases, partners, events, surveys, referrals, birthdays, campaigns).
    Redeemed: points spent, less redemptions given back in the period they are given back.
    Adjusted: the net of staff adjustments. Clawed back: points taken back for refunded purchases.
    """
    authorize(viewer)
    start, end = clean_range(start, end)
    column = period_start_sql("created_at", period)
    params = [
        start,
        end,
        EntryKind.EARN.value,
        EntryKind.REDEEM.value,
        EntryKind.REVERSE.value,
        EntryKind.EXPIRE.value,
        EntryKind.ADJUST.value,
    ]
    rows = {row["period_start"]: row for row in await fetch_dicts(_FLOW.format(period=column), params)}
    flows = []
    for first_day in period_starts(start, end, period):
        row = rows.get(first_day.isoformat(), {})
        flows.append(
            PointsFlow(
                period_start=first_day,
                issued=int(row.get("issued", 0)),
                redeemed=int(row.get("redeemed", 0)),
                expired=int(row.get("expired", 0)),
                adjusted=int(row.get("adjusted", 0)),
                clawed_back=int(row.get("clawed_back", 0)),
            )
        )
    return flows


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFillRate:
    event_id: int
    capacity: int
    seats_taken: int
    waitlisted: int
    attended: int
    cancelled: int

    @property
    def fill_rate(self) -> float:
        return self.seats_taken / self.capacity if self.capacity > 0 else 0.0


_FILL_RATES = """
SELECT e.id AS event_id, e.capacity AS capacity,
  COALESCE(SUM(CASE WHEN r.status = $3 THEN 1 + r.guests ELSE 0 END), 0) AS seats_taken,
  COALESCE(SUM(CASE WHEN r.status = $4 THEN 1 ELSE 0 END), 0) AS waitlisted,
  COALESCE(SUM(CASE WHEN r.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS attended,
  COALESCE(SUM(CASE WHEN r.status = $5 THEN 1 ELSE 0 END), 0) AS cancelled
FROM event e LEFT JOIN event_registration r ON r.event_id = e.id
WHERE e.starts_at >= $1 AND e.starts_at < $2
GROUP BY e.id, e.capacity, e.starts_at
ORDER BY e.starts_at, e.id
LIMIT $6
"""


async def event_fill_rates(*, viewer: Viewer, start: datetime, end: datetime) -> list[EventFillRate]:
    """Seats taken against capacity, and registrations waitlisted, checked in and cancelled, for each
    event starting in [start, end), earliest first: one GROUP BY. Cancelled events are included."""
    authorize(viewer)
    start, end = clean_range(start, end)
    params = [
        start,
        end,
        RegistrationStatus.CONFIRMED.value,
        RegistrationStatus.WAITLISTED.value,
        RegistrationStatus.CANCELLED.value,
        MAX_EVENTS + 1,
    ]
    rows = await fetch_dicts(_FILL_RATES, params)
    if len(rows) > MAX_EVENTS:
        raise DomainError("INVALID", f"More than {MAX_EVENTS} events start in this range: narrow it", field="to")
    return [
        EventFillRate(
            event_id=row["event_id"],
            capacity=row["capacity"],
            seats_taken=int(row["seats_taken"]),
            waitlisted=int(row["waitlisted"]),
            attended=int(row["attended"]),
            cancelled=int(row["cancelled"]),
        )
        for row in rows
    ]


# --- NPS --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NpsPoint:
    period_start: date
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # % promoters (9-10) minus % detractors (0-6), one decimal; None without answers


async def nps_trend(*, viewer: Viewer, start: datetime, end: datetime, period: Period) -> list[NpsPoint]:
    """NPS answers per period of [start, end), by when they were submitted: the feedback module's one
    GROUP BY (`surveys.nps_figures`), with the periods without answers filled in."""
    authorize(viewer)
    start, end = clean_range(start, end)
    figures = {
        figure.period_start: figure
        for figure in await surveys.nps_figures(
            grouping=surveys.NpsGrouping.PERIOD, since=start, until=end, period=period
        )
    }
    points = []
    for first_day in period_starts(start, end, period):
        figure = figures.get(first_day)
        points.append(
            NpsPoint(first_day, figure.responses, figure.promoters, figure.passives, figure.detractors, figure.score)
            if figure and figure.responses
            else NpsPoint(first_day, 0, 0, 0, 0, None)
        )
    return points
