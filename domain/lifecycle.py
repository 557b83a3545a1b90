"""Lifecycle stage, churn risk and RFM segment of members, from their visits and spend.

The formula (pure functions below, the figures from SQL aggregates):

A *visit* is a distinct UTC day with a purchase not wholly refunded, a VISIT interaction, or an
event check-in. Graded as of a day `today` (UTC), from:
- recency: days since the last visit (for a member who never visited: days since joining);
- trend: visits in the last 90 days (today-89 .. today) against the 90 days before;
- visits and net spend (amount - refunded, CHF) in the last 12 months (365 days);
- tenure: days since `joined_on`.

Lifecycle stage, the first that applies:
1. LAPSED: no visit for 180 days or more, or none ever and joined more than 90 days ago;
2. NEW: joined within the last 90 days;
3. DECLINING: at least 2 visits in the previous 90 days and fewer than half as many in the last 90;
4. MATURE: member for 2 years (730 days) or more, with 6 or more visits in 12 months;
5. GROWING otherwise.

Churn risk: HIGH when lapsed, more than 90 days since the last visit, or declining by 60 % or
more (previous 90 days >= 2 visits, last 90 days <= 40 % of them); MEDIUM when more than 45 days
since the last visit, or declining; LOW otherwise.

RFM scores, 1 to 5 each, by fixed thresholds:
- R (days since the last visit): <= 14: 5, <= 30: 4, <= 60: 3, <= 120: 2, else (or never) 1;
- F (visits in 12 months): >= 24: 5, >= 12: 4, >= 6: 3, >= 2: 2, else 1;
- M (net spend in 12 months, CHF): >= 20,000: 5, >= 8,000: 4, >= 3,000: 3, >= 800: 2, else 1.
Segment: CORE when R, F and M are all >= 4; IMPORTANT when M >= 4, or F >= 4 and R >= 3;
AT_RISK when R <= 2 and (F >= 3 or M >= 3); REGULAR otherwise. `rfm_score` is "RFM", e.g. "545".

`recompute_all(now=)` grades every active member in batches of 500 (a job); `note_activity`
grades one member at once after a visit, a purchase, a refund or a check-in. When a grading turns a
member's churn risk to HIGH from something lower, a RETENTION_CALL task is raised for their
account manager, once per member and day. A member's very first grading raises none: the club
did not see their activity drop, it only started looking. When a grading finds a visit after an open
retention call was raised, the call is cancelled: "The member came back on <day>".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from domain import models, tasks
from domain.db import day_sql, fetch_dicts
from domain.ledger import utcnow
from domain.models import ChurnRisk, InteractionKind, LifecycleStage, MemberStatus, Segment, TaskKind, TaskStatus
from domain.validation import as_utc

BATCH_SIZE = 500
TREND_DAYS = 90
YEAR_DAYS = 365
NEW_MEMBER_DAYS = 90
LAPSED_AFTER_DAYS = 180
MATURE_TENURE_DAYS = 730
MATURE_VISITS = 6
HIGH_RISK_AFTER_DAYS = 90
MEDIUM_RISK_AFTER_DAYS = 45
RETENTION_CALL_DUE = timedelta(days=2)

# (threshold, score), best first: recency is at most the threshold, frequency and spend at least.
RECENCY_SCORES = ((14, 5), (30, 4), (60, 3), (120, 2))
FREQUENCY_SCORES = ((24, 5), (12, 4), (6, 3), (2, 2))
MONETARY_SCORES = ((Decimal(20_000), 5), (Decimal(8_000), 4), (Decimal(3_000), 3), (Decimal(800), 2))


@dataclass(frozen=True, slots=True)
class Activity:
    """What a member did, as the grading sees it."""

    joined_on: date
    last_visit: date | None = None
    visits_last_90: int = 0
    visits_previous_90: int = 0
    visits_12_months: int = 0
    spend_12_months: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Grade:
    stage: LifecycleStage
    churn_risk: ChurnRisk
    recency: int
    frequency: int
    monetary: int
    segment: Segment

    @property
    def rfm_score(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


# --- the formula ----------------------------------------------------------------------------


def days_since_visit(activity: Activity, today: date) -> int:
    """Days since the last visit; for a member who never visited, days since they joined."""
    return (today - (activity.last_visit or activity.joined_on)).days


def declining(activity: Activity) -> bool:
    return activity.visits_previous_90 >= 2 and 2 * activity.visits_last_90 < activity.visits_previous_90


def sharply_declining(activity: Activity) -> bool:
    """Down by 60 % or more: the last 90 days have at most 40 % of the visits of the 90 before."""
    return activity.visits_previous_90 >= 2 and 5 * activity.visits_last_90 <= 2 * activity.visits_previous_90


def lifecycle_stage(activity: Activity, today: date) -> LifecycleStage:
    tenure = (today - activity.joined_on).days
    if activity.last_visit is None:
        if tenure > NEW_MEMBER_DAYS:
            return LifecycleStage.LAPSED
    elif (today - activity.last_visit).days >= LAPSED_AFTER_DAYS:
        return LifecycleStage.LAPSED
    if tenure <= NEW_MEMBER_DAYS:
        return LifecycleStage.NEW
    if declining(activity):
        return LifecycleStage.DECLINING
    if tenure >= MATURE_TENURE_DAYS and activity.visits_12_months >= MATURE_VISITS:
        return LifecycleStage.MATURE
    return LifecycleStage.GROWING


def churn_risk(activity: Activity, today: date, stage: LifecycleStage) -> ChurnRisk:
    quiet = days_since_visit(activity, today)
    if stage is LifecycleStage.LAPSED or quiet > HIGH_RISK_AFTER_DAYS or sharply_declining(activity):
        return ChurnRisk.HIGH
    if quiet > MEDIUM_RISK_AFTER_DAYS or declining(activity):
        return ChurnRisk.MEDIUM
    return ChurnRisk.LOW


def recency_score(activity: Activity, today: date) -> int:
    if activity.last_visit is None:
        return 1
    days = (today - activity.last_visit).days
    return next((score for limit, score in RECENCY_SCORES if days <= limit), 1)


def frequency_score(visits: int) -> int:
    return next((score for limit, score in FREQUENCY_SCORES if visits >= limit), 1)


def monetary_score(spend: Decimal) -> int:
    return next((score for limit, score in MONETARY_SCORES if spend >= limit), 1)


def segment_of(recency: int, frequency: int, monetary: int) -> Segment:
    if min(recency, frequency, monetary) >= 4:
        return Segment.CORE
    if monetary >= 4 or (frequency >= 4 and recency >= 3):
        return Segment.IMPORTANT
    if recency <= 2 and (frequency >= 3 or monetary >= 3):
        return Segment.AT_RISK
    return Segment.REGULAR


def grade(activity: Activity, today: date) -> Grade:
    stage = lifecycle_stage(activity, today)
    r = recency_score(activity, today)
    f = frequency_score(activity.visits_12_months)
    m = monetary_score(activity.spend_12_months)
    return Grade(
        stage=stage, churn_risk=churn_risk(activity, today, stage), recency=r, frequency=f, monetary=m,
        segment=segment_of(r, f, m),
    )


# --- the figures, in SQL ----------------------------------------------------------------------

# Every visit: a purchase not wholly refunded, a VISIT interaction, an event check-in. One definition
# for the grading and for the analytics; each source is filtered by the caller's condition.
_VISIT_SOURCES = (
    ("purchase", "created_at", "amount - refunded_amount > 0"),
    ("interaction", "occurred_at", f"kind = '{InteractionKind.VISIT.value}'"),
    ("event_registration", "checked_in_at", "checked_in_at IS NOT NULL"),
)


def visits_sql(condition: str) -> str:
    """SQL for every visit as rows (member_id, at, day), `day` its UTC day as 'YYYY-MM-DD' text.

    `condition` filters each source, `{at}` standing for its time column, e.g. "{at} <= $1": written
    into each branch rather than around the union, so that every table's own indexes serve it.
    """
    return "\nUNION ALL\n".join(
        f"SELECT member_id, {at} AS at, {day_sql(at)} AS day FROM {table}\n"
        f"WHERE {where} AND {condition.replace('{at}', at)}"
        for table, at, where in _VISIT_SOURCES
    )


_VISITS = """
SELECT member_id, MAX(at) AS last_at,
  COUNT(DISTINCT CASE WHEN day > $2 THEN day END) AS last_90,
  COUNT(DISTINCT CASE WHEN day > $3 AND day <= $2 THEN day END) AS previous_90,
  COUNT(DISTINCT CASE WHEN day > $4 THEN day END) AS last_year
