"""The tier engine, called directly: thresholds over rolling windows, upgrades at once, downgrades at review."""

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest

from domain import models, tier_engine, tiers
from domain.members import create_member, today
from domain.models import EntrySource, TierChangeSource
from domain.viewer import staff_viewer
from tests.factories import (
    make_earning,
    make_member,
    make_points_refund,
    make_spend,
    make_staff,
    make_tiers,
    set_thresholds,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


async def ladder():
    """Silver for everyone; Gold, Platinum and Diamond by points, spend or visits within 12 months."""
    tiers_ = await make_tiers()
    await set_thresholds(tiers_["Gold"], points=2_000, spend="20000", visits=12)
    await set_thresholds(tiers_["Platinum"], points=6_000, spend="60000", visits=30)
    await set_thresholds(tiers_["Diamond"], points=15_000, spend="150000", visits=60, grace_days=60)
    return tiers_


async def history(member):
    return await models.TierChange.filter(member_id=member.id).order_by("id").values_list(
        "from_tier__name", "to_tier__name", "source", "reason"
    )


async def reread(member):
    return await models.Member.get(id=member.id)


async def test_points_over_the_threshold_upgrade_at_once_and_restart_the_review_clock():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 1_500, at=NOW - 200 * DAY)
    await make_earning(member, 650, at=NOW - DAY, source=EntrySource.CAMPAIGN)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert change is not None
    assert await history(member) == [
        ("Silver", "Gold", TierChangeSource.QUALIFICATION, "Qualified for Gold: 2,150 points in 12 months")
    ]
    member = await reread(member)
    assert (member.tier_id, member.tier_since, member.tier_review_on) == (
        tiers_["Gold"].id,
        date(2026, 6, 15),
        date(2027, 6, 15),
    )


async def test_only_qualifying_sources_count_and_refunds_take_points_back():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    for source in (EntrySource.PURCHASE, EntrySource.PARTNER, EntrySource.EVENT, EntrySource.REFERRAL):
        await make_earning(member, 500, at=NOW - 10 * DAY, source=source)
    for source in (EntrySource.BIRTHDAY, EntrySource.SURVEY, EntrySource.STAFF):
        await make_earning(member, 1_000, at=NOW - 10 * DAY, source=source)
    await make_points_refund(member, 1, at=NOW - 5 * DAY)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then: 2,000 qualifying points less the 1 refunded; the 3,000 others do not qualify
    assert change is None
    assert (await reread(member)).tier_id == tiers_["Silver"].id
    assert await history(member) == []
    figures = await tier_engine.qualifying_figures([member.id], now=NOW, window_months=[12])
    assert figures == {member.id: {12: tier_engine.Figures(points=1_999)}}


async def test_spend_counts_what_was_not_refunded():
    # given
    tiers_ = await ladder()
    short, enough = await make_member(tier=tiers_["Silver"]), await make_member(tier=tiers_["Silver"])
    for member, refunded in ((short, "1000.01"), (enough, "1000.00")):
        await make_spend(member, "15000.00", at=NOW - 300 * DAY)
        await make_spend(member, "6000.00", at=NOW - DAY, refunded=refunded)
    # when
    changes = [await tiers.evaluate_upgrade(member_id=m.id, now=NOW) for m in (short, enough)]
    # then
    assert changes[0] is None
    assert await history(short) == []
    assert await history(enough) == [
        ("Silver", "Gold", TierChangeSource.QUALIFICATION, "Qualified for Gold: 20,000.00 spend in 12 months")
    ]


async def test_visits_are_distinct_days_with_a_purchase_not_wholly_refunded():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    for n in range(10):
        await make_spend(member, "10.00", at=NOW - (n + 1) * DAY)
    await make_spend(member, "10.00", at=NOW - DAY + timedelta(hours=1))  # a second purchase on a day counted
    await make_spend(member, "10.00", at=NOW - 20 * DAY, refunded="10.00")  # wholly refunded: no visit
    await make_spend(member, "100.00", at=NOW - 21 * DAY, refunded="99.00")  # partly refunded: a visit
    # when
    before = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    await make_spend(member, "10.00", at=NOW - 30 * DAY)
    after = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert before is None
    assert after is not None
    assert await history(member) == [
        ("Silver", "Gold", TierChangeSource.QUALIFICATION, "Qualified for Gold: 12 visits in 12 months")
    ]


