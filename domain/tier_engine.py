"""The tier rules as data: qualifying figures over rolling windows, upgrades at once, downgrades at review.

A tier is qualified when any one of its thresholds set is met within its window (`window_months`,
counted back from the moment of evaluation). The lowest tier is everyone's floor; a higher tier
with no threshold is by invitation only: staff set it by hand and the rules never reach it.
The figures, per member and window:
- points: EARN entries from purchases, campaigns, partners, events and referrals, minus the
  REVERSE entries of source refund (points taken back for refunded purchases), each counted on
  the day it was written; birthday, survey, staff and transfer points do not qualify;
- spend: purchase amounts minus what was refunded of them, by purchase date;
- visits: distinct UTC days with a purchase not wholly refunded (events will add to them).
Upgrades happen at once after a qualifying event; downgrades only in `review_tiers`, once the
review date plus the tier's grace days has passed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import models, outbox
from domain.db import fetch_dicts
from domain.models import EntryKind, EntrySource

QUALIFYING_EARN_SOURCES = (
    EntrySource.PURCHASE,
    EntrySource.CAMPAIGN,
    EntrySource.PARTNER,
    EntrySource.EVENT,
    EntrySource.REFERRAL,
)
REVIEW_BATCH_SIZE = 500
_UPGRADE_ATTEMPTS = 3

D = TypeVar("D", date, datetime)


def shift_months(moment: D, months: int) -> D:
    """The same day `months` later (or earlier), on the month's last day when it is shorter."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, calendar.monthrange(year, month + 1)[1]))


def review_date(tier: models.Tier, since: date) -> date:
    """When a tier entered on `since` is next reviewed: one qualification window later."""
    return shift_months(since, tier.window_months)


@dataclass(frozen=True, slots=True)
class Figures:
    """What a member did within one window."""

    points: int = 0
    spend: Decimal = Decimal("0.00")
    visits: int = 0

    def describe(self) -> str:
        points, spend, visits = (say(getattr(self, figure)) for _, figure, say in _METRICS)
        return f"{points}, {spend} and {visits}"


# How a spend figure is said in the reasons above ("1,234.50 spend"): money, which the privacy
# matrix shows only to some roles (domain/privacy.py), so readers without it get the reason without it.
SPEND_FIGURE = re.compile(r"\d[\d,]*\.\d{2} spend")


def without_spend(reason: str) -> str:
    """The reason with its spend figures left out: "1,234.50 spend" becomes "spend"."""
    return SPEND_FIGURE.sub("spend", reason)


def _count(noun: str) -> Callable[[int], str]:
    return lambda n: f"{n:,} {noun}" + ("" if n == 1 else "s")


# (the tier's threshold, the member's figure, how to say an amount of it)
_METRICS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("qualifying_points", "points", _count("point")),
    ("qualifying_spend", "spend", lambda amount: f"{amount:,.2f} spend"),
    ("qualifying_visits", "visits", _count("visit")),
)


def thresholds_met(tier: models.Tier, figures: Figures) -> list[str]:
    """The figures that meet a threshold of the tier, said as in "2,150 points"."""
    return [
        say(getattr(figures, figure))
        for threshold, figure, say in _METRICS
        if getattr(tier, threshold) is not None and getattr(figures, figure) >= getattr(tier, threshold)
    ]


def requirements(tier: models.Tier) -> str:
    """The tier's thresholds, as in "2,000 points or 12 visits"."""
    said = [say(getattr(tier, threshold)) for threshold, _, say in _METRICS if getattr(tier, threshold) is not None]
    return " or ".join(said) or "by invitation only"


def highest_qualified(ladder: Sequence[models.Tier], figures: dict[int, Figures]) -> models.Tier:
    """The highest tier a threshold of which the figures (per window length) meet; the lowest at worst."""
    qualified = [tier for tier in ladder if thresholds_met(tier, figures.get(tier.window_months, Figures()))]
    return max(qualified, key=lambda tier: tier.rank, default=ladder[0])


# One statement per metric for any number of members and windows: a column per window length.
_POINTS = """
SELECT member_id, {columns} FROM ledger_entry
WHERE member_id IN ({members}) AND created_at >= $1 AND created_at <= $2
  AND ((kind = '{earn}' AND source IN ({sources})) OR (kind = '{reverse}' AND source = '{refund}'))
GROUP BY member_id
"""
_SPEND = """
SELECT member_id, {columns} FROM purchase
WHERE member_id IN ({members}) AND created_at >= $1 AND created_at <= $2
GROUP BY member_id
"""
_VISITS = """
SELECT member_id, {columns} FROM purchase
WHERE member_id IN ({members}) AND created_at >= $1 AND created_at <= $2 AND amount - refunded_amount > 0
GROUP BY member_id
"""
# SQLite keeps decimals as text: compare them through arithmetic (as text, "99" > "100"), and sum
# money in whole cents, as floats would drift.
_SPEND_CENTS = "CAST(ROUND((amount - refunded_amount) * 100) AS BIGINT)"
_UTC_DAY = {"sqlite": "date(created_at)", "postgres": "(created_at AT TIME ZONE 'UTC')::date"}


