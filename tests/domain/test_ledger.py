"""The ledger's accounting rules, called directly: lots, FIFO, debt, holds, expiry, invariants."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from domain.errors import DomainError
from domain.ledger import EntryFields
from domain.models import EntryKind, EntrySource
from tests.factories import make_member

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
EARN = EntryFields(source=EntrySource.PURCHASE, reason="test")
SPEND = EntryFields(source=EntrySource.REDEMPTION, reason="test")


async def earn(member, points, *, at=T0, days=365):
    return await ledger.credit(member_id=member.id, points=points, fields=EARN, now=at, expires_at=at + timedelta(days=days))


async def balance(member):
    return (await models.Member.get(id=member.id)).points_balance


async def test_spending_takes_the_lot_expiring_first_and_records_it():
    # given
    member = await make_member()
    [late] = await earn(member, 100, days=300)
    [soon] = await earn(member, 50, days=30)
    # when
    spent = await ledger.debit(member_id=member.id, points=70, kind=EntryKind.REDEEM, fields=SPEND, now=T0)
    # then
    taken = await models.LotConsumption.filter(entry_id=spent.id).order_by("id").values_list("lot__entry_id", "amount")
    assert taken == [(soon.id, 50), (late.id, 20)]
    assert (spent.amount, spent.balance_after) == (-70, 80)
    assert await balance(member) == 80
    assert await ledger.check_invariants() == []


async def test_a_debit_beyond_the_balance_is_refused_and_moves_nothing():
    # given
    member = await make_member()
    await earn(member, 40)
    # when
    with pytest.raises(DomainError) as refused:
        await ledger.debit(member_id=member.id, points=41, kind=EntryKind.REDEEM, fields=SPEND)
    # then
    assert (refused.value.code, refused.value.message) == ("INSUFFICIENT_POINTS", "Only 40 points are available")
    assert await balance(member) == 40
    assert await models.LedgerEntry.filter(member_id=member.id).count() == 1


async def test_a_refund_beyond_the_balance_becomes_debt_that_the_next_earning_clears():
    # given
    member = await make_member()
    await earn(member, 100)
    await ledger.debit(member_id=member.id, points=80, kind=EntryKind.REDEEM, fields=SPEND)
    # when
    reversed_ = await ledger.debit(
        member_id=member.id, points=100, kind=EntryKind.REVERSE, fields=EARN, shortfall_to_debt=True
    )
    owed = (await models.Member.get(id=member.id)).points_debt
    entries = await earn(member, 150)
    # then
    assert (reversed_.amount, owed) == (-20, 80)
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        (EntryKind.EARN, 150, 150),
        (EntryKind.REVERSE, -80, 70),
    ]
    member = await models.Member.get(id=member.id)
    assert (member.points_balance, member.points_debt) == (70, 0)
    assert await ledger.check_invariants() == []


async def test_a_released_hold_gives_points_back_to_the_same_lots():
    # given
    member = await make_member()
    [lot_entry] = await earn(member, 100)
    held = await ledger.hold(member_id=member.id, points=60, reference="r-1")
    # when
    released = await ledger.release(hold_entry_id=held.id, reason="partner refused")
    # then
    lot = await models.PointsLot.get(entry_id=lot_entry.id)
    assert (held.balance_after, released.balance_after, lot.remaining) == (40, 100, 100)
    with pytest.raises(DomainError):
        await ledger.release(hold_entry_id=held.id, reason="again")
    assert await ledger.check_invariants() == []


async def test_a_captured_hold_is_redeemed_once():
    # given
    member = await make_member()
    await earn(member, 100)
    held = await ledger.hold(member_id=member.id, points=60, reference="r-2")
    # when
    redeemed = await ledger.capture(hold_entry_id=held.id, reason="voucher issued")
    # then
    kinds = await models.LedgerEntry.filter(member_id=member.id).order_by("id").values_list("kind", "amount")
    assert kinds == [(EntryKind.EARN, 100), (EntryKind.HOLD, -60), (EntryKind.RELEASE, 60), (EntryKind.REDEEM, -60)]
    assert redeemed.balance_after == 40
    with pytest.raises(DomainError):
        await ledger.capture(hold_entry_id=held.id, reason="again")
    assert await balance(member) == 40
    assert await ledger.check_invariants() == []


async def test_a_refunded_redemption_goes_back_to_its_lots_once_and_clears_debt_first():
    # given
    member = await make_member()
    [early] = await earn(member, 50, days=100)
    [late] = await earn(member, 100, days=300)
    spent = await ledger.debit(member_id=member.id, points=120, kind=EntryKind.REDEEM, fields=SPEND, now=T0)
    await ledger.debit(
        member_id=member.id, points=40, kind=EntryKind.REVERSE, fields=EARN, now=T0, shortfall_to_debt=True
    )
    # when
    refunded = await ledger.refund(entry_id=spent.id, reason="event cancelled", now=T0)
    # then
    assert (refunded.kind, refunded.amount, refunded.reverses_id, refunded.source) == (
        EntryKind.REVERSE, 120, spent.id, EntrySource.REDEMPTION
    )
    member_row = await models.Member.get(id=member.id)
    # 150 earned, 120 spent, 30 taken back with 10 more owed: the 120 refunded pay the 10 first
    assert (member_row.points_balance, member_row.points_debt) == (110, 0)
    expiries = sorted(await models.PointsLot.filter(member_id=member.id).values_list("expires_at", "remaining"))
    assert [remaining for _, remaining in expiries] == [40, 70]  # the debt is paid from the earliest lot
    with pytest.raises(DomainError):
        await ledger.refund(entry_id=spent.id, reason="again", now=T0)
    with pytest.raises(DomainError):
        await ledger.refund(entry_id=early.id, reason="not a redemption", now=T0)
    assert await ledger.check_invariants() == []


async def test_expiry_takes_what_is_left_of_due_lots_only():
    # given
    member = await make_member()
    await earn(member, 100, days=10)
    await earn(member, 30, days=400)
    await ledger.debit(member_id=member.id, points=40, kind=EntryKind.REDEEM, fields=SPEND, now=T0)
    # when
    expired = await ledger.expire_due_lots(now=T0 + timedelta(days=11))
    again = await ledger.expire_due_lots(now=T0 + timedelta(days=11))
    # then
    assert (expired, again, await balance(member)) == (60, 0, 30)
    assert await ledger.check_invariants() == []


async def test_fifty_concurrent_debits_of_30_from_100_leave_exactly_three_taken():
    # given
    member = await make_member()
    await earn(member, 100)

    async def spend():
        try:
            await ledger.debit(member_id=member.id, points=30, kind=EntryKind.REDEEM, fields=SPEND)
            return True
        except DomainError:
            return False

    # when
    results = await asyncio.gather(*(spend() for _ in range(50)))
    # then
    assert results.count(True) == 3
    assert await balance(member) == 10
    assert await ledger.check_invariants() == []


async def test_the_invariant_check_reports_a_tampered_balance():
    # given
    member = await make_member()
    await earn(member, 100)
    await models.Member.filter(id=member.id).update(points_balance=90)
    # when
    violations = await ledger.check_invariants()
    # then
    assert violations == [ledger.Violation(member.id, None, "balance 90, entries sum 100, lots hold 100, debt 0")]


async def test_points_past_their_date_are_expired_before_a_spend_not_spent():
    # given
    member = await make_member()
    await earn(member, 100, days=10)
    await earn(member, 20, days=400)
    # when: the expiry job has not run yet when the member spends
    with pytest.raises(DomainError) as refused:
        await ledger.debit(member_id=member.id, points=50, kind=EntryKind.REDEEM, fields=SPEND, now=T0 + timedelta(days=11))
    # then
    assert refused.value.message == "Only 20 points are available"
    kinds = await models.LedgerEntry.filter(member_id=member.id).order_by("id").values_list("kind", "amount")
    assert kinds == [(EntryKind.EARN, 100), (EntryKind.EARN, 20)]  # the refused spend rolled its expiry back too
    assert await ledger.check_invariants() == []


async def test_a_release_after_a_refund_clears_the_debt_first():
    # given: all points held, then the purchase that earned them refunded
    member = await make_member()
    await earn(member, 100)
    held = await ledger.hold(member_id=member.id, points=100, reference="r-3")
    await ledger.debit(member_id=member.id, points=100, kind=EntryKind.REVERSE, fields=EARN, shortfall_to_debt=True)
    # when
    await ledger.release(hold_entry_id=held.id, reason="partner refused")
    # then
    member = await models.Member.get(id=member.id)
    assert (member.points_balance, member.points_debt) == (0, 0)
    assert await ledger.check_invariants() == []