@pytest.mark.parametrize(
    ("earned_at", "qualifies"),
    [
        (datetime(2025, 6, 15, 12, 0, tzinfo=timezone.utc), True),  # exactly 12 months before: inside
        (datetime(2025, 6, 15, 11, 59, 59, tzinfo=timezone.utc), False),  # a second earlier: outside
        (NOW, True),
        (NOW + timedelta(seconds=1), False),  # after the moment evaluated
    ],
)
async def test_the_window_runs_back_window_months_from_the_moment_evaluated(earned_at, qualifies):
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 1_999, at=NOW - DAY)
    await make_earning(member, 1, at=earned_at)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert (change is not None) is qualifies
    assert (await reread(member)).tier_id == tiers_["Gold" if qualifies else "Silver"].id


async def test_each_tier_counts_over_its_own_window():
    # given: Platinum looks back 24 months, Gold 12
    tiers_ = await ladder()
    await set_thresholds(tiers_["Platinum"], points=6_000, window_months=24)
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 5_000, at=NOW - 500 * DAY)
    await make_earning(member, 1_000, at=NOW - DAY)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert change is not None
    assert await history(member) == [
        ("Silver", "Platinum", TierChangeSource.QUALIFICATION, "Qualified for Platinum: 6,000 points in 24 months")
    ]
    assert (await reread(member)).tier_review_on == date(2028, 6, 15)


async def test_an_upgrade_goes_straight_to_the_highest_tier_qualified_and_names_every_threshold_met():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 7_000, at=NOW - DAY)
    await make_spend(member, "60000.00", at=NOW - DAY)
    # when
    await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert await history(member) == [
        (
            "Silver",
            "Platinum",
            TierChangeSource.QUALIFICATION,
            "Qualified for Platinum: 7,000 points and 60,000.00 spend in 12 months",
        )
    ]


async def test_a_qualifying_event_never_moves_anyone_down():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Platinum"], tier_review_on=date(2026, 1, 1))
    await make_earning(member, 100, at=NOW - DAY)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert change is None
    assert (await reread(member)).tier_id == tiers_["Platinum"].id
    assert await history(member) == []


async def test_a_tier_without_thresholds_above_the_lowest_is_by_invitation_only():
    # given: Diamond sets no threshold; a member with plenty of everything
    tiers_ = await ladder()
    await set_thresholds(tiers_["Diamond"])
    climber = await make_member(tier=tiers_["Silver"])
    invited = await make_member(tier=tiers_["Diamond"], tier_review_on=REVIEW_ON)
    for member in (climber, invited):
        await make_earning(member, 7_000, at=NOW - DAY)
    # when
    change = await tiers.evaluate_upgrade(member_id=climber.id, now=NOW)
    await tiers.review_tiers(today=REVIEW_ON + 30 * DAY)
    # then: the rules reach Platinum, not Diamond, and do not keep anyone in it
    assert change is not None
    assert (await reread(climber)).tier_id == tiers_["Platinum"].id
    assert await history(invited) == [
        (
            "Diamond",
            "Platinum",
            TierChangeSource.REVIEW,
            "Review: 7,000 points, 0.00 spend and 0 visits in 12 months do not keep Diamond (by invitation only)",
        )
    ]


async def test_a_ladder_without_thresholds_moves_nobody():
    # given
    tiers_ = await make_tiers()
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 100_000, at=NOW - DAY)
    # when
    change = await tiers.evaluate_upgrade(member_id=member.id, now=NOW)
    # then
    assert change is None
    assert await history(member) == []


async def test_concurrent_evaluations_record_one_change():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Silver"])
    await make_earning(member, 2_500, at=NOW - DAY)
    # when
    changes = await asyncio.gather(*(tiers.evaluate_upgrade(member_id=member.id, now=NOW) for _ in range(10)))
    # then
    assert len([change for change in changes if change is not None]) == 1
    assert (await reread(member)).tier_id == tiers_["Gold"].id
    assert await history(member) == [
        ("Silver", "Gold", TierChangeSource.QUALIFICATION, "Qualified for Gold: 2,500 points in 12 months")
    ]


REVIEW_ON = date(2026, 6, 1)


