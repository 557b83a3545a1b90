"""The points rules, called directly: earning, campaigns and caps, referrals, refunds and debt, transfers."""

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain import ledger, models, points, rules
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.ledger import EntryFields
from domain.models import EntryKind, EntrySource, MemberStatus, StaffRole
from domain.viewer import member_viewer, staff_viewer
from tests.factories import (
    make_campaign,
    make_earning,
    make_member,
    make_purchase,
    make_staff,
    make_tiers,
    points_of,
    set_thresholds,
)

T0 = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
LIFETIME = timedelta(days=730)


@pytest.fixture
def club_rules(monkeypatch):
    """Replace some points rules for one test only."""

    def change(**changes):
        monkeypatch.setattr(rules, "RULES", replace(rules.RULES, **changes))

    return change


async def desk():
    return staff_viewer((await make_staff(StaffRole.FRONT_DESK)).id, StaffRole.FRONT_DESK)


async def manager():
    return staff_viewer((await make_staff(StaffRole.CLUB_MANAGER)).id, StaffRole.CLUB_MANAGER)


async def record(viewer, member, amount="100.00", *, key="k", reference=None, at=T0, **fields):
    return await points.record_purchase(
        viewer=viewer,
        member_id=member.id,
        amount=Decimal(amount),
        currency=fields.pop("currency", "CHF"),
        outlet=fields.pop("outlet", "Bar"),
        external_reference=reference or f"R-{key}",
        idempotency_key=key,
        now=at,
        **fields,
    )


async def refund(viewer, purchase, amount=None, *, key="r", at=T0):
    return await points.refund_purchase(
        viewer=viewer,
        purchase_id=purchase.id,
        amount=Decimal(amount) if amount else None,
        idempotency_key=key,
        now=at,
    )


async def transfer(sender, receiver, amount, *, key="t", at=T0, note=""):
    return await points.transfer_points(
        viewer=member_viewer(sender.id),
        from_member_id=sender.id,
        to_member_id=receiver.id,
        points=amount,
        idempotency_key=key,
        note=note,
        now=at,
    )


async def entries_of(member):
    rows = models.LedgerEntry.filter(member_id=member.id).order_by("id")
    return await rows.values_list("kind", "source", "amount", "balance_after")


async def refusal(action):
    with pytest.raises(DomainError) as refused:
        await action
    return refused.value.code, refused.value.field, refused.value.message


# --- earning -----------------------------------------------------------------------------------


async def test_a_purchase_earns_its_cash_part_times_the_tier_multiplier_rounded_down():
    # given: Gold earns 1.25 points per franc; 20.00 of the bill is paid with points
    gold = (await make_tiers())["Gold"]
    member = await make_member(tier=gold)
    staff = await desk()
    # when
    result = await record(staff, member, "99.99", paid_with_points=Decimal("20.00"))
    # then: floor(79.99 x 1.25) = floor(99.9875)
    purchase = await models.Purchase.get(id=result["purchase_id"])
    [entry] = await models.LedgerEntry.filter(id__in=result["entry_ids"])
    assert (purchase.amount, purchase.paid_with_points, purchase.points_earned) == (
        Decimal("99.99"),
        Decimal("20.00"),
        99,
    )
    assert (purchase.recorded_by_id, purchase.created_at) == (staff.id, T0)
    assert (entry.kind, entry.source, entry.amount, entry.purchase_id, entry.created_by_id, entry.reason) == (
        EntryKind.EARN,
        EntrySource.PURCHASE,
        99,
        purchase.id,
        staff.id,
        "Purchase at Bar",
    )
    lot = await models.PointsLot.get(entry_id=entry.id)
    assert (lot.amount, lot.earned_at, lot.expires_at) == (99, T0, T0 + LIFETIME)
    assert await points_of(member) == (99, 0)
    assert await ledger.check_invariants() == []


async def test_points_per_unit_come_from_the_rules_and_a_tier_without_multiplier_counts_once(club_rules):
    # given
    club_rules(points_per_currency_unit=Decimal("2.5"))
    plain = await models.Tier.create(name="Plain", rank=1)
    member = await make_member(tier=plain)
    # when
    result = await record(await desk(), member, "10.05")
    # then: floor(10.05 x 2.5) = floor(25.125)
    assert (await models.Purchase.get(id=result["purchase_id"])).points_earned == 25
    assert await points_of(member) == (25, 0)


