"""Settlement statements: the figures equal the ledger's redemption entries of the partner and period.

The histories are made through the real redemption paths (tests/settlement_ledger.py), and the
expected figures come from the ledger by the entries' reference, not through the join the statement uses.
"""

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain import ledger, models, settlement, vouchers
from domain.errors import DomainError, PermissionDenied
from domain.models import RedemptionStatus
from domain.viewer import partner_viewer, staff_viewer
from tests.factories import make_club_reward, make_earning, make_member, make_partner, make_staff, make_tiers
from tests.partners.reference import SECRET, partner_server
from tests.settlement_ledger import Figures, Redeemer, ledger_figures, push_only_item, refund

FROM = datetime(2026, 10, 1, tzinfo=timezone.utc)
TO = datetime(2026, 11, 1, tzinfo=timezone.utc)
EARNED = datetime(2026, 1, 1, tzinfo=timezone.utc)
TASTING = "wine-tasting-evening"  # 1,800 points at the reference partner's cellar
BAROLO = "wine-barolo-vertical"  # 6 in stock, Gold and above
GIFT_CARD = "wine-gift-card-50"  # 1,000 points, unlimited


def _at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


async def test_the_statement_counts_the_partners_entries_in_the_period_and_nothing_else(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as cellar_process:
        # given: a cellar with an endpoint (the saga) and a push-only florist (issued by the club), a club reward
        tiers = await make_tiers()
        member = await make_member(tier=tiers["Gold"])
        await make_earning(member, 100_000, at=EARNED)
        cellar = await make_partner(
            "Test Cellar", base_url=cellar_process.url, signing_secret=SECRET, point_value=Decimal("0.0125"), currency="EUR"
        )
        florist = await make_partner("Florist")
        tasting, barolo = f"partner:{cellar.id}:{TASTING}", f"partner:{cellar.id}:{BAROLO}"
        bouquet = await push_only_item(florist, "bouquet", 300)
        reward = await make_club_reward(points_price=800, stock=None)
        async with Redeemer() as redeemer:
            await redeemer.redeem(member, tasting, at=FROM - timedelta(seconds=1))  # September
            refunded_in_october = await redeemer.redeem(member, tasting, at=_at(9, 20))
            await redeemer.redeem(member, tasting, at=FROM)  # the first instant counts
            await redeemer.redeem(member, tasting, at=_at(10, 15), quantity=2)
            refunded_later = await redeemer.redeem(member, tasting, at=_at(10, 20))
            refused = await redeemer.redeem(member, barolo, at=_at(10, 12), quantity=7)  # held, then given back
            await redeemer.redeem(member, tasting, at=TO)  # the last instant does not
            flowers = await redeemer.redeem(member, bouquet, at=_at(10, 10), quantity=2)
            await redeemer.redeem(member, f"club:{reward.id}", at=_at(10, 11))  # the club's own
        await refund(refunded_in_october, at=_at(10, 5))
        await refund(refunded_later, at=_at(11, 3))
        voucher = await models.Voucher.get(redemption_id=refunded_later.id)
        await vouchers.consume_voucher(viewer=partner_viewer(cellar.id), code=voucher.code, idempotency_key="a", now=_at(10, 21))
        voucher = await models.Voucher.get(redemption_id=flowers.id)
        await vouchers.consume_voucher(viewer=partner_viewer(florist.id), code=voucher.code, idempotency_key="b", now=_at(10, 22))
    assert (refused.status, refused.failure_code) == (RedemptionStatus.REFUSED, "OUT_OF_STOCK")
    # when
    statement = await settlement.settlement_statement(viewer=partner_viewer(cellar.id), since=FROM, until=TO)
    florists = await settlement.settlement_statement(viewer=partner_viewer(florist.id), since=FROM, until=TO)
    # then: the cellar: 1,800 + 3,600 + 1,800 spent in October, 1,800 given back in October; the florist: 600
    assert (
        statement.points_redeemed,
        statement.points_reversed,
        statement.redemptions,
        statement.vouchers_consumed,
        statement.amount_owed,
    ) == (5_400, 1_800, 3, 1, Decimal("67.5000"))
    assert await ledger_figures(cellar, FROM, TO) == Figures(5_400, 1_800, 3)
    assert (florists.points_redeemed, florists.redemptions, florists.vouchers_consumed, florists.amount_owed) == (
        600,
        1,
        1,
        Decimal("6.0000"),
    )
    assert await ledger_figures(florist, FROM, TO) == Figures(600, 0, 1)
    assert (statement.partner.currency, statement.since, statement.until) == ("EUR", FROM, TO)
    assert await ledger.check_invariants() == []


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_histories_give_the_ledgers_figures_for_every_partner_and_period(client, tmp_path, seed):
    with partner_server(tmp_path / "cellar.sqlite3") as cellar_process:
        # given: 40 redemptions of a cellar (the saga) and two push-only partners over three months,
        # some refunded at a later moment, a few refused by the cellar for want of stock
        rng = random.Random(seed)
        tiers = await make_tiers()
        cellar = await make_partner(
            "Test Cellar", base_url=cellar_process.url, signing_secret=SECRET, point_value=Decimal("0.0150")
        )
        pushers = [await make_partner(f"Partner {n}", point_value=Decimal(f"0.0{n + 1}00")) for n in range(2)]
        keys = {cellar.id: [f"partner:{cellar.id}:{GIFT_CARD}", f"partner:{cellar.id}:{BAROLO}"]}
        for partner in pushers:
            keys[partner.id] = [await push_only_item(partner, f"item-{n}", rng.randrange(1, 2_000)) for n in range(3)]
        members = [await make_member(tier=tiers["Gold"]) for _ in range(4)]
        for member in members:
            await make_earning(member, 1_000_000, at=EARNED)
        start = datetime(2026, 8, 1, tzinfo=timezone.utc)
        outcomes = []
        async with Redeemer() as redeemer:
            for _ in range(40):
                at = start + timedelta(minutes=rng.randrange(92 * 24 * 60))
                partner = rng.choice([cellar, *pushers])
                done = await redeemer.redeem(
                    rng.choice(members), rng.choice(keys[partner.id]), at=at, quantity=rng.randrange(1, 4)
                )
                outcomes.append(done.status)
                if done.status == RedemptionStatus.COMPLETED and rng.random() < 0.3:
                    await refund(done, at=at + timedelta(minutes=rng.randrange(1, 40 * 24 * 60)))
    assert set(outcomes) <= {RedemptionStatus.COMPLETED, RedemptionStatus.REFUSED}
    periods = [
        (datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2026, 9, 1, tzinfo=timezone.utc)),
        (datetime(2026, 9, 1, tzinfo=timezone.utc), datetime(2026, 10, 1, tzinfo=timezone.utc)),
        (datetime(2026, 8, 15, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc)),
    ]
    manager = staff_viewer((await make_staff(models.StaffRole.PARTNER_MANAGER)).id, models.StaffRole.PARTNER_MANAGER)
    for partner in [cellar, *pushers]:
        for since, until in periods:
            # when
            statement = await settlement.settlement_statement(
                viewer=manager, since=since, until=until, partner_id=partner.id
            )
            # then
            expected = await ledger_figures(partner, since, until)
            assert (statement.points_redeemed, statement.points_reversed, statement.redemptions) == (
                expected.points_redeemed,
                expected.points_reversed,
                expected.redemptions,
            )
            assert statement.amount_owed == expected.points_redeemed * partner.point_value
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
