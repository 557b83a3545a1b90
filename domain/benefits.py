"""Benefit quotas: uses recorded against the member's current tier, refused beyond the quota of the period.

The counter a quota is checked against is kept per benefit code, not per benefit row, so a member
who moves tier mid-period keeps what they already used: four guest passes used in Gold count
against Platinum's six. Periods are calendar months or years in UTC; a benefit without a quota
period counts per year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain import models
from domain.errors import DomainError
from domain.members import member_for_write
from domain.policy import Permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer

MAX_QUANTITY = 100


def period_of(benefit: models.Benefit, now: datetime) -> tuple[date, date]:
    """The first and the last day of the quota period `now` falls in."""
    day = now.astimezone(timezone.utc).date()
    if benefit.quota_period == models.QuotaPeriod.MONTH:
        start = day.replace(day=1)
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    else:
        start = day.replace(month=1, day=1)
        following = start.replace(year=start.year + 1)
    return start, following - timedelta(days=1)


def period_starts(now: datetime) -> tuple[date, date]:
    """The starts of the current month and year: every counter that can be current at `now`."""
    day = now.astimezone(timezone.utc).date()
    return day.replace(day=1), day.replace(month=1, day=1)


@dataclass(frozen=True, slots=True)
class BenefitStatus:
    benefit: models.Benefit
    used: int
    remaining: int | None  # None when unlimited
    period_start: date
    period_end: date  # the last day of the period
    use_id: int | None = None  # the use just recorded, when this status is the answer to one


def _statuses(
    benefits: Iterable[models.Benefit], usage: Iterable[models.BenefitUsage], now: datetime
) -> list[BenefitStatus]:
    """Each benefit with what was used of it in its current period, from the member's counters."""
    used = {(row.benefit_code, row.period_start): row.used for row in usage}
    result = []
    for benefit in benefits:
        start, end = period_of(benefit, now)
        count = used.get((benefit.code, start), 0)
        remaining = None if benefit.quota is None else max(0, benefit.quota - count)
        result.append(BenefitStatus(benefit, count, remaining, start, end))
    return result


async def benefits_of_members(keys: Sequence[tuple[int, int]], *, now: datetime) -> list[list[BenefitStatus]]:
    """For each (member id, tier id), the tier's benefits with the member's use this period: two statements."""
    by_tier: dict[int, list[models.Benefit]] = {}
    for benefit in await models.Benefit.filter(tier_id__in={tier_id for _, tier_id in keys}).order_by("id"):
        by_tier.setdefault(benefit.tier_id, []).append(benefit)
    by_member: dict[int, list[models.BenefitUsage]] = {}
    counters = models.BenefitUsage.filter(member_id__in={m for m, _ in keys}, period_start__in=period_starts(now))
    for row in await counters:
        by_member.setdefault(row.member_id, []).append(row)
    return [_statuses(by_tier.get(tier_id, []), by_member.get(member_id, []), now) for member_id, tier_id in keys]


async def member_benefits(*, member_id: int, now: datetime | None = None) -> list[BenefitStatus]:
    """The benefits of the member's current tier, with what is used and left in the current period."""
    member = await models.Member.get(id=member_id)
    [result] = await benefits_of_members([(member.id, member.tier_id)], now=now or datetime.now(timezone.utc))
    return result


def _quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError("INVALID", f"The quantity must be between 1 and {MAX_QUANTITY}", field="quantity")
    return quantity


def _quota_exceeded(benefit: models.Benefit, used: int) -> DomainError:
    assert benefit.quota is not None
    period = "month" if benefit.quota_period == models.QuotaPeriod.MONTH else "year"
    left = max(0, benefit.quota - used)
    return DomainError(
        "QUOTA_EXCEEDED", f"{benefit.name}: only {left} of {benefit.quota} left this {period}", field="quantity"
    )


async def use_benefit(
    *,
    viewer: Viewer,
    member_id: int,
    benefit_code: str,
    quantity: int = 1,
    note: str = "",
    now: datetime | None = None,
) -> BenefitStatus:
    """Record a use of one of the member's tier benefits; refused, recording nothing, beyond its quota."""
    require_permission(viewer, Permission.BENEFIT_USE)
    now = now or datetime.now(timezone.utc)
    quantity = _quantity(quantity)
    note = clean_text(note, field="note", max_length=500, required=False)
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.BENEFIT_USE, allow_self=False
    )
    return await consume_benefit(
        member=member, benefit_code=benefit_code, quantity=quantity, note=note, recorded_by_id=viewer.id, now=now
    )


async def consume_benefit(
    *,
    member: models.Member,
    benefit_code: str,
    quantity: int,
    note: str,
    recorded_by_id: int | None,
    now: datetime,
) -> BenefitStatus:
    """Count `quantity` uses of a benefit of the member's tier against its quota, checks already made.

    For the club's own actions too (an event registration takes a guest pass per guest): raises
    BENEFIT_NOT_IN_TIER or QUOTA_EXCEEDED, recording nothing. `status.use_id` names the use recorded.
    """
    benefit = await models.Benefit.get_or_none(tier_id=member.tier_id, code=benefit_code)
    if benefit is None:
        tier = await models.Tier.get(id=member.tier_id)
        raise DomainError("BENEFIT_NOT_IN_TIER", f"{tier.name} has no benefit {benefit_code!r}", field="benefitCode")
    start, end = period_of(benefit, now)
    async with in_transaction():
        counter = models.BenefitUsage.filter(member_id=member.id, benefit_code=benefit.code, period_start=start)
        # Insert-if-absent, then a conditional increment: of concurrent uses, only those that fit count.
        await models.BenefitUsage.bulk_create(
            [models.BenefitUsage(member_id=member.id, benefit_code=benefit.code, period_start=start, used=0)],
            ignore_conflicts=True,
        )
        if benefit.quota is None:
            taken = await counter.update(used=F("used") + quantity)
        else:
            taken = await counter.filter(used__lte=benefit.quota - quantity).update(used=F("used") + quantity)
        if taken != 1:
            raise _quota_exceeded(benefit, (await counter.get()).used)
        use = await models.BenefitUse.create(
            member_id=member.id,
            benefit_id=benefit.id,
            benefit_code=benefit.code,
            period_start=start,
            quantity=quantity,
            note=note,
            recorded_by_id=recorded_by_id,
            used_at=now,
        )
        used = (await counter.get()).used
    return BenefitStatus(benefit, used, None if benefit.quota is None else benefit.quota - used, start, end, use.id)


async def return_benefit_use(*, use_id: int) -> None:
    """Give a recorded use back to the quota of the period it was counted in, e.g. when an event is cancelled.

    The use is deleted: the counter is what quotas are checked against, and a use given back never happened.
    """
    async with in_transaction():
        use = await models.BenefitUse.get_or_none(id=use_id)
        if use is None:
            return
        await models.BenefitUsage.filter(
            member_id=use.member_id, benefit_code=use.benefit_code, period_start=use.period_start, used__gte=use.quantity
        ).update(used=F("used") - use.quantity)
        await use.delete()