async def test_a_purchase_paid_wholly_with_points_earns_nothing():
    # given
    member = await make_member()
    # when
    result = await record(await desk(), member, "80.00", paid_with_points=Decimal("80.00"))
    # then
    assert result["entry_ids"] == []
    assert (await models.Purchase.get(id=result["purchase_id"])).points_earned == 0
    assert await points_of(member) == (0, 0)


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"amount": "0"}, "amount", "INVALID", "The amount must be greater than zero"),
        ({"amount": "-5.00"}, "amount", "INVALID", "The amount must be greater than zero"),
        ({"amount": "10.001"}, "amount", "INVALID", "The amount can have at most two decimals"),
        ({"amount": "1000000.01"}, "amount", "INVALID", "The amount must be at most 1000000.00"),
        ({"amount": "NaN"}, "amount", "INVALID", "The amount must be a number"),
        (
            {"paid_with_points": Decimal("-1")},
            "paidWithPoints",
            "INVALID",
            "The part paid with points must be greater than zero",
        ),
        (
            {"paid_with_points": Decimal("100.01")},
            "paidWithPoints",
            "INVALID",
            "The part paid with points cannot exceed the amount",
        ),
        ({"currency": "CH"}, "currency", "INVALID", "Enter the currency as a three-letter ISO code, e.g. CHF"),
        ({"currency": "EUR"}, "currency", "UNSUPPORTED_CURRENCY", "Purchases earn points in CHF only"),
        ({"outlet": "  "}, "outlet", "REQUIRED", "This value is required"),
        ({"reference": "x" * 101}, "externalReference", "TOO_LONG", "At most 100 characters"),
        ({"key": " "}, "idempotencyKey", "INVALID", "The idempotency key must be 1 to 200 printable characters"),
    ],
)
async def test_invalid_purchases_are_refused_and_record_nothing(fields, field, code, message):
    # given
    member = await make_member()
    staff = await desk()
    amount = fields.pop("amount", "100.00")
    # when
    refused = await refusal(record(staff, member, amount, **fields))
    # then
    assert refused == (code, field, message)
    assert await models.Purchase.all().count() == 0
    assert await points_of(member) == (0, 0)


async def test_a_purchase_that_would_earn_more_than_a_purchase_may_is_refused_and_takes_no_campaign_budget():
    # given
    member = await make_member()
    campaign = await make_campaign("9.00", cap_total=50_000_000)
    # when
    refused = await refusal(record(await desk(), member, "200000.00"))
    # then
    assert refused == (
        "INVALID",
        "amount",
        "This purchase would earn 2,000,000 points, more than the 1,000,000 one purchase may earn",
    )
    assert await models.Purchase.all().count() == 0
    assert (await models.Campaign.get(id=campaign.id)).awarded_total == 0
    assert await points_of(member) == (0, 0)


async def test_the_currency_is_read_in_any_case():
    # given
    member = await make_member()
    # when
    result = await record(await desk(), member, "10.00", currency=" chf ")
    # then
    assert (await models.Purchase.get(id=result["purchase_id"])).currency == "CHF"


async def test_a_second_purchase_with_the_same_outlet_reference_is_refused():
    # given
    member = await make_member()
    staff = await desk()
    await record(staff, member, "100.00", key="first", reference="TILL-7")
    # when: another key, so not a retry: the outlet sent the same receipt twice
    refused = await refusal(record(staff, member, "100.00", key="second", reference="TILL-7"))
    # then
    assert refused == (
        "DUPLICATE_PURCHASE",
        "externalReference",
        "This outlet already recorded a purchase with this reference",
    )
    assert await models.Purchase.all().count() == 1
    assert await points_of(member) == (100, 0)


async def test_the_same_reference_at_another_outlet_is_another_purchase():
    # given
    member = await make_member()
    staff = await desk()
    await record(staff, member, "10.00", key="a", reference="TILL-7", outlet="Bar")
    # when
    await record(staff, member, "10.00", key="b", reference="TILL-7", outlet="Restaurant")
    # then
    assert await points_of(member) == (20, 0)


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.RESIGNED])
async def test_an_inactive_member_earns_nothing(status):
    # given
    member = await make_member(status=status)
    # when
    refused = await refusal(record(await desk(), member))
    # then
    assert refused == ("MEMBER_INACTIVE", "memberId", "Only active members earn points")
    assert await models.Purchase.all().count() == 0


async def test_a_purchase_that_qualifies_the_member_lifts_their_tier_at_once():
    # given
    tiers = await make_tiers()
    await set_thresholds(tiers["Gold"], points=150)
    member = await make_member(tier=tiers["Silver"])
    # when
    await record(await desk(), member, "150.00", at=datetime.now(timezone.utc))
    # then
    assert (await models.Member.get(id=member.id)).tier_id == tiers["Gold"].id


# --- campaigns ---------------------------------------------------------------------------------