async def test_review_moves_down_only_once_the_grace_days_have_passed():
    # given: reviewed on 1 June with 30 days' grace, qualifying for Gold but not Platinum any more
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Platinum"], tier_since=date(2025, 6, 1), tier_review_on=REVIEW_ON)
    await make_earning(member, 2_100, at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    await make_spend(member, "1234.50", at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    # when
    during_grace = await tiers.review_tiers(today=REVIEW_ON + 29 * DAY)
    after_grace = await tiers.review_tiers(today=REVIEW_ON + 30 * DAY)
    # then
    assert during_grace == tier_engine.ReviewSummary()
    assert after_grace == tier_engine.ReviewSummary(reviewed=1, moved_down=1)
    assert await history(member) == [
        (
            "Platinum",
            "Gold",
            TierChangeSource.REVIEW,
            "Review: 2,100 points, 1,234.50 spend and 1 visit in 12 months do not keep Platinum "
            "(6,000 points or 60,000.00 spend or 30 visits)",
        )
    ]
    member = await reread(member)
    assert (member.tier_id, member.tier_since, member.tier_review_on) == (
        tiers_["Gold"].id,
        date(2026, 7, 1),
        date(2027, 7, 1),
    )


async def test_review_keeps_a_member_who_still_qualifies_for_another_window():
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Gold"], tier_since=date(2025, 6, 1), tier_review_on=REVIEW_ON)
    for n in range(12):
        await make_spend(member, "50.00", at=datetime(2026, 6, 1, 18, tzinfo=timezone.utc) - n * DAY)
    # when
    summary = await tiers.review_tiers(today=REVIEW_ON + 30 * DAY)
    # then
    assert summary == tier_engine.ReviewSummary(reviewed=1, kept=1)
    member = await reread(member)
    assert (member.tier_id, member.tier_since, member.tier_review_on) == (
        tiers_["Gold"].id,
        date(2025, 6, 1),
        date(2027, 6, 1),
    )
    assert await history(member) == []


async def test_review_never_moves_below_the_lowest_tier():
    # given
    tiers_ = await ladder()
    diamond = await make_member(tier=tiers_["Diamond"], tier_review_on=REVIEW_ON)
    silver = await make_member(tier=tiers_["Silver"], tier_review_on=REVIEW_ON)
    # when: Diamond has 60 days' grace
    summary = await tiers.review_tiers(today=REVIEW_ON + 60 * DAY)
    # then
    assert summary == tier_engine.ReviewSummary(reviewed=2, kept=1, moved_down=1)
    assert [change[:3] for change in await history(diamond)] == [("Diamond", "Silver", TierChangeSource.REVIEW)]
    assert await history(silver) == []
    assert (await reread(silver)).tier_review_on == date(2027, 6, 1)


async def test_review_works_in_batches_and_reports_each():
    # given
    tiers_ = await ladder()
    members = [await make_member(tier=tiers_["Gold"], tier_review_on=REVIEW_ON) for _ in range(3)]
    await make_earning(members[1], 2_000, at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    reports = []
    # when
    summary = await tiers.review_tiers(today=date(2026, 7, 1), progress=reports.append, batch_size=2)
    # then
    assert reports == [
        "batch 1: 2 reviewed, 1 kept their tier, 1 moved down",
        "batch 2: 1 reviewed, 0 kept their tier, 1 moved down",
    ]
    assert summary == tier_engine.ReviewSummary(reviewed=3, kept=1, moved_down=2)
    assert [(await reread(m)).tier_id for m in members] == [tiers_[n].id for n in ("Silver", "Gold", "Silver")]


async def test_review_gives_members_without_a_review_date_one_instead_of_judging_them():
    # given: enrolled before the tier engine
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Platinum"])
    # when
    summary = await tiers.review_tiers(today=date(2026, 7, 1))
    # then
    assert summary == tier_engine.ReviewSummary(dated=1)
    member = await reread(member)
    assert (member.tier_id, member.tier_review_on) == (tiers_["Platinum"].id, date(2027, 7, 1))


async def test_a_tier_set_by_hand_is_reviewed_like_any_other():
    # given
    tiers_ = await ladder()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(tier=tiers_["Silver"])
    await tiers.set_tier(
        viewer=staff_viewer(boss.id, boss.role), member_id=member.id, tier_id=tiers_["Diamond"].id, reason="Patron"
    )
    member = await reread(member)
    review_on = tier_engine.shift_months(today(), 12)
    assert (member.tier_since, member.tier_review_on) == (today(), review_on)
    # when
    await tiers.review_tiers(today=review_on + 60 * DAY)
    # then
    assert [change[:3] for change in await history(member)] == [
        ("Silver", "Diamond", TierChangeSource.MANUAL),
        ("Diamond", "Silver", TierChangeSource.REVIEW),
    ]


async def test_enrolment_starts_the_review_clock():
    # given
    tiers_ = await ladder()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    member = await create_member(
        viewer=staff_viewer(desk.id, desk.role),
        name="林婉清",
        email="wanqing@example.com",
        tier_id=tiers_["Gold"].id,
        joined_on=date(2026, 2, 28),
    )
    # then
    member = await reread(member)
    assert (member.tier_since, member.tier_review_on) == (date(2026, 2, 28), date(2027, 2, 28))


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
    ],
)
def test_months_are_calendar_months_ending_on_the_last_day_when_shorter(moment, months, expected):
    assert tier_engine.shift_months(moment, months) == expected