FROM ({visits}) visits
GROUP BY member_id
"""
# Whole cents, as in the tier figures: SQLite keeps decimals as text and floats would drift.
_SPEND = """
SELECT member_id, SUM(CAST(ROUND((amount - refunded_amount) * 100) AS BIGINT)) AS cents FROM purchase
WHERE member_id IN ({members}) AND created_at > $1 AND created_at <= $2
GROUP BY member_id
"""


def _as_datetime(value: Any) -> datetime | None:
    """A timestamp from raw SQL: PostgreSQL gives datetimes, SQLite the stored text."""
    if value is None:
        return None
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


async def activities(members: Sequence[models.Member], *, now: datetime) -> dict[int, tuple[Activity, datetime | None]]:
    """Each member's activity as of `now`, and the moment of their last visit: two statements in all."""
    if not members:
        return {}
    today = now.astimezone(timezone.utc).date()
    ids = [member.id for member in members]
    placeholders = ", ".join(f"${5 + i}" for i in range(len(ids)))
    visits = await fetch_dicts(
        _VISITS.format(visits=visits_sql(f"member_id IN ({placeholders}) AND {{at}} <= $1")),
        [
            now,
            (today - timedelta(days=TREND_DAYS)).isoformat(),
            (today - timedelta(days=2 * TREND_DAYS)).isoformat(),
            (today - timedelta(days=YEAR_DAYS)).isoformat(),
            *ids,
        ],
    )
    spend = await fetch_dicts(
        _SPEND.format(members=", ".join(f"${3 + i}" for i in range(len(ids)))),
        [now - timedelta(days=YEAR_DAYS), now, *ids],
    )
    visits_of = {row["member_id"]: row for row in visits}
    cents_of = {row["member_id"]: int(row["cents"] or 0) for row in spend}
    result = {}
    for member in members:
        row = visits_of.get(member.id)
        last_at = _as_datetime(row["last_at"]) if row else None
        activity = Activity(
            joined_on=member.joined_on,
            last_visit=last_at.date() if last_at else None,
            visits_last_90=int(row["last_90"]) if row else 0,
            visits_previous_90=int(row["previous_90"]) if row else 0,
            visits_12_months=int(row["last_year"]) if row else 0,
            spend_12_months=Decimal(cents_of.get(member.id, 0)).scaleb(-2),
        )
        result[member.id] = (activity, last_at)
    return result