async def test_a_running_campaign_adds_its_bonus_as_a_separate_entry():
    # given
    member = await make_member()
    campaign = await make_campaign("0.50", name="Summer at the bar")
    # when
    result = await record(await desk(), member, "101.00")
    # then
    entries = await models.LedgerEntry.filter(id__in=result["entry_ids"]).order_by("id")
    assert [(e.source, e.amount, e.campaign_id, e.reason) for e in entries] == [
        (EntrySource.PURCHASE, 101, None, "Purchase at Bar"),
        (EntrySource.CAMPAIGN, 50, campaign.id, "Summer at the bar"),
    ]
    assert {e.kind for e in entries} == {EntryKind.EARN}
    assert (await models.Purchase.get(id=result["purchase_id"])).points_earned == 151
    assert (await models.Campaign.get(id=campaign.id)).awarded_total == 50
    assert await points_of(member) == (151, 0)


@pytest.mark.parametrize(
    ("at", "bonus"),
    [
        (datetime(2026, 1, 1, tzinfo=timezone.utc), 100),  # the first moment
        (datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc), 0),  # before
        (datetime(2027, 1, 1, tzinfo=timezone.utc), 0),  # the end is not part of it
    ],
)
async def test_a_campaign_runs_from_its_start_up_to_but_not_including_its_end(at, bonus):
    # given
    member = await make_member()
    await make_campaign("1.00")
    # when
    await record(await desk(), member, "100.00", at=at)
    # then
    assert await points_of(member) == (100 + bonus, 0)


async def test_the_cap_per_member_limits_the_bonus_over_all_their_purchases():
    # given
    member, other = await make_member(), await make_member()
    campaign = await make_campaign("1.00", cap_per_member=80)
    staff = await desk()
    # when
    bonuses = []
    for n in range(3):
        result = await record(staff, member, "50.00", key=f"m{n}")
        bonuses.append(await models.LedgerEntry.filter(id__in=result["entry_ids"], campaign_id=campaign.id).count())
    await record(staff, other, "50.00", key="other")
    # then
    awarded = models.LedgerEntry.filter(campaign_id=campaign.id).order_by("id")
    assert await awarded.values_list("member_id", "amount") == [
        (member.id, 50),
        (member.id, 30),
        (other.id, 50),
    ]
    assert bonuses == [1, 1, 0]
    assert (await models.Campaign.get(id=campaign.id)).awarded_total == 130


async def test_the_total_cap_is_never_exceeded_by_concurrent_purchases():
    # given: a budget of 100 bonus points and ten members buying at once for 30 each
    members = [await make_member() for _ in range(10)]
    campaign = await make_campaign("1.00", cap_total=100)
    staff = await desk()
    # when
    await asyncio.gather(*(record(staff, member, "30.00", key=f"k{n}") for n, member in enumerate(members)))
    # then
    bonuses = await models.LedgerEntry.filter(campaign_id=campaign.id).values_list("amount", flat=True)
    assert sorted(bonuses) == [10, 30, 30, 30]
    assert (await models.Campaign.get(id=campaign.id)).awarded_total == 100
    assert await models.LedgerEntry.filter(source=EntrySource.PURCHASE).count() == 10
    assert await ledger.check_invariants() == []


# --- referrals ---------------------------------------------------------------------------------


async def test_the_referrer_is_rewarded_once_at_the_first_purchase():
    # given
    referrer = await make_member()
    member = await make_member(referred_by_id=referrer.id)
    staff = await desk()
    # when
    first = await record(staff, member, "100.00", key="first")
    await record(staff, member, "100.00", key="second")
    # then
    [reward] = await models.LedgerEntry.filter(member_id=referrer.id)
    assert (reward.kind, reward.source, reward.amount, reward.counterpart_id, reward.purchase_id) == (
        EntryKind.EARN,
        EntrySource.REFERRAL,
        1000,
        member.id,
        first["purchase_id"],
    )
    assert reward.id not in first["entry_ids"]
    assert (await models.Member.get(id=member.id)).referral_rewarded_at == T0
    assert await points_of(referrer) == (1000, 0)
    assert await points_of(member) == (200, 0)


async def test_concurrent_first_purchases_reward_the_referrer_once():
    # given
    referrer = await make_member()
    member = await make_member(referred_by_id=referrer.id)
    staff = await desk()
    # when
    await asyncio.gather(*(record(staff, member, "10.00", key=f"k{n}") for n in range(5)))
    # then
    assert await models.LedgerEntry.filter(source=EntrySource.REFERRAL).count() == 1
    assert await points_of(referrer) == (1000, 0)
    assert await ledger.check_invariants() == []


