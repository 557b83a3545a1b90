"""Benefit quotas, called directly: per month or year, recorded against the current tier, refused beyond quota."""

import asyncio
from datetime import date, datetime, timezone

import pytest

from domain import benefits, models
from domain.benefits import BenefitStatus
from domain.errors import DomainError
from domain.viewer import staff_viewer
from tests.factories import make_benefit, make_member, make_staff, make_tiers

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=timezone.utc)


async def desk():
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    return staff_viewer(staff.id, staff.role)


async def counters(member):
    return await models.BenefitUsage.filter(member_id=member.id).order_by("period_start").values_list(
        "benefit_code", "period_start", "used"
    )


async def uses(member):
    return await models.BenefitUse.filter(member_id=member.id).order_by("id").values_list(
        "benefit_code", "period_start", "quantity", "note", "recorded_by_id", "used_at"
    )


async def test_a_use_is_recorded_and_counted_against_the_years_quota():
    # given: Gold has 4 guest passes a year
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()
    # when
    status = await benefits.use_benefit(
        viewer=viewer,
        member_id=member.id,
        benefit_code="guest_pass",
        quantity=3,
        note=" Two friends and a cousin ",
        now=NOW,
    )
    # then
    assert (status.benefit.code, status.used, status.remaining, status.period_start, status.period_end) == (
        "guest_pass",
        3,
        1,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert await counters(member) == [("guest_pass", date(2026, 1, 1), 3)]
    assert await uses(member) == [("guest_pass", date(2026, 1, 1), 3, "Two friends and a cousin", viewer.id, NOW)]


async def test_a_use_beyond_the_quota_is_refused_and_records_nothing():
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", quantity=3, now=NOW)
    # when
    with pytest.raises(DomainError) as refused:
        await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", quantity=2, now=NOW)
    # then
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "QUOTA_EXCEEDED",
        "quantity",
        "Guest pass: only 1 of 4 left this year",
    )
    assert await counters(member) == [("guest_pass", date(2026, 1, 1), 3)]
    assert len(await uses(member)) == 1


async def test_a_monthly_quota_renews_with_the_month_and_a_yearly_one_with_the_year():
    # given
    tiers = await make_tiers()
    await make_benefit(tiers["Gold"], "chauffeur_service", quota=1, period=models.QuotaPeriod.MONTH)
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()
    march, april = NOW, datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)
    next_year = datetime(2027, 1, 1, tzinfo=timezone.utc)
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="chauffeur_service", now=march)
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", quantity=4, now=march)
    # when
    with pytest.raises(DomainError) as same_month:
        await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="chauffeur_service", now=march)
    in_april = await benefits.use_benefit(
        viewer=viewer, member_id=member.id, benefit_code="chauffeur_service", now=april
    )
    with pytest.raises(DomainError) as same_year:
        await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", now=april)
    in_2027 = await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", now=next_year)
    # then
    assert same_month.value.message == "Chauffeur service: only 0 of 1 left this month"
    assert same_year.value.message == "Guest pass: only 0 of 4 left this year"
    assert (in_april.used, in_april.remaining, in_april.period_start, in_april.period_end) == (
        1,
        0,
        date(2026, 4, 1),
        date(2026, 4, 30),
    )
    assert (in_2027.used, in_2027.remaining, in_2027.period_start) == (1, 3, date(2027, 1, 1))
    assert await counters(member) == [
        ("guest_pass", date(2026, 1, 1), 4),
        ("chauffeur_service", date(2026, 3, 1), 1),
        ("chauffeur_service", date(2026, 4, 1), 1),
        ("guest_pass", date(2027, 1, 1), 1),
    ]