# --- grading --------------------------------------------------------------------------------


async def _grade(members: Sequence[models.Member], *, now: datetime) -> int:
    """Grade the members and store what changed; returns how many retention calls were raised."""
    today = now.astimezone(timezone.utc).date()
    figures = await activities(members, now=now)
    last_visits = {member.id: last_at for member in members if (last_at := figures[member.id][1]) is not None}
    await close_retention_calls(last_visits, now=now)
    unchanged: list[int] = []
    raised = 0
    for member in members:
        activity, last_at = figures[member.id]
        new = grade(activity, today)
        values = {
            "lifecycle_stage": new.stage,
            "churn_risk": new.churn_risk,
            "segment": new.segment,
            "rfm_score": new.rfm_score,
            "last_visit_at": last_at,
        }
        if all(getattr(member, name) == value for name, value in values.items()):
            unchanged.append(member.id)
            continue
        # Conditional on the risk read: of two concurrent gradings only one sees the turn to HIGH.
        updated = await models.Member.filter(id=member.id, churn_risk=member.churn_risk).update(
            **values, care_computed_at=now
        )
        turned_high = new.churn_risk is ChurnRisk.HIGH and member.churn_risk is not ChurnRisk.HIGH
        if updated and turned_high and member.care_computed_at is not None and member.status is MemberStatus.ACTIVE:
            _, created = await raise_retention_call(member, today=today, now=now)
            raised += created
    if unchanged:
        await models.Member.filter(id__in=unchanged).update(care_computed_at=now)
    return raised


async def raise_retention_call(member: models.Member, *, today: date, now: datetime) -> tasks.Raised:
    return await tasks.raise_task(
        source_key=f"retention:{member.id}:{today.isoformat()}",
        kind=TaskKind.RETENTION_CALL,
        title=f"Retention call: {member.name}"[:200],
        notes="Their churn risk turned high: their visits have dropped. Call them and find out why.",
        due_at=datetime.combine(today, time(9), tzinfo=timezone.utc) + RETENTION_CALL_DUE,
        member_id=member.id,
        assignee_id=member.account_manager_id,
        now=now,
    )


async def close_retention_calls(last_visits: dict[int, datetime], *, now: datetime) -> int:
    """Cancel the open retention calls of members who visited again after the call was raised.

    `last_visits` maps members to their last visit. A visit, not a lower risk: the call is about
    visits that dropped, and a risk can also fall as old visits leave the 90-day windows. The member
    may still be at HIGH risk: the account manager sees them come back and no call is due. One
    statement to find the calls, then one conditional update per call, so that a call completed
    meanwhile stays DONE. Returns how many were cancelled.
    """
    if not last_visits:
        return 0
    calls = await models.Task.filter(
        kind=TaskKind.RETENTION_CALL, status=TaskStatus.OPEN, member_id__in=list(last_visits)
    ).values("id", "member_id", "created_at")
    cancelled = 0
    for call in calls:
        back = last_visits[call["member_id"]]
        if back > call["created_at"]:
            cancelled += await models.Task.filter(id=call["id"], status=TaskStatus.OPEN).update(
                status=TaskStatus.CANCELLED, outcome=f"The member came back on {back:%Y-%m-%d}", completed_at=now
            )
    return cancelled


async def recompute_all(*, now: datetime | None = None) -> int:
    """Grade every active member, in batches of 500 by id; returns how many were graded.

    Safe to run in several replicas at once: each update is conditional, and a retention call is
    raised once per member and day.
    """
    now = now or utcnow()
    graded, after = 0, 0
    while True:
        batch = await models.Member.filter(status=MemberStatus.ACTIVE, id__gt=after).order_by("id").limit(BATCH_SIZE)
        if not batch:
            return graded
        await _grade(batch, now=now)
        graded += len(batch)
        after = batch[-1].id


async def note_activity(*, member_id: int, at: datetime, now: datetime | None = None) -> None:
    """A visit, a purchase or an attended event at `at`: grade the member again at once.

    Graded as of now, or as of `at` when that is later (tests and imports may record ahead).
    """
    member = await models.Member.get_or_none(id=member_id)
    if member is not None:
        await _grade([member], now=now or max(utcnow(), at))