async def test_an_inactive_referrer_gets_nothing():
    # given
    referrer = await make_member(status=MemberStatus.RESIGNED)
    member = await make_member(referred_by_id=referrer.id)
    # when
    await record(await desk(), member)
    # then
    assert await points_of(referrer) == (0, 0)
    assert (await models.Member.get(id=member.id)).referral_rewarded_at is None


async def test_enrolment_with_a_referral_code_names_the_referrer():
    # given
    from domain import members

    referrer = await make_member(referral_code="ABCD2345")
    # when
    member = await members.create_member(
        viewer=await desk(), name="Anna", email="anna@example.com", referral_code=" abcd2345 "
    )
    refused = await refusal(
        members.create_member(viewer=await desk(), name="Ben", email="ben@example.com", referral_code="NOPE")
    )
    # then
    assert member.referred_by_id == referrer.id
    assert refused == ("INVALID_REFERRAL_CODE", "referralCode", "No member has this referral code")
    assert not await models.Member.filter(email="ben@example.com").exists()


# --- refunds -----------------------------------------------------------------------------------


async def test_a_full_refund_takes_back_the_points_from_the_purchase_own_lots_first():
    # given: an older lot that expires sooner, which a plain spend would take first
    member = await make_member()
    older = await make_earning(member, 40, at=T0 - timedelta(days=700))
    purchase = await make_purchase(member, "100.00", at=T0)
    # when
    result = await refund(await manager(), purchase)
    # then
    [reverse] = await models.LedgerEntry.filter(id__in=result["entry_ids"])
    assert (reverse.kind, reverse.source, reverse.amount, reverse.purchase_id, reverse.reason) == (
        EntryKind.REVERSE,
        EntrySource.REFUND,
        -100,
        purchase.id,
        "Refund of a purchase at Bar",
    )
    taken = await models.LotConsumption.filter(entry_id=reverse.id).values_list("lot__entry__purchase_id", "amount")
    assert taken == [(purchase.id, 100)]
    assert (await models.PointsLot.get(entry_id=older.id)).remaining == 40
    assert result == {
        "purchase_id": purchase.id,
        "entry_ids": [reverse.id],
        "amount": "100.00",
        "points_reversed": 100,
        "points_owed": 0,
    }
    purchase = await models.Purchase.get(id=purchase.id)
    assert (purchase.refunded_amount, purchase.points_reversed) == (Decimal("100.00"), 100)
    assert await points_of(member) == (40, 0)
    assert await ledger.check_invariants() == []


async def test_partial_refunds_take_back_a_proportional_share_and_never_more_than_was_earned():
    # given: 300 points (200, and a campaign's 100 on top) earned on 200.00
    member = await make_member()
    await make_campaign("0.50")
    purchase = await make_purchase(member, "200.00", at=T0)
    staff = await manager()
    # when: three refunds of a third each
    reversed_ = [(await refund(staff, purchase, "66.66", key=f"r{n}"))["points_reversed"] for n in range(2)]
    reversed_.append((await refund(staff, purchase, None, key="rest"))["points_reversed"])
    # then: 300 points earned; kept after each: floor(300 x 133.34/200) = 200, floor(300 x 66.68/200) = 100, 0
    assert reversed_ == [100, 100, 100]
    purchase = await models.Purchase.get(id=purchase.id)
    assert (purchase.points_earned, purchase.points_reversed, purchase.refunded_amount) == (300, 300, Decimal("200.00"))
    assert await points_of(member) == (0, 0)
    assert await ledger.check_invariants() == []


async def test_an_uneven_partial_refund_rounds_the_points_kept_down():
    # given
    member = await make_member()
    purchase = await make_purchase(member, "3.00", at=T0)
    # when
    result = await refund(await manager(), purchase, "1.00")
    # then: kept floor(3 x 2/3) = 2
    assert result["points_reversed"] == 1
    assert await points_of(member) == (2, 0)


async def test_points_already_spent_become_debt_that_the_next_credit_clears():
    # given: 100 points earned, 80 of them spent
    member = await make_member()
    purchase = await make_purchase(member, "100.00", at=T0)
    spend = EntryFields(source=EntrySource.REDEMPTION, reason="A bottle of Burgundy")
    await ledger.debit(member_id=member.id, points=80, kind=EntryKind.REDEEM, fields=spend, now=T0)
    # when: the purchase is refunded, then the member buys again
    result = await refund(await manager(), purchase)
    after_refund = await points_of(member)
    await make_purchase(member, "150.00", at=T0 + timedelta(days=1))
    # then: no "buy, refund, keep the points"
    assert (result["points_reversed"], result["points_owed"]) == (100, 80)
    assert after_refund == (0, 80)
    assert await points_of(member) == (70, 0)
    assert await entries_of(member) == [
        (EntryKind.EARN, EntrySource.PURCHASE, 100, 100),
        (EntryKind.REDEEM, EntrySource.REDEMPTION, -80, 20),
        (EntryKind.REVERSE, EntrySource.REFUND, -20, 0),
        (EntryKind.EARN, EntrySource.PURCHASE, 150, 150),
        (EntryKind.REVERSE, EntrySource.REFUND, -80, 70),
    ]
    assert await ledger.check_invariants() == []


