"""settlementStatement: a partner's own figures for a period; partner managers name the partner."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import ANY

import pytest

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_api_key,
    make_member,
    make_partner,
    make_redemption,
    make_staff,
    make_voucher,
    partner_gql,
    refused,
    staff_token,
)

STATEMENT = """
query($period: SettlementPeriodInput!, $partnerId: ID) {
  settlementStatement(period: $period, partnerId: $partnerId) {
    partner { name }
    from to pointsRedeemed pointsReversed redemptions vouchersConsumed pointValue currency amountOwed
  }
}
"""
OCTOBER = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}


async def _october_history() -> tuple[models.Partner, models.Partner, str]:
    """Maison Laurent: 1,200 points redeemed in October in two redemptions, 200 of them given back,
    one voucher consumed; Spa Lumen: 900 in October."""
    mine = await make_partner("Maison Laurent", point_value=Decimal("0.0125"), currency="EUR")
    theirs = await make_partner("Spa Lumen")
    _, key = await make_api_key(mine)
    member = await make_member()
    october = datetime(2026, 10, 10, tzinfo=timezone.utc)
    await make_redemption(member, mine, points=1000, at=october)
    refunded = await make_redemption(member, mine, points=200, at=october)
    await make_redemption(member, mine, points=5000, at=datetime(2026, 9, 30, 23, 59, tzinfo=timezone.utc))
    await make_redemption(member, theirs, points=900, at=october)
    await ledger.refund(entry_id=refunded.redeem_entry_id, reason="Cancelled", now=october + timedelta(days=1))
    await make_voucher(member, mine, status=models.VoucherStatus.CONSUMED, consumed_at=october)
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
    partner = await make_partner()
    _, key = await make_api_key(partner)
    member = await make_member()
    october = datetime(2026, 10, 10, tzinfo=timezone.utc)
    await make_redemption(member, partner, points=10, at=october)
    await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)  # the key's first use is recorded once
    sql.statements.clear()
    one = await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)
    for_one = len(sql.statements)
    for n in range(30):
        await make_redemption(member, partner, points=10, at=october + timedelta(minutes=n))
    # when
    sql.statements.clear()
    many = await partner_gql(client, STATEMENT, {"period": OCTOBER}, key=key)
    # then
    assert len(sql.statements) == for_one, "\n".join(sql.statements)
    assert (one["data"]["settlementStatement"]["redemptions"], many["data"]["settlementStatement"]["redemptions"]) == (1, 31)
