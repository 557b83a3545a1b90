"""200 members race for the last unit of a club reward: exactly one gets it, the others OUT_OF_STOCK.

Once in-process (concurrent requests on one app) and once through a real uvicorn with several
worker processes sharing the database; the suite runs it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import httpx
import pytest

from domain import ledger, models
from tests.factories import gql, make_club_reward, make_earning, make_member, member_token, reward_gid
from tests.servers import serve

MEMBERS = 200
PRICE = 300
WORKERS = 3

REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) {
  redemption { status voucher { code } } errors { code } } }"""


@asynccontextmanager
async def _http(mode: str, client: httpx.AsyncClient, database_url: str, workers_seen: set[str]) -> AsyncIterator[httpx.AsyncClient]:
    if mode == "in-process":
        yield client
        return
    with serve(database_url, workers=WORKERS) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60.0) as http:
            yield http
        workers_seen.update(line for line in server.output().splitlines() if "Started server process" in line)


@pytest.mark.parametrize("mode", ["in-process", "workers"])
async def test_two_hundred_members_race_for_the_last_unit(client, database_url, mode):
    # given
    reward = await make_club_reward("Last cellar tour", points_price=PRICE, stock=1)
    members = []
    for _ in range(MEMBERS):
        member = await make_member()
        await make_earning(member, 1_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        members.append(member)

    async def redeem(http: httpx.AsyncClient, member: models.Member) -> tuple[int, str]:
        variables = {"input": {"rewardId": reward_gid(f"club:{reward.id}"), "quantity": 1, "idempotencyKey": "last"}}
        result = await gql(http, REDEEM, variables, token=member_token(member))
        payload = result["data"]["rewardRedeem"]
        outcome = payload["redemption"]["status"] if payload["redemption"] else payload["errors"][0]["code"]
        return member.id, outcome

    # when
    workers_seen: set[str] = set()
    async with _http(mode, client, database_url, workers_seen) as http:
        outcomes = dict(await asyncio.gather(*(redeem(http, member) for member in members)))
    # then
    assert len(workers_seen) == (WORKERS if mode == "workers" else 0)
    assert Counter(outcomes.values()) == {"COMPLETED": 1, "OUT_OF_STOCK": MEMBERS - 1}
    [winner] = [member_id for member_id, outcome in outcomes.items() if outcome == "COMPLETED"]
    assert (await models.Reward.get(id=reward.id)).stock == 0
    assert await models.Redemption.all().values_list("member_id", "status") == [(winner, models.RedemptionStatus.COMPLETED)]
    assert await models.Voucher.all().values_list("member_id", flat=True) == [winner]
    balances = dict(await models.Member.filter(id__in=[m.id for m in members]).values_list("id", "points_balance"))
    assert balances == {m.id: 1_000 - (PRICE if m.id == winner else 0) for m in members}
    assert await ledger.check_invariants() == []