async def test_a_refund_with_nothing_left_in_the_balance_owes_it_all():
    # given
    member, friend = await make_member(), await make_member()
    purchase = await make_purchase(member, "50.00", at=T0)
    await transfer(member, friend, 50)
    # when
    result = await refund(await manager(), purchase)
    # then
    assert (result["entry_ids"], result["points_reversed"], result["points_owed"]) == ([], 50, 50)
    assert await points_of(member) == (0, 50)
    assert await ledger.check_invariants() == []


async def test_refunding_more_than_is_left_is_refused_and_changes_nothing():
    # given
    member = await make_member()
    purchase = await make_purchase(member, "100.00", at=T0)
    staff = await manager()
    await refund(staff, purchase, "60.00", key="first")
    # when
    too_much = await refusal(refund(staff, purchase, "40.01", key="second"))
    await refund(staff, purchase, None, key="rest")
    again = await refusal(refund(staff, purchase, None, key="again"))
    # then
    assert too_much == ("REFUND_TOO_LARGE", "amount", "At most 40.00 CHF of this purchase is left to refund")
    assert again == ("ALREADY_REFUNDED", "purchaseId", "This purchase was already refunded in full")
    assert await models.LedgerEntry.filter(kind=EntryKind.REVERSE).count() == 2
    assert await points_of(member) == (0, 0)


async def test_an_unknown_purchase_is_not_found():
    # when
    refused = await refusal(
        points.refund_purchase(viewer=await manager(), purchase_id=999_999, idempotency_key="k", amount=None)
    )
    # then
    assert refused == ("NOT_FOUND", "purchaseId", "Purchase not found")


async def test_a_full_refund_of_the_first_purchase_takes_back_the_referral_reward():
    # given
    referrer = await make_member()
    member = await make_member(referred_by_id=referrer.id)
    purchase = await make_purchase(member, "100.00", at=T0)
    staff = await manager()
    # when: a partial refund keeps the reward; the full one takes it back
    await refund(staff, purchase, "50.00", key="half")
    kept = await points_of(referrer)
    await refund(staff, purchase, None, key="rest")
    # then
    assert kept == (1000, 0)
    assert await points_of(referrer) == (0, 0)
    reward = await models.LedgerEntry.get(member_id=referrer.id, source=EntrySource.REFERRAL)
    clawback = await models.LedgerEntry.get(member_id=referrer.id, kind=EntryKind.REVERSE)
    assert (clawback.amount, clawback.reverses_id) == (-1000, reward.id)
    assert await ledger.check_invariants() == []


async def test_concurrent_refunds_of_one_purchase_never_refund_more_than_it_cost():
    # given
    member = await make_member()
    purchase = await make_purchase(member, "100.00", at=T0)
    staff = await manager()

    async def attempt(n):
        try:
            return (await refund(staff, purchase, "30.00", key=f"k{n}"))["points_reversed"]
        except DomainError as refused:
            return refused.code

    # when
    results = await asyncio.gather(*(attempt(n) for n in range(6)))
    # then
    assert sorted(results, key=str) == [30, 30, 30, "REFUND_TOO_LARGE", "REFUND_TOO_LARGE", "REFUND_TOO_LARGE"]
    purchase = await models.Purchase.get(id=purchase.id)
    assert (purchase.refunded_amount, purchase.points_reversed) == (Decimal("90.00"), 90)
    assert await points_of(member) == (10, 0)
    assert await ledger.check_invariants() == []


# --- adjustments -------------------------------------------------------------------------------


