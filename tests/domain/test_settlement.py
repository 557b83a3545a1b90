"""Settlement statements: the figures equal the ledger's redemption entries of the partner and period."""

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain import ledger, models, settlement
from domain.errors import DomainError, PermissionDenied
from domain.viewer import partner_viewer, staff_viewer
from tests.factories import make_member, make_partner, make_redemption, make_staff, make_voucher

FROM = datetime(2026, 10, 1, tzinfo=timezone.utc)
TO = datetime(2026, 11, 1, tzinfo=timezone.utc)


async def _ledger_figures(partner: models.Partner, since: datetime, until: datetime) -> tuple[int, int]:
    """(points redeemed net, redemptions) read from ledger_entry rows joined through the redemptions."""
    redeem_ids = await models.Redemption.filter(partner_id=partner.id, redeem_entry_id__isnull=False).values_list(
        "redeem_entry_id", flat=True
    )
    in_period = {"created_at__gte": since, "created_at__lt": until}
    redeems = await models.LedgerEntry.filter(id__in=redeem_ids, kind=models.EntryKind.REDEEM, **in_period)
    reversals = await models.LedgerEntry.filter(reverses_id__in=redeem_ids, kind=models.EntryKind.REVERSE, **in_period)
    return -sum(entry.amount for entry in redeems) - sum(entry.amount for entry in reversals), len(redeems)


async def test_the_statement_counts_the_partners_entries_in_the_period_and_nothing_else():
    # given: two partners, redemptions before, in and after October, one refunded in October, one in November;
    # the vouchers' own redemptions are made today, outside October
    mine = await make_partner("Maison Laurent", point_value=Decimal("0.0125"), currency="EUR")
    theirs = await make_partner("Spa Lumen")
    member = await make_member()
    await make_redemption(member, mine, points=1000, at=FROM - timedelta(seconds=1))  # September
    refunded_in_october = await make_redemption(member, mine, points=400, at=datetime(2026, 9, 20, tzinfo=timezone.utc))
    await make_redemption(member, mine, points=300, at=FROM)  # the first instant counts
    in_october = await make_redemption(member, mine, points=500, at=datetime(2026, 10, 15, tzinfo=timezone.utc))
    refunded_later = await make_redemption(member, mine, points=200, at=datetime(2026, 10, 20, tzinfo=timezone.utc))
    await make_redemption(member, mine, points=700, at=TO)  # the last instant does not
    await make_redemption(member, theirs, points=900, at=datetime(2026, 10, 10, tzinfo=timezone.utc))
    await make_redemption(member, None, points=800, at=datetime(2026, 10, 11, tzinfo=timezone.utc))  # the club's own
    await ledger.refund(
        entry_id=refunded_in_october.redeem_entry_id, reason="Cancelled", now=datetime(2026, 10, 5, tzinfo=timezone.utc)
    )
    await ledger.refund(
        entry_id=refunded_later.redeem_entry_id, reason="Cancelled", now=datetime(2026, 11, 3, tzinfo=timezone.utc)
    )
    await make_voucher(member, mine, status=models.VoucherStatus.CONSUMED, consumed_at=datetime(2026, 10, 2, tzinfo=timezone.utc))
    await make_voucher(member, mine, status=models.VoucherStatus.CONSUMED, consumed_at=TO)
    await make_voucher(member, theirs, status=models.VoucherStatus.CONSUMED, consumed_at=datetime(2026, 10, 2, tzinfo=timezone.utc))
    await make_voucher(member, mine)  # issued (in November), not consumed
    assert in_october.status == models.RedemptionStatus.COMPLETED
    # when
    statement = await settlement.settlement_statement(viewer=partner_viewer(mine.id), since=FROM, until=TO)
    # then: 300 + 500 + 200 spent in October, 400 given back in October
    assert (
        statement.points_redeemed,
        statement.points_reversed,
        statement.redemptions,
        statement.vouchers_consumed,
        statement.amount_owed,
    ) == (600, 400, 3, 1, Decimal("7.5000"))
    assert (statement.points_redeemed, statement.redemptions) == await _ledger_figures(mine, FROM, TO)
    assert (statement.partner.currency, statement.since, statement.until) == ("EUR", FROM, TO)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_histories_give_the_ledgers_figures_for_every_partner_and_period(seed):
    # given: 40 redemptions of three partners over three months, some refunded at a later moment
    rng = random.Random(seed)
    partners = [await make_partner(f"Partner {n}", point_value=Decimal(f"0.0{n + 1}00")) for n in range(3)]
    members = [await make_member() for _ in range(4)]
    start = datetime(2026, 8, 1, tzinfo=timezone.utc)
    for _ in range(40):
        at = start + timedelta(minutes=rng.randrange(92 * 24 * 60))
        redemption = await make_redemption(
            rng.choice(members), rng.choice(partners), points=rng.randrange(1, 2000), at=at
        )
        if rng.random() < 0.3:
            later = at + timedelta(minutes=rng.randrange(1, 40 * 24 * 60))
            await ledger.refund(entry_id=redemption.redeem_entry_id, reason="Cancelled", now=later)
    periods = [
        (datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2026, 9, 1, tzinfo=timezone.utc)),
        (datetime(2026, 9, 1, tzinfo=timezone.utc), datetime(2026, 10, 1, tzinfo=timezone.utc)),
        (datetime(2026, 8, 15, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc)),
    ]
    manager = staff_viewer((await make_staff(models.StaffRole.PARTNER_MANAGER)).id, models.StaffRole.PARTNER_MANAGER)
    for partner in partners:
        for since, until in periods:
            # when
            statement = await settlement.settlement_statement(
                viewer=manager, since=since, until=until, partner_id=partner.id
            )
            # then
            points, count = await _ledger_figures(partner, since, until)
            assert (statement.points_redeemed, statement.redemptions) == (points, count)
            assert statement.amount_owed == points * partner.point_value
    assert await ledger.check_invariants() == []


async def test_a_partner_may_not_name_a_partner_and_staff_must():
    # given
    partner = await make_partner()
    manager = staff_viewer((await make_staff(models.StaffRole.PARTNER_MANAGER)).id, models.StaffRole.PARTNER_MANAGER)
    # when / then
    with pytest.raises(PermissionDenied, match="A partner sees only its own statement: leave out partnerId"):
        await settlement.settlement_statement(viewer=partner_viewer(partner.id), since=FROM, until=TO, partner_id=partner.id)
    with pytest.raises(DomainError, match="Name the partner: partnerId"):
        await settlement.settlement_statement(viewer=manager, since=FROM, until=TO)
    with pytest.raises(DomainError, match="Partner not found"):
        await settlement.settlement_statement(viewer=manager, since=FROM, until=TO, partner_id=partner.id + 1)


async def test_a_statement_of_an_empty_period_is_all_zeros():
    # given
    partner = await make_partner()
    # when
    statement = await settlement.settlement_statement(viewer=partner_viewer(partner.id), since=FROM, until=TO)
    # then
    assert (statement.points_redeemed, statement.redemptions, statement.vouchers_consumed, statement.amount_owed) == (
        0,
        0,
        0,
        Decimal("0.0000"),
    )
