"""The per-token rate limit of members and staff: a leaky bucket per sign-in in each process, 429 beyond it."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from api.app import create_app
from api.ratelimit import MIN_SWEEP_SIZE, RateLimiter
from domain import models
from tests.factories import gid, make_member, make_staff, member_token, staff_token
from tests.servers import serve

ME = {"query": "{ me { __typename } }"}
PHONE = "mutation($input: MemberUpdateInput!) { memberUpdate(input: $input) { errors { code } } }"


def limited(seconds: int) -> dict:
    message = f"Too many requests with this token; retry after {seconds} s"
    return {"errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app_client(settings, **limits: int) -> httpx.AsyncClient:
    """A client of an app of its own, with these limits."""
    app = create_app(dataclasses.replace(settings, **limits))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test")


async def post(client: httpx.AsyncClient, token: str | None, body: dict = ME) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json=body, headers=headers)


# --- the bucket -----------------------------------------------------------------------------


def test_a_bucket_holds_the_burst_then_lets_through_the_rate():
    # given
    clock = Clock()
    limiter = RateLimiter(per_second=2, burst=3, clock=clock)
    # when
    burst = [limiter.charge("a") for _ in range(4)]
    other = limiter.charge("b")
    clock.now += 0.5  # one request drained
    later = [limiter.charge("a"), limiter.charge("a")]
    # then
    assert burst == [0.0, 0.0, 0.0, 0.5]
    assert other == 0.0
    assert later == [0.0, 0.5]


def test_drained_buckets_are_swept_so_the_table_holds_only_recent_callers():
    # given: many callers, long gone
    clock = Clock()
    limiter = RateLimiter(per_second=20, burst=100, clock=clock)
    for n in range(3 * MIN_SWEEP_SIZE):
        limiter.charge(f"gone {n}")
    clock.now += 60
    # when: as many new callers
    for n in range(3 * MIN_SWEEP_SIZE):
        limiter.charge(f"new {n}")
    # then: the old ones were dropped along the way, the new ones are all there
    assert len(limiter) == 3 * MIN_SWEEP_SIZE
    assert limiter.charge("new 0") == 0.0


# --- over HTTP, in-process --------------------------------------------------------------------


async def test_a_member_over_the_limit_gets_429_with_retry_after_and_others_are_unaffected(settings):
    # given
    member = await make_member()
    other = await make_member()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    async with _app_client(settings, rate_limit_per_second=1, rate_limit_burst=3) as client:
        # when
        burst = [await post(client, member_token(member)) for _ in range(3)]
        over = await post(client, member_token(member))
        others = [await post(client, member_token(other)), await post(client, staff_token(staff)), await post(client, None)]
    # then
    assert [response.status_code for response in burst] == [200, 200, 200]
    assert over.status_code == 429
    assert over.headers["retry-after"] == "1"
    assert over.headers["content-type"] == "application/json"
    assert over.json() == limited(1)
    assert [response.status_code for response in others] == [200, 200, 200]


async def test_a_refused_request_changes_nothing(settings):
    # given: the member has used their burst
    member = await make_member(phone="+41791111111")
    update = {"query": PHONE, "variables": {"input": {"memberId": gid("Member", member.id), "phone": "+41792222222"}}}
    async with _app_client(settings, rate_limit_per_second=1, rate_limit_burst=1) as client:
        await post(client, member_token(member))
        # when
        response = await post(client, member_token(member), update)
    # then
    assert response.status_code == 429
    assert (await models.Member.get(id=member.id)).phone == "+41791111111"


async def test_each_sign_in_has_its_own_bucket(settings):
    # given: two sign-ins of one member
    await make_member(email="mia@example.com", password="correct horse")
    login = {
        "query": "mutation($input: LoginInput!) { login(input: $input) { token } }",
        "variables": {"input": {"email": "mia@example.com", "password": "correct horse"}},
    }
    async with _app_client(settings, rate_limit_per_second=1, rate_limit_burst=2) as client:
        phone = (await client.post("/graphql", json=login)).json()["data"]["login"]["token"]
        laptop = (await client.post("/graphql", json=login)).json()["data"]["login"]["token"]
        # when
        from_phone = [(await post(client, phone)).status_code for _ in range(3)]
        from_laptop = (await post(client, laptop)).status_code
    # then
    assert from_phone == [200, 200, 429]
    assert from_laptop == 200


async def test_a_rate_of_zero_turns_the_limit_off(settings):
    # given
    member = await make_member()
    async with _app_client(settings, rate_limit_per_second=0, rate_limit_burst=1) as client:
        # when
        responses = await asyncio.gather(*(post(client, member_token(member)) for _ in range(30)))
    # then
    assert [response.status_code for response in responses] == [200] * 30


async def test_the_default_limit_lets_a_burst_of_a_hundred_through(client):
    # given
    member = await make_member()
    # when
    responses = await asyncio.gather(*(post(client, member_token(member)) for _ in range(100)))
    # then
    assert [response.status_code for response in responses] == [200] * 100


# --- a real server ----------------------------------------------------------------------------


async def test_a_real_server_refuses_beyond_the_burst_and_recovers_at_the_rate(database_url):
    # given
    member = await make_member()
    env = {"CLUBGRAPH_RATE_LIMIT_PER_SECOND": "1", "CLUBGRAPH_RATE_LIMIT_BURST": "5"}
    with serve(database_url, env=env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            # when
            burst = await asyncio.gather(*(post(http, member_token(member)) for _ in range(8)))
            await asyncio.sleep(1.1)
            recovered = await post(http, member_token(member))
            health = await http.get("/health")
    # then
    statuses = sorted(response.status_code for response in burst)
    assert statuses == [200] * 5 + [429] * 3
    refusal = next(response for response in burst if response.status_code == 429)
    assert refusal.headers["retry-after"] == "1"
    assert refusal.json() == limited(1)
    assert recovered.status_code == 200
    assert health.status_code == 200