async def test_staff_adjust_a_balance_both_ways_with_a_reason():
    # given
    member = await make_member()
    staff = await manager()
    # when
    added = await points.adjust_points(
        viewer=staff, member_id=member.id, points=300, reason="Goodwill", idempotency_key="a"
    )
    removed = await points.adjust_points(
        viewer=staff, member_id=member.id, points=-120, reason=" Duplicate credit ", idempotency_key="b"
    )
    # then
    rows = await models.LedgerEntry.filter(id__in=added["entry_ids"] + removed["entry_ids"]).order_by("id")
    assert [(e.kind, e.source, e.amount, e.reason, e.created_by_id) for e in rows] == [
        (EntryKind.ADJUST, EntrySource.STAFF, 300, "Goodwill", staff.id),
        (EntryKind.ADJUST, EntrySource.STAFF, -120, "Duplicate credit", staff.id),
    ]
    assert await points_of(member) == (180, 0)


@pytest.mark.parametrize(
    ("amount", "reason", "refused"),
    [
        (-41, "Too much", ("INSUFFICIENT_POINTS", "points", "Only 40 points are available")),
        (0, "Nothing", ("INVALID", "points", "The points must be a non-zero whole number of at most 1,000,000")),
        (
            1_000_001,
            "Far too much",
            ("INVALID", "points", "The points must be a non-zero whole number of at most 1,000,000"),
        ),
        (10, " ", ("REQUIRED", "reason", "This value is required")),
    ],
)
async def test_a_refused_adjustment_moves_nothing(amount, reason, refused):
    # given
    member = await make_member()
    await make_earning(member, 40, at=T0)
    # when
    outcome = await refusal(
        points.adjust_points(
            viewer=await manager(), member_id=member.id, points=amount, reason=reason, idempotency_key="k"
        )
    )
    # then
    assert outcome == refused
    assert await points_of(member) == (40, 0)
    assert await models.LedgerEntry.filter(kind=EntryKind.ADJUST).count() == 0


# --- transfers ---------------------------------------------------------------------------------


async def test_a_transfer_hands_over_the_points_with_the_expiry_dates_they_had():
    # given: 50 points expiring in a month, 100 expiring in a year
    sender, receiver = await make_member(), await make_member()
    soon = await make_earning(sender, 50, at=T0 - LIFETIME + timedelta(days=30))
    late = await make_earning(sender, 100, at=T0 - LIFETIME + timedelta(days=365))
    # when
    result = await transfer(sender, receiver, 120, note="For the wine tasting")
    # then: the receiver's points expire exactly when the sender's would have
    sent = await models.LedgerEntry.get(id=result["entry_id"])
    assert (sent.kind, sent.source, sent.amount, sent.counterpart_id, sent.reason) == (
        EntryKind.TRANSFER_OUT,
        EntrySource.TRANSFER,
        -120,
        receiver.id,
        "For the wine tasting",
    )
    received = await models.LedgerEntry.filter(member_id=receiver.id).order_by("id")
    assert [(e.kind, e.amount, e.counterpart_id) for e in received] == [
        (EntryKind.TRANSFER_IN, 50, sender.id),
        (EntryKind.TRANSFER_IN, 70, sender.id),
    ]
    lots = await models.PointsLot.filter(member_id=receiver.id).order_by("id").values_list("amount", "expires_at")
    assert lots == [(50, T0 + timedelta(days=30)), (70, T0 + timedelta(days=365))]
    assert (await models.PointsLot.get(entry_id=soon.id)).remaining == 0
    assert (await models.PointsLot.get(entry_id=late.id)).remaining == 30
    assert (await points_of(sender), await points_of(receiver)) == ((30, 0), (120, 0))
    assert await ledger.check_invariants() == []


async def test_points_sent_per_day_are_limited(club_rules):
    # given
    club_rules(transfer_daily_limit=100)
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 1000, at=T0)
    await transfer(sender, receiver, 60, key="morning")
    # when
    refused = await refusal(transfer(sender, receiver, 50, key="evening", at=T0 + timedelta(hours=11)))
    await transfer(sender, receiver, 50, key="next day", at=T0 + timedelta(hours=12))
    # then
    assert refused == ("DAILY_LIMIT_EXCEEDED", "points", "You can send 40 more points today (at most 100 a day)")
    assert (await points_of(sender), await points_of(receiver)) == ((890, 0), (110, 0))


async def test_concurrent_transfers_cannot_together_pass_the_daily_limit(club_rules):
    # given
    club_rules(transfer_daily_limit=100)
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 1000, at=T0)

    async def attempt(n):
        try:
            await transfer(sender, receiver, 30, key=f"k{n}")
            return "sent"
        except DomainError as refused:
            return refused.code

    # when
    results = await asyncio.gather(*(attempt(n) for n in range(10)))
    # then
    assert sorted(results) == ["DAILY_LIMIT_EXCEEDED"] * 7 + ["sent"] * 3
    assert await points_of(sender) == (910, 0)
    assert await ledger.check_invariants() == []