async def _per_window(
    template: str,
    aggregate: Callable[[str], str],
    member_ids: Sequence[int],
    starts: dict[int, datetime],
    now: datetime,
) -> dict[int, dict[int, Any]]:
    """{member id: {window months: aggregate}} from one GROUP BY statement; absent members did nothing."""
    windows = sorted(starts)
    params: list[Any] = [min(starts.values()), now, *(starts[m] for m in windows), *member_ids]
    columns = ", ".join(aggregate(f"created_at >= ${3 + i}") + f" AS w{m}" for i, m in enumerate(windows))
    members = ", ".join(f"${3 + len(windows) + i}" for i in range(len(member_ids)))
    sql = template.format(
        columns=columns,
        members=members,
        earn=EntryKind.EARN.value,
        reverse=EntryKind.REVERSE.value,
        refund=EntrySource.REFUND.value,
        sources=", ".join(f"'{source.value}'" for source in QUALIFYING_EARN_SOURCES),
    )
    rows = await fetch_dicts(sql, params)
    return {row["member_id"]: {m: row[f"w{m}"] for m in windows} for row in rows}


async def qualifying_figures(
    member_ids: Sequence[int], *, now: datetime, window_months: Collection[int]
) -> dict[int, dict[int, Figures]]:
    """Each member's figures for each window length ending at `now`: three statements in all."""
    if not member_ids or not window_months:
        return {}
    now = now.astimezone(timezone.utc)
    starts = {m: shift_months(now, -m) for m in window_months}
    day = _UTC_DAY[connections.get("default").capabilities.dialect]
    points = await _per_window(
        _POINTS, lambda when: f"SUM(CASE WHEN {when} THEN amount ELSE 0 END)", member_ids, starts, now
    )
    cents = await _per_window(
        _SPEND, lambda when: f"SUM(CASE WHEN {when} THEN {_SPEND_CENTS} ELSE 0 END)", member_ids, starts, now
    )
    visits = await _per_window(
        _VISITS, lambda when: f"COUNT(DISTINCT CASE WHEN {when} THEN {day} END)", member_ids, starts, now
    )
    return {
        member_id: {
            m: Figures(
                # A refund can take back points earned before the window: the figure stops at zero.
                points=max(0, int(points.get(member_id, {}).get(m) or 0)),
                spend=Decimal(int(cents.get(member_id, {}).get(m) or 0)).scaleb(-2),
                visits=int(visits.get(member_id, {}).get(m) or 0),
            )
            for m in window_months
        }
        for member_id in member_ids
    }


async def ladder() -> list[models.Tier]:
    return await models.Tier.all().order_by("rank")


async def change_tier(
    *,
    member_id: int,
    from_tier_id: int,
    to_tier: models.Tier,
    source: models.TierChangeSource,
    reason: str,
    today: date,
    changed_by_id: int | None = None,
) -> models.TierChange | None:
    """Move the member and record why; None, changing nothing, when their tier moved meanwhile.

    The UPDATE is conditional on the tier read by the caller, so that of two concurrent changes
    from one tier only the first happens. Every change restarts the review clock, and writes its
    `tier.changed` webhook event in the same transaction.
    """
    async with in_transaction():
        updated = await models.Member.filter(id=member_id, tier_id=from_tier_id).update(
            tier_id=to_tier.id, tier_since=today, tier_review_on=review_date(to_tier, today)
        )
        if updated != 1:
            return None
        change = await models.TierChange.create(
            member_id=member_id,
            from_tier_id=from_tier_id,
            to_tier_id=to_tier.id,
            source=source,
            reason=reason,
            changed_by_id=changed_by_id,
        )
        from_tier = await models.Tier.get(id=from_tier_id)
        payload = outbox.tier_changed(change, from_tier=from_tier.name, to_tier=to_tier.name, changed_at=change.created_at)
        await outbox.enqueue(models.WebhookEventType.TIER_CHANGED, payload, member_id=member_id)
        return change


