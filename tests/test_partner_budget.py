"""Partners' cost budgets per API key: charged the requested cost, refunded what went unused, refused
with 429 when it does not fit, refilled over time, shared by worker processes; `extensions.cost` on
every partner response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from domain import buckets, models
from schema.cost import budget_key, partner_bucket
from tests.factories import make_api_key, make_member, make_partner, make_voucher
from tests.servers import serve

VALIDATE = '{ voucherValidate(code: "WINE-1") { voucher { title member { reference } } errors { code } } }'
VALIDATE_COST = 1 + 1 + 1 + 10  # payload, voucher, its holder, the errors list
CONSUME = """mutation { voucherConsume(input: {code: "WINE-1", idempotencyKey: "k1"}) {
  voucher { status } errors { code } } }"""
CONSUME_COST = 1 + 1 + 10


@asynccontextmanager
async def app_client(settings: Settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
    fields = {name: getattr(settings, name) for name in Settings.__dataclass_fields__}
    app = create_app(Settings(**{**fields, **changes}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test") as http:
        yield http


async def post(http: httpx.AsyncClient, query: str, key: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers={"Authorization": f"ApiKey {key}"})


async def level_of(prefix: str, settings: Settings) -> float:
    return await buckets.level(budget_key(prefix), partner_bucket(settings))


@pytest.fixture
async def counter() -> tuple[models.Partner, models.PartnerApiKey, str]:
    """A partner, its key, and a voucher WINE-1 of its own."""
    partner = await make_partner()
    row, key = await make_api_key(partner)
    await make_voucher(await make_member(), partner, code="WINE-1")
    return partner, row, key


async def test_the_requested_cost_is_charged_and_the_unused_part_refunded(settings, database, counter):
    # given: a budget that barely refills during the test
    _, row, key = counter
    async with app_client(settings, partner_cost_capacity=100, partner_cost_per_second=0.001) as http:
        # when
        response = await post(http, VALIDATE, key)
        # then: 3 objects came back (payload, voucher, member), the other 10 are refunded
        assert response.status_code == 200
        body = response.json()
        assert body["data"]["voucherValidate"]["errors"] == []
        assert body["extensions"] == {"cost": {"requested": VALIDATE_COST, "actual": 3, "remaining": 97}}
        changed = await level_of(row.prefix, Settings(partner_cost_capacity=100, partner_cost_per_second=0.001))
        assert changed == pytest.approx(3, abs=0.01)


async def test_a_request_that_does_not_fit_is_refused_with_429_and_changes_nothing(settings, database, counter):
    # given: the key has spent 95 of its 100
    _, row, key = counter
    slow = Settings(partner_cost_capacity=100, partner_cost_per_second=0.001)
    await buckets.charge(budget_key(row.prefix), 95, partner_bucket(slow))
    async with app_client(settings, partner_cost_capacity=100, partner_cost_per_second=0.001) as http:
        # when
        response = await post(http, CONSUME, key)
    # then
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= (95 + CONSUME_COST - 100) / 0.001 - 1
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"This query may cost {CONSUME_COST} and this API key has 5 left: wait for the budget to "
                "refill (Retry-After)",
                "extensions": {
                    "code": "COST_BUDGET_EXCEEDED",
                    "cost": {"requested": CONSUME_COST, "actual": 0, "remaining": 5},
                },
            }
        ],
        "extensions": {"cost": {"requested": CONSUME_COST, "actual": 0, "remaining": 5}},
    }
    assert (await models.Voucher.get(code="WINE-1")).status == models.VoucherStatus.ISSUED
    assert await level_of(row.prefix, slow) == pytest.approx(95, abs=0.01)
    # and the audit log tells it was refused, not done
    audited = await models.AuditEntry.filter(action="voucherConsume").values_list("actor_kind", "outcome")
    assert audited == [("partner", "COST_BUDGET_EXCEEDED")]


async def test_a_query_costing_more_than_the_whole_budget_is_refused_without_retry_after(settings, database, counter):
    # given
    _, _, key = counter
    async with app_client(settings, partner_cost_capacity=10, partner_cost_per_second=5) as http:
        # when
        response = await post(http, VALIDATE, key)
    # then
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.json()["errors"][0]["message"] == (
        f"This query may cost {VALIDATE_COST}, more than this API key's whole budget of 10"
    )


async def test_the_budget_refills_after_draining(settings, database, counter):
    # given: a spent budget that refills 200 a second
    _, row, key = counter
    fast = Settings(partner_cost_capacity=20, partner_cost_per_second=200)
    await buckets.charge(budget_key(row.prefix), 20, partner_bucket(fast))
    async with app_client(settings, partner_cost_capacity=20, partner_cost_per_second=200) as http:
        refused = await post(http, VALIDATE, key)
        # when
        await asyncio.sleep(0.2)
        answered = await post(http, VALIDATE, key)
    # then
    assert refused.status_code == 429
    assert answered.status_code == 200
    assert answered.json()["data"]["voucherValidate"]["errors"] == []


async def test_each_api_key_has_a_budget_of_its_own(settings, database, counter):
    # given: a spent key, and a second key of the same partner
    partner, row, key = counter
    _, other = await make_api_key(partner, label="Back office")
    slow = Settings(partner_cost_capacity=20, partner_cost_per_second=0.001)
    await buckets.charge(budget_key(row.prefix), 20, partner_bucket(slow))
    async with app_client(settings, partner_cost_capacity=20, partner_cost_per_second=0.001) as http:
        # when
        spent = await post(http, VALIDATE, key)
        fresh = await post(http, VALIDATE, other)
    # then
    assert (spent.status_code, fresh.status_code) == (429, 200)


@pytest.mark.parametrize(
    ("query", "status", "cost"),
    [
        (VALIDATE, 200, {"requested": VALIDATE_COST, "actual": 3, "remaining": 997}),
        ('{ voucherValidate(code: "NOPE") { voucher { title } errors { code } } }', 200, {"requested": 12, "actual": 2, "remaining": 998}),
        ("{ members { totalCount } }", 200, {"requested": 1, "actual": 0, "remaining": 1000}),  # FORBIDDEN: not charged
        ("{ voucherValidate { errors { code } } }", 200, {"requested": 0, "actual": 0, "remaining": 1000}),  # invalid
        ("{ me { __typename } }", 200, {"requested": 1, "actual": 1, "remaining": 999}),
    ],
    ids=["answered", "payload-error", "forbidden", "invalid", "me"],
)
async def test_every_partner_response_carries_extensions_cost(client, counter, query, status, cost):
    # given
    _, _, key = counter
    # when
    response = await post(client, query, key)
    # then
    assert response.status_code == status
    assert response.json()["extensions"] == {"cost": cost}


async def test_a_query_over_the_cost_limit_carries_extensions_cost_and_charges_nothing(settings, database, counter):
    # given
    _, row, key = counter
    async with app_client(settings, max_query_cost=5) as http:
        # when
        response = await post(http, VALIDATE, key)
    # then
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert response.json()["extensions"] == {"cost": {"requested": VALIDATE_COST, "actual": 0, "remaining": 1000}}
    assert await level_of(row.prefix, settings) == 0


async def test_members_and_staff_get_no_extensions_cost(client):
    # when
    response = await client.post("/graphql", json={"query": "{ tiers { totalCount } }"})
    # then
    assert response.json() == {"data": {"tiers": {"totalCount": 0}}}


async def test_one_budget_is_shared_by_two_worker_processes(database_url, counter):
    # given: a budget of 10 that does not refill during the test, and 30 requests costing 1 each
    _, row, key = counter
    env = {"CLUBGRAPH_PARTNER_COST_CAPACITY": "10", "CLUBGRAPH_PARTNER_COST_PER_SECOND": "0.001"}
    # when
    with serve(database_url, workers=2, env=env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as http:
            responses = await asyncio.gather(*(post(http, "{ me { __typename } }", key) for _ in range(30)))
    # then: exactly 10 answered, whichever worker took them
    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 20
    assert all(response.json()["data"] == {"me": {"__typename": "Partner"}} for response in responses if response.status_code == 200)
    assert await level_of(row.prefix, Settings(partner_cost_capacity=10, partner_cost_per_second=0.001)) == pytest.approx(10, abs=0.1)