async def test_transfers_the_other_way_at_the_same_time_do_not_deadlock():
    # given
    ann, ben = await make_member(), await make_member()
    await make_earning(ann, 500, at=T0)
    await make_earning(ben, 500, at=T0)
    # when
    await asyncio.gather(*(transfer(*((ann, ben) if n % 2 else (ben, ann)), 10, key=f"k{n}") for n in range(20)))
    # then
    assert (await points_of(ann), await points_of(ben)) == ((500, 0), (500, 0))
    assert await ledger.check_invariants() == []


async def test_refused_transfers_move_nothing():
    # given
    sender = await make_member()
    await make_earning(sender, 100, at=T0)
    resigned = await make_member(status=MemberStatus.RESIGNED)
    # when
    outcomes = [
        await refusal(transfer(sender, sender, 10, key="a")),
        await refusal(
            points.transfer_points(
                viewer=member_viewer(sender.id),
                from_member_id=sender.id,
                to_member_id=999_999,
                points=10,
                idempotency_key="b",
            )
        ),
        await refusal(transfer(sender, resigned, 10, key="c")),
        await refusal(transfer(sender, await make_member(), 101, key="d")),
        await refusal(transfer(sender, resigned, -5, key="e")),
    ]
    # then
    assert outcomes == [
        ("SELF_TRANSFER", "toMemberId", "Choose another member to send points to"),
        ("NOT_FOUND", "toMemberId", "Member not found"),
        ("NOT_FOUND", "toMemberId", "Member not found"),
        ("INSUFFICIENT_POINTS", "points", "Only 100 points are available"),
        ("INVALID", "points", "The points must be a positive whole number of at most 1,000,000"),
    ]
    assert await points_of(sender) == (100, 0)
    assert await models.LedgerEntry.filter(source=EntrySource.TRANSFER).count() == 0


async def test_only_the_member_themself_sends_their_points():
    # given
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 100, at=T0)
    arguments = {"from_member_id": sender.id, "to_member_id": receiver.id, "points": 10, "idempotency_key": "k"}
    # when / then
    with pytest.raises(NotFound):
        await points.transfer_points(viewer=member_viewer(receiver.id), **arguments)
    with pytest.raises(PermissionDenied):
        await points.transfer_points(viewer=await manager(), **arguments)
    assert await points_of(sender) == (100, 0)


# --- idempotency -------------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_replays_the_first_result_and_moves_nothing():
    # given
    member = await make_member()
    staff = await desk()
    first = await record(staff, member, "100.00", key="till-7-receipt-42")
    # when
    again = await record(staff, member, "100.00", key="till-7-receipt-42")
    # then
    assert again == first
    assert await models.Purchase.all().count() == 1
    assert await points_of(member) == (100, 0)


async def test_the_same_key_with_other_arguments_is_refused():
    # given
    member = await make_member()
    staff = await desk()
    await record(staff, member, "100.00", key="k", reference="R-1")
    # when
    refused = await refusal(record(staff, member, "100.01", key="k", reference="R-1"))
    # then
    assert refused == (
        "IDEMPOTENCY_KEY_REUSED",
        "idempotencyKey",
        "This idempotency key was already used for a different request; use a new key",
    )
    assert await points_of(member) == (100, 0)


async def test_keys_belong_to_their_caller():
    # given
    member = await make_member()
    # when: two tills happen to use the same key for two receipts
    await record(await desk(), member, "10.00", key="1", reference="A")
    await record(await desk(), member, "20.00", key="1", reference="B")
    # then
    assert await points_of(member) == (30, 0)


@pytest.mark.parametrize("operation", ["purchase", "transfer", "adjustment", "refund"])
async def test_concurrent_requests_with_one_key_move_points_once_and_all_get_the_first_result(operation):
    # given
    member, friend = await make_member(), await make_member()
    purchase = await make_purchase(member, "100.00", at=T0)
    staff = await manager()
    action = {
        "purchase": lambda: record(staff, member, "50.00", key="same"),
        "transfer": lambda: transfer(member, friend, 60, key="same"),
        "adjustment": lambda: points.adjust_points(
            viewer=staff, member_id=member.id, points=-60, reason="Correction", idempotency_key="same"
        ),
        "refund": lambda: refund(staff, purchase, "60.00", key="same"),
    }[operation]
    # when
    results = await asyncio.gather(*(action() for _ in range(8)))
    # then
    assert all(result == results[0] for result in results)
    assert (
        await points_of(member)
        == {"purchase": (150, 0), "transfer": (40, 0), "adjustment": (40, 0), "refund": (40, 0)}[operation]
    )
    assert await models.IdempotencyRecord.all().count() == 2  # make_purchase's own, and this one
    assert await ledger.check_invariants() == []