async def test_an_unlimited_benefit_is_always_granted_and_still_counted():
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Silver"])
    viewer = await desk()
    # when
    statuses = [
        await benefits.use_benefit(
            viewer=viewer, member_id=member.id, benefit_code="points_multiplier", quantity=100, now=NOW
        )
        for _ in range(3)
    ]
    # then
    assert [(s.used, s.remaining) for s in statuses] == [(100, None), (200, None), (300, None)]
    assert len(await uses(member)) == 3


async def test_a_benefit_of_another_tier_is_refused():
    # given: guest passes start at Gold
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Silver"])
    # when
    with pytest.raises(DomainError) as refused:
        await benefits.use_benefit(viewer=await desk(), member_id=member.id, benefit_code="guest_pass", now=NOW)
    # then
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "BENEFIT_NOT_IN_TIER",
        "benefitCode",
        "Silver has no benefit 'guest_pass'",
    )
    assert await counters(member) == []
    assert await uses(member) == []


async def test_what_was_used_in_a_lower_tier_counts_in_the_higher_one():
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", quantity=4, now=NOW)
    await models.Member.filter(id=member.id).update(tier_id=tiers["Platinum"].id)
    # when
    status = await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", now=NOW)
    # then: Platinum has 6
    assert (status.used, status.remaining) == (5, 1)


@pytest.mark.parametrize(("quantity", "message"), [(0, "between 1 and 100"), (101, "between 1 and 100")])
async def test_a_quantity_out_of_range_is_refused(quantity, message):
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    # when
    with pytest.raises(DomainError) as refused:
        await benefits.use_benefit(
            viewer=await desk(), member_id=member.id, benefit_code="guest_pass", quantity=quantity, now=NOW
        )
    # then
    assert (refused.value.code, refused.value.field) == ("INVALID", "quantity")
    assert refused.value.message == f"The quantity must be {message}"
    assert await counters(member) == []


async def test_twenty_concurrent_uses_of_a_quota_of_four_record_exactly_four():
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()

    async def use():
        try:
            return await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", now=NOW)
        except DomainError as error:
            return error.code

    # when
    results = await asyncio.gather(*(use() for _ in range(20)))
    # then
    granted = [r for r in results if isinstance(r, BenefitStatus)]
    assert sorted(r.used for r in granted) == [1, 2, 3, 4]
    assert [r for r in results if not isinstance(r, BenefitStatus)] == ["QUOTA_EXCEEDED"] * 16
    assert await counters(member) == [("guest_pass", date(2026, 1, 1), 4)]
    assert len(await uses(member)) == 4


async def test_member_benefits_list_the_tiers_benefits_with_what_is_left_this_period():
    # given
    tiers = await make_tiers()
    await make_benefit(tiers["Gold"], "chauffeur_service", quota=2, period=models.QuotaPeriod.MONTH)
    member = await make_member(tier=tiers["Gold"])
    viewer = await desk()
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="guest_pass", now=NOW)
    await benefits.use_benefit(viewer=viewer, member_id=member.id, benefit_code="chauffeur_service", now=NOW)
    # when
    in_march = await benefits.member_benefits(member_id=member.id, now=NOW)
    in_april = await benefits.member_benefits(member_id=member.id, now=datetime(2026, 4, 2, tzinfo=timezone.utc))
    # then
    def rows(statuses):
        return [(s.benefit.code, s.used, s.remaining, s.period_start, s.period_end) for s in statuses]

    assert rows(in_march) == [
        ("points_multiplier", 0, None, date(2026, 1, 1), date(2026, 12, 31)),
        ("guest_pass", 1, 3, date(2026, 1, 1), date(2026, 12, 31)),
        ("chauffeur_service", 1, 1, date(2026, 3, 1), date(2026, 3, 31)),
    ]
    assert rows(in_april) == [
        ("points_multiplier", 0, None, date(2026, 1, 1), date(2026, 12, 31)),
        ("guest_pass", 1, 3, date(2026, 1, 1), date(2026, 12, 31)),
        ("chauffeur_service", 0, 2, date(2026, 4, 1), date(2026, 4, 30)),
    ]
