"""Concurrent transfers against two uvicorn worker processes sharing one database."""

from __future__ import annotations

import asyncio

import httpx

from domain import ledger, models
from tests.factories import gid, make_earning, make_member, member_token
from tests.servers import serve

TRANSFER = """mutation($input: PointsTransferInput!) { pointsTransfer(input: $input) {
  errors { code } } }"""


async def test_fifty_concurrent_transfers_through_two_workers_let_exactly_three_through(database_url):
    # given
    sender = await make_member()
    receiver = await make_member()
    await make_earning(sender, 100, at=ledger.utcnow())
    token = member_token(sender)

    async def transfer(http: httpx.AsyncClient, n: int) -> list[dict]:
        variables = {
            "input": {
                "fromMemberId": gid("Member", sender.id),
                "toMemberId": gid("Member", receiver.id),
                "points": 30,
                "idempotencyKey": f"workers-{n}",
            }
        }
        response = await http.post("/graphql", json={"query": TRANSFER, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return response.json()["data"]["pointsTransfer"]["errors"]

    # when
    with serve(database_url, workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as http:
            outcomes = await asyncio.gather(*(transfer(http, n) for n in range(50)))
        pids = {line for line in server.output().splitlines() if "Started server process" in line}
    # then
    assert len(pids) == 2, "both workers served"
    assert outcomes.count([]) == 3
    assert all(errors == [] or [e["code"] for e in errors] == ["INSUFFICIENT_POINTS"] for errors in outcomes)
    assert (await models.Member.get(id=sender.id)).points_balance == 10
    assert (await models.Member.get(id=receiver.id)).points_balance == 90
    assert await ledger.check_invariants() == []
