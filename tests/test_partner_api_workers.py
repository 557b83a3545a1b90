"""The partner API's exactly-once rules hold across two uvicorn worker processes sharing one database."""

from __future__ import annotations

import asyncio

import httpx

from domain import ledger, models
from tests.factories import make_api_key, make_member, make_member_reference, make_partner, make_voucher
from tests.servers import serve

CONSUME = """mutation($code: String!, $key: String!) {
  voucherConsume(input: {code: $code, idempotencyKey: $key}) { errors { code } } }"""
AWARD = """mutation($reference: String!, $purchase: String!) {
  partnerPointsAward(input: {memberReference: $reference, points: 100, purchaseReference: $purchase,
                             idempotencyKey: $purchase}) { errors { code } } }"""


async def test_one_voucher_is_taken_once_and_the_daily_cap_holds_through_two_workers(database_url):
    # given: one voucher, and a cap of 1,000 points a day
    partner = await make_partner(daily_award_cap=1000)
    _, key = await make_api_key(partner)
    member = await make_member()
    voucher = await make_voucher(member, partner, code="WINE-1")
    reference = await make_member_reference(partner, member)
    headers = {"Authorization": f"ApiKey {key}"}

    async def call(http: httpx.AsyncClient, query: str, variables: dict, field: str) -> list[str]:
        response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        return [error["code"] for error in response.json()["data"][field]["errors"]]

    # when: 30 takes of the voucher under different keys, and 30 awards of 100 points
    with serve(database_url, workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as http:
            takes = asyncio.gather(
                *(call(http, CONSUME, {"code": "WINE-1", "key": f"t{n}"}, "voucherConsume") for n in range(30))
            )
            awards = asyncio.gather(
                *(call(http, AWARD, {"reference": reference, "purchase": f"R-{n}"}, "partnerPointsAward") for n in range(30))
            )
            taken, awarded = await asyncio.gather(takes, awards)
    # then
    assert taken.count([]) == 1 and all(errors in ([], ["ALREADY_CONSUMED"]) for errors in taken)
    assert awarded.count([]) == 10 and all(errors in ([], ["DAILY_CAP_EXCEEDED"]) for errors in awarded)
    assert (await models.Voucher.get(id=voucher.id)).status == models.VoucherStatus.CONSUMED
    assert await models.PartnerPointsAward.filter(member_id=member.id).count() == 10
    # the voucher's redemption spent what it earned: the balance is the awards alone
    assert (await models.Member.get(id=member.id)).points_balance == 1000
    assert await ledger.check_invariants() == []
