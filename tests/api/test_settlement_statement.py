"""settlementStatement: a partner's own figures for a period; partner managers name the partner.

Histories are made through the real redemption paths and checked against the ledger read by
reference (tests/settlement_ledger.py).
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import ANY

import pytest

from domain import models, vouchers
from domain.viewer import partner_viewer
from tests.factories import (
    gid,
    gql,
    make_api_key,
    make_earning,
    make_member,
    make_partner,
    make_staff,
    make_tiers,
    partner_gql,
    refused,
    staff_token,
)
from tests.partners.reference import SECRET, partner_server
from tests.settlement_ledger import Redeemer, ledger_figures, owed, push_only_item, refund

STATEMENT = """
query($period: SettlementPeriodInput!, $partnerId: ID) {
  settlementStatement(period: $period, partnerId: $partnerId) {
    partner { name }
    from to pointsRedeemed pointsReversed redemptions vouchersConsumed pointValue currency amountOwed
  }
}
"""
OCTOBER = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
FROM = datetime(2026, 10, 1, tzinfo=timezone.utc)
TO = datetime(2026, 11, 1, tzinfo=timezone.utc)
EARNED = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def _october_history() -> tuple[models.Partner, models.Partner, str]:
    """Two push-only partners (the club issues their vouchers). Maison Laurent: 1,200 points redeemed
    in October in two redemptions, 200 of them given back, one voucher consumed; Spa Lumen: 900 in October."""
    mine = await make_partner("Maison Laurent", point_value=Decimal("0.0125"), currency="EUR")
    theirs = await make_partner("Spa Lumen")
    _, key = await make_api_key(mine)
    await make_tiers()
    member = await make_member()
    await make_earning(member, 100_000, at=EARNED)
    dinner, glass, cellar = [await push_only_item(mine, item, price) for item, price in [("dinner", 1000), ("glass", 200), ("cellar", 5000)]]
    massage = await push_only_item(theirs, "massage", 900)
    october = datetime(2026, 10, 10, tzinfo=timezone.utc)
    async with Redeemer() as redeemer:
        eaten = await redeemer.redeem(member, dinner, at=october)
        refunded = await redeemer.redeem(member, glass, at=october)
        await redeemer.redeem(member, cellar, at=datetime(2026, 9, 30, 23, 59, tzinfo=timezone.utc))
        await redeemer.redeem(member, massage, at=october)
    await refund(refunded, at=october + timedelta(days=1))
    code = (await models.Voucher.get(redemption_id=eaten.id)).code
    await vouchers.consume_voucher(viewer=partner_viewer(mine.id), code=code, idempotency_key="till-1", now=october)
    return mine, theirs, key


MINE = {
    "partner": {"name": "Maison Laurent"},
    "from": "2026-10-01T00:00:00+00:00",
    "to": "2026-11-01T00:00:00+00:00",
    "pointsRedeemed": 1000,
    "pointsReversed": 200,
    "redemptions": 2,
    "vouchersConsumed": 1,
    "pointValue": "0.0125",
    "currency": "EUR",
    "amountOwed": "12.5000",
}


async def test_a_partner_gets_its_own_statement(client):
    # given
    _, _, key = await _october_history()
    # when
    result = await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)
    # then
    assert result == {"data": {"settlementStatement": MINE}}


@pytest.mark.parametrize("role", [models.StaffRole.PARTNER_MANAGER, models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR])
async def test_partner_managers_get_any_partners_statement(client, role):
    # given
    mine, theirs, _ = await _october_history()
    token = staff_token(await make_staff(role))
    # when
    result = await gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", mine.id)}, token=token)
    other = await gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", theirs.id)}, token=token)
    unknown = await gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", theirs.id + 9)}, token=token)
    # then
    assert result == {"data": {"settlementStatement": MINE}}
    assert (other["data"]["settlementStatement"]["pointsRedeemed"], other["data"]["settlementStatement"]["amountOwed"]) == (
        900,
        "9.0000",
    )
    assert unknown == {
        "data": None,
        "errors": [
            {"message": "Partner not found", "locations": ANY, "path": ["settlementStatement"], "extensions": {"code": "BAD_USER_INPUT"}}
        ],
    }


async def test_a_partner_naming_a_partner_is_refused_even_itself(client):
    # given
    mine, theirs, key = await _october_history()
    # when
    other = await partner_gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", theirs.id)}, key=key)
    itself = await partner_gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", mine.id)}, key=key)
    # then
    expected = refused("settlementStatement", "FORBIDDEN", "A partner sees only its own statement: leave out partnerId")
    assert other == itself == expected


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"from": "2026-11-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}, "`from` must be before `to`"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "The range covers at most 3 years"),
    ],
)
async def test_a_bad_period_is_refused(client, period, message):
    # given
    _, _, key = await _october_history()
    # when
    result = await partner_gql(client, STATEMENT, {"period": period}, key=key)
    # then
    assert result == {
        "data": None,
        "errors": [
            {"message": message, "locations": ANY, "path": ["settlementStatement"], "extensions": {"code": "BAD_USER_INPUT"}}
        ],
    }


async def test_staff_must_name_the_partner(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    # when
    result = await gql(client, STATEMENT, {"period": OCTOBER}, token=token)
    # then
    assert result["errors"][0]["message"] == "Name the partner: partnerId"
    assert result["data"] is None


async def test_the_statement_costs_the_same_statements_for_many_redemptions_as_for_one(client, sql):
    # given
    await make_tiers()
    partner = await make_partner()
    _, key = await make_api_key(partner)
    member = await make_member()
    await make_earning(member, 10_000, at=EARNED)
    box = await push_only_item(partner, "box", 10)
    october = datetime(2026, 10, 10, tzinfo=timezone.utc)
    async with Redeemer() as redeemer:
        await redeemer.redeem(member, box, at=october)
        await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)  # the key's first use is recorded once
        sql.statements.clear()
        one = await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)
        for_one = len(sql.statements)
        for n in range(30):
            await redeemer.redeem(member, box, at=october + timedelta(minutes=n))
    # when
    sql.statements.clear()
    many = await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)
    # then
    assert len(sql.statements) == for_one, "\n".join(sql.statements)
    assert (one["data"]["settlementStatement"]["redemptions"], many["data"]["settlementStatement"]["redemptions"]) == (1, 31)


def _expected(partner: models.Partner, figures) -> dict:
    return {
        "partner": {"name": partner.name},
        "from": "2026-10-01T00:00:00+00:00",
        "to": "2026-11-01T00:00:00+00:00",
        "pointsRedeemed": figures.points_redeemed,
        "pointsReversed": figures.points_reversed,
        "redemptions": figures.redemptions,
        "vouchersConsumed": ANY,
        "pointValue": str(partner.point_value),
        "currency": partner.currency,
        "amountOwed": owed(figures, partner),
    }


async def test_over_http_the_statement_is_the_ledgers_for_the_partner_and_its_manager(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as cellar_process:
        # given: a cellar with an endpoint (the saga against the reference partner) and a push-only
        # florist; redemptions before, in and after October, some refunded, one refused by the cellar
        tiers = await make_tiers()
        cellar = await make_partner(
            "Test Cellar", base_url=cellar_process.url, signing_secret=SECRET, point_value=Decimal("0.0125"), currency="EUR"
        )
        florist = await make_partner("Florist", point_value=Decimal("0.0300"))
        cellar_key, florist_key = (await make_api_key(cellar))[1], (await make_api_key(florist))[1]
        member = await make_member(tier=tiers["Gold"])
        await make_earning(member, 100_000, at=EARNED)
        tasting, barolo = f"partner:{cellar.id}:wine-tasting-evening", f"partner:{cellar.id}:wine-barolo-vertical"
        bouquet = await push_only_item(florist, "bouquet", 350)
        async with Redeemer() as redeemer:
            history = [
                (tasting, FROM - timedelta(seconds=1), 1, None),
                (tasting, FROM, 2, None),
                (tasting, datetime(2026, 9, 25, tzinfo=timezone.utc), 1, FROM + timedelta(days=1)),
                (tasting, datetime(2026, 10, 30, tzinfo=timezone.utc), 1, TO + timedelta(days=1)),
                (barolo, datetime(2026, 10, 12, tzinfo=timezone.utc), 7, None),  # refused: 6 in stock
                (tasting, TO, 1, None),
                (bouquet, datetime(2026, 10, 2, tzinfo=timezone.utc), 3, datetime(2026, 10, 3, tzinfo=timezone.utc)),
                (bouquet, datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc), 1, None),
                (bouquet, datetime(2026, 11, 2, tzinfo=timezone.utc), 2, None),
            ]
            for reward_key, at, quantity, refunded_at in history:
                done = await redeemer.redeem(member, reward_key, at=at, quantity=quantity)
                if refunded_at is not None:
                    await refund(done, at=refunded_at)
        manager = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
        # when
        answers = {
            partner.id: (
                await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key),
                await gql(client, STATEMENT, {"period": OCTOBER, "partnerId": gid("Partner", partner.id)}, token=manager),
            )
            for partner, key in [(cellar, cellar_key), (florist, florist_key)]
        }
    # then: each equals the ledger's figures, the same for the partner and its manager
    for partner in (cellar, florist):
        expected = {"data": {"settlementStatement": _expected(partner, await ledger_figures(partner, FROM, TO))}}
        assert answers[partner.id] == (expected, expected)
    # ...which are, written out: the cellar 3,600 + 1,800 spent, 1,800 given back in October;
    # the florist 1,050 + 350 spent, 1,050 given back
    figures = [
        (answer["pointsRedeemed"], answer["pointsReversed"], answer["redemptions"], answer["amountOwed"])
        for answer in (answers[partner.id][0]["data"]["settlementStatement"] for partner in (cellar, florist))
    ]
    assert figures == [(3_600, 1_800, 2, "45.0000"), (350, 1_050, 2, "10.5000")]