async def evaluate_upgrade(*, member_id: int, now: datetime) -> models.TierChange | None:
    """Move the member up at once to the highest tier above theirs that they qualify for.

    Never moves anyone down: that is the review's job. Returns the change, or None.
    """
    tiers = await ladder()
    rank = {tier.id: tier.rank for tier in tiers}
    for _ in range(_UPGRADE_ATTEMPTS):
        member = await models.Member.get_or_none(id=member_id)
        if member is None:
            return None
        higher = [tier for tier in tiers if tier.rank > rank[member.tier_id]]
        if not higher:
            return None
        figures = await qualifying_figures([member_id], now=now, window_months={t.window_months for t in higher})
        qualified = [tier for tier in higher if thresholds_met(tier, figures[member_id][tier.window_months])]
        if not qualified:
            return None
        target = qualified[-1]
        met = " and ".join(thresholds_met(target, figures[member_id][target.window_months]))
        change = await change_tier(
            member_id=member_id,
            from_tier_id=member.tier_id,
            to_tier=target,
            source=models.TierChangeSource.QUALIFICATION,
            reason=f"Qualified for {target.name}: {met} in {target.window_months} months",
            today=now.astimezone(timezone.utc).date(),
        )
        if change is not None:
            return change
        # A concurrent evaluation or change moved the member first: judge again from where they are.
    return None


@dataclass(slots=True)
class ReviewSummary:
    dated: int = 0  # members who had no review date yet and were given one
    reviewed: int = 0
    kept: int = 0
    moved_down: int = 0


async def review_tiers(
    *, today: date, progress: Callable[[str], None] | None = None, batch_size: int = REVIEW_BATCH_SIZE
) -> ReviewSummary:
    """The downgrade job: members whose review date plus their tier's grace days has come.

    Those who still qualify for their tier (or a higher one) keep it for another window from the
    review date; the others move down to the highest tier they qualify for, never below the lowest.
    """
    report = progress or (lambda _msg: None)
    summary = ReviewSummary()
    tiers = await ladder()
    if not tiers:
        return summary
    by_id = {tier.id: tier for tier in tiers}
    for tier in tiers:
        # Members enrolled before the tier engine: start their clock rather than judge them unwarned.
        summary.dated += await models.Member.filter(tier_id=tier.id, tier_review_on__isnull=True).update(
            tier_review_on=review_date(tier, today)
        )
    due = Q(
        *(Q(tier_id=tier.id, tier_review_on__lte=today - timedelta(days=tier.grace_days)) for tier in tiers),
        join_type=Q.OR,
    )
    end_of_day = datetime.combine(today, time.max, tzinfo=timezone.utc)
    windows = {tier.window_months for tier in tiers}
    last_id, batch = 0, 0
    while members := await models.Member.filter(due, id__gt=last_id).order_by("id").limit(batch_size):
        batch += 1
        last_id = members[-1].id
        figures = await qualifying_figures([m.id for m in members], now=end_of_day, window_months=windows)
        kept = moved = 0
        for member in members:
            current = by_id[member.tier_id]
            target = highest_qualified(tiers, figures[member.id])
            if target.rank >= current.rank:
                # Conditional on the date read, so that two runs at once extend it only once.
                kept += await models.Member.filter(
                    id=member.id, tier_id=current.id, tier_review_on=member.tier_review_on
                ).update(tier_review_on=review_date(current, member.tier_review_on))
                continue
            in_window = figures[member.id][current.window_months]
            reason = (
                f"Review: {in_window.describe()} in {current.window_months} months do not keep "
                f"{current.name} ({requirements(current)})"
            )
            change = await change_tier(
                member_id=member.id,
                from_tier_id=current.id,
                to_tier=target,
                source=models.TierChangeSource.REVIEW,
                reason=reason,
                today=today,
            )
            moved += change is not None
        summary.reviewed += len(members)
        summary.kept += kept
        summary.moved_down += moved
        report(f"batch {batch}: {len(members)} reviewed, {kept} kept their tier, {moved} moved down")
    return summary


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a member stands: what keeps the current tier and what the next one asks."""

    tier: models.Tier
    tier_since: date | None
    review_on: date | None
    qualifies_for_tier: bool  # the figures in the tier's window qualify for it (or higher) now
    next_tier: models.Tier | None
    window_months: int  # of the figures below: the next tier's window, or the current one's at the top
    figures: Figures


async def progress_of_members(member_ids: Sequence[int], *, now: datetime) -> list[Progress | None]:
    """Each member's progress, in key order (None for a missing member): five statements in all."""
    members = {m.id: m for m in await models.Member.filter(id__in=set(member_ids))}
    tiers = await ladder()
    figures = await qualifying_figures(
        list(members), now=now, window_months={tier.window_months for tier in tiers}
    )
    by_id = {tier.id: tier for tier in tiers}
    result: list[Progress | None] = []
    for member_id in member_ids:
        member = members.get(member_id)
        if member is None:
            result.append(None)
            continue
        current = by_id[member.tier_id]
        next_tier = next((tier for tier in tiers if tier.rank > current.rank), None)
        window = (next_tier or current).window_months
        result.append(
            Progress(
                tier=current,
                tier_since=member.tier_since,
                review_on=member.tier_review_on,
                qualifies_for_tier=highest_qualified(tiers, figures[member_id]).rank >= current.rank,
                next_tier=next_tier,
                window_months=window,
                figures=figures[member_id][window],
            )
        )
    return result