# --- bonuses the club grants -----------------------------------------------------------------


async def test_the_birthday_bonus_is_awarded_once_a_year():
    # given
    member = await make_member()
    # when
    first = await points.award_birthday_bonus(member_id=member.id, year=2026, now=T0)
    again = await points.award_birthday_bonus(member_id=member.id, year=2026, now=T0 + timedelta(days=9))
    next_year = await points.award_birthday_bonus(member_id=member.id, year=2027, now=T0 + timedelta(days=365))
    # then
    assert (first.source, first.amount, first.reference) == (EntrySource.BIRTHDAY, 500, "birthday:2026")
    assert again is None
    assert next_year.reference == "birthday:2027"
    assert await points_of(member) == (1000, 0)


async def test_the_birthday_job_rewards_the_active_members_born_on_the_day():
    # given
    today = date(2027, 2, 28)  # not a leap year: those born on 29 February celebrate today
    born_today = await make_member(birthday=date(1980, 2, 28))
    leapling = await make_member(birthday=date(1984, 2, 29))
    suspended = await make_member(birthday=date(1990, 2, 28), status=MemberStatus.SUSPENDED)
    tomorrow = await make_member(birthday=date(1980, 3, 1))
    unknown = await make_member(birthday=None)
    # when
    awarded = await points.run_birthday_bonuses(today=today, now=T0)
    again = await points.run_birthday_bonuses(today=today, now=T0)
    # then
    assert (awarded, again) == (2, 0)
    rewarded = await models.LedgerEntry.filter(source=EntrySource.BIRTHDAY).values_list("member_id", flat=True)
    assert sorted(rewarded) == [born_today.id, leapling.id]
    assert {suspended.id, tomorrow.id, unknown.id}.isdisjoint(rewarded)


@pytest.mark.parametrize(
    ("today", "celebrates"),
    [(date(2028, 2, 29), True), (date(2028, 2, 28), False), (date(2027, 2, 28), True), (date(2027, 3, 1), False)],
)
def test_a_leapling_celebrates_on_the_29th_or_else_the_28th(today, celebrates):
    assert points.celebrates(date(1984, 2, 29), today) is celebrates


async def test_survey_and_attendance_points_are_awarded_once_per_response_and_registration():
    # given
    member = await make_member()
    # when
    survey = [await points.award_survey_points(member_id=member.id, survey_response_id=7) for _ in range(2)]
    event = [await points.award_event_attendance(member_id=member.id, registration_id=7) for _ in range(2)]
    other = await points.award_event_attendance(member_id=member.id, registration_id=8)
    # then
    assert (survey[0].source, survey[0].amount, survey[0].reference, survey[1]) == (
        EntrySource.SURVEY,
        50,
        "survey-response:7",
        None,
    )
    assert (event[0].source, event[0].amount, event[0].reference, event[1]) == (
        EntrySource.EVENT,
        100,
        "event-registration:7",
        None,
    )
    assert other is not None
    assert await points_of(member) == (250, 0)


# --- reads -------------------------------------------------------------------------------------


async def test_the_balance_at_a_moment_is_what_the_last_entry_by_then_left():
    # given
    member = await make_member()
    await make_earning(member, 100, at=T0)
    await make_earning(member, 50, at=T0 + timedelta(days=2))
    spend = EntryFields(source=EntrySource.REDEMPTION)
    await ledger.debit(member_id=member.id, points=30, kind=EntryKind.REDEEM, fields=spend, now=T0 + timedelta(days=2))
    # when
    moments = [T0 - timedelta(seconds=1), T0, T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=9)]
    balances = [await points.balance_at(member_id=member.id, at=moment) for moment in moments]
    # then: two entries at the same moment count in the order they were written
    assert balances == [0, 100, 100, 120, 120]


async def test_points_expiring_soon_are_grouped_per_day():
    # given
    member = await make_member()
    await make_earning(member, 30, at=T0 - LIFETIME + timedelta(days=5, hours=1))
    await make_earning(member, 20, at=T0 - LIFETIME + timedelta(days=5, hours=9))
    await make_earning(member, 40, at=T0 - LIFETIME + timedelta(days=20))
    await make_earning(member, 70, at=T0 - LIFETIME + timedelta(days=45))
    # when
    expiring = await points.expiring_soon(member_id=member.id, days=30, now=T0)
    # then
    assert expiring == [(date(2026, 6, 6), 50), (date(2026, 6, 21), 40)]
    with pytest.raises(DomainError):
        await points.expiring_soon(member_id=member.id, days=0, now=T0)
