"""Subscriptions over graphql-transport-ws against real uvicorn processes, with a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import websockets
from tortoise import connections
from tortoise.transactions import in_transaction

from api import persisted
from api.context import Context
from api.settings import Settings
from api.tokens import issue_token
from api.websocket import _SubscriptionsOnly
from domain import ledger, live, models
from domain.ledger import EntryFields
from domain.models import EntrySource, StaffRole
from domain.viewer import member_viewer
from schema import build_schema
from tests.conftest import BACKEND
from tests.factories import (
    SECRET_KEY,
    gid,
    make_api_key,
    make_earning,
    make_event,
    make_member,
    make_partner,
    make_registration,
    make_staff,
    make_ticket,
    member_token,
    staff_token,
)
from tests.servers import ServerProcess, serve

WAIT = 5.0  # seconds for something that must come; far more than it takes
QUIET = 0.5  # seconds of silence taken as "nothing came"

BALANCE = "subscription { pointsBalanceChanged { id pointsBalance pointsDebt } }"
REGISTRATIONS = "subscription { registrationChanged { id status event { title } } }"
BREACHES = "subscription { ticketBreached { id subject breached member { name phone } } }"
ADJUST = """mutation($input: PointsAdjustInput!) { pointsAdjust(input: $input) { errors { code } } }"""


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ServerProcess]:
    env = {"CLUBGRAPH_LIVE_CHECK_SECONDS": "0.3", "CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0"}
    with serve(database_url, env=env) as running:
        yield running


@asynccontextmanager
async def connected(server: ServerProcess, payload: dict[str, Any] | None = None) -> AsyncIterator[Any]:
    """A WebSocket speaking graphql-transport-ws, initialised with `payload` and acknowledged."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=WAIT) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        assert await receive(socket) == {"type": "connection_ack"}
        yield socket


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def receive(socket: Any, timeout: float = WAIT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def subscribe(socket: Any, query: str, op: str = "1") -> None:
    await socket.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))


async def nothing_comes(socket: Any) -> bool:
    try:
        message = await receive(socket, QUIET)
    except TimeoutError:
        return True
    pytest.fail(f"nothing was to come, but {message} did")


async def post(server: ServerProcess, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
        headers = bearer(token) if token else {}
        response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def adjust(server: ServerProcess, manager: models.Staff, member: models.Member, points: int, key: str) -> None:
    variables = {"input": {"memberId": gid("Member", member.id), "points": points, "reason": "Goodwill", "idempotencyKey": key}}
    assert await post(server, ADJUST, variables, staff_token(manager)) == {"data": {"pointsAdjust": {"errors": []}}}


def balance(member: models.Member, points: int, debt: int = 0) -> dict[str, Any]:
    return {"id": "1", "type": "next", "payload": {"data": {"pointsBalanceChanged": {
        "id": gid("Member", member.id), "pointsBalance": points, "pointsDebt": debt}}}}


async def test_a_member_hears_their_balance_now_then_each_change_and_nothing_of_another_member(server):
    # given
    member, other = await make_member(), await make_member()
    manager = await make_staff(StaffRole.CLUB_MANAGER)
    await make_earning(member, 500, at=ledger.utcnow())
    async with connected(server, bearer(member_token(member))) as socket:
        # when
        await subscribe(socket, BALANCE)
        first = await receive(socket)
        await adjust(server, manager, other, 70, "other-1")
        quiet = await nothing_comes(socket)
        await adjust(server, manager, member, 120, "member-1")
        second = await receive(socket)
        await adjust(server, manager, member, -20, "member-2")
        third = await receive(socket)
    # then
    assert first == balance(member, 500)
    assert quiet
    assert second == balance(member, 620)
    assert third == balance(member, 600)


async def test_a_waitlisted_member_hears_of_their_promotion_when_a_seat_frees(server):
    # given
    seated, waiting = await make_member(), await make_member()
    event = await make_event(capacity=1)
    seat = await make_registration(event, seated)
    place = await make_registration(event, waiting)
    assert (seat.status, place.status) == (models.RegistrationStatus.CONFIRMED, models.RegistrationStatus.WAITLISTED)
    cancel = """mutation($input: EventCancelRegistrationInput!) { eventCancelRegistration(input: $input) { errors { code } } }"""
    async with connected(server, {"token": member_token(waiting)}) as socket:
        await subscribe(socket, REGISTRATIONS)
        quiet = await nothing_comes(socket)  # no registration of theirs changed yet
        # when
        answer = await post(
            server, cancel, {"input": {"registrationId": gid("EventRegistration", seat.id), "idempotencyKey": "c-1"}},
            member_token(seated),
        )
        message = await receive(socket)
    # then
    assert quiet
    assert answer == {"data": {"eventCancelRegistration": {"errors": []}}}
    assert message == {"id": "1", "type": "next", "payload": {"data": {"registrationChanged": {
        "id": gid("EventRegistration", place.id), "status": "CONFIRMED", "event": {"title": "Wine tasting"}}}}}


async def test_refused_callers(server):
    # given
    member = await make_member()
    desk = await make_staff(StaffRole.FRONT_DESK)
    manager = await make_staff(StaffRole.CLUB_MANAGER)
    partner = await make_partner()
    _, api_key = await make_api_key(partner)
    expired = issue_token(member_viewer(member.id), secret_key=SECRET_KEY, ttl_seconds=-5)[0]
    url = server.url.replace("http://", "ws://") + "/graphql"

    async def closed_with(payload: dict[str, Any]) -> tuple[int, str]:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await receive(socket)
        return closed.value.rcvd.code, closed.value.rcvd.reason

    async def refused(payload: dict[str, Any], query: str) -> list[tuple[str, str]]:
        async with connected(server, payload) as socket:
            await subscribe(socket, query)
            message = await receive(socket)
        assert message["type"] == "error", message
        return [(error["extensions"]["code"], error["message"]) for error in message["payload"]]

    # when / then: a bad token, an expired one, a partner's key end the connection (4403 Forbidden)
    assert await closed_with(bearer("not-a-token")) == (4403, "Forbidden")
    assert await closed_with({"token": expired}) == (4403, "Forbidden")
    assert await closed_with({"Authorization": f"ApiKey {api_key}"}) == (4403, "Forbidden")
    # anonymous callers, staff without the duty, members asking for staff's stream are refused
    assert await refused({}, BALANCE) == [("UNAUTHENTICATED", "Sign in to subscribe")]
    assert await refused(bearer(staff_token(manager)), BALANCE) == [
        ("FORBIDDEN", "Only members follow their own points and registrations")
    ]
    assert [code for code, _ in await refused(bearer(staff_token(desk)), BREACHES)] == ["FORBIDDEN"]
    assert [code for code, _ in await refused(bearer(member_token(member)), BREACHES)] == ["FORBIDDEN"]
    # queries and mutations belong on HTTP
    assert await refused(bearer(member_token(member)), "{ me { __typename } }") == [
        ("BAD_USER_INPUT", "Only subscriptions run over WebSocket: send queries and mutations over HTTP")
    ]


async def test_a_subscription_ends_when_its_sign_in_is_revoked_and_when_its_token_expires(server):
    # given
    member = await make_member(password="a-long-password")
    manager = await make_staff(StaffRole.CLUB_MANAGER)
    login = """mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"""
    signed_in = await post(server, login, {"input": {"email": member.email, "password": "a-long-password"}}, None)
    token = signed_in["data"]["login"]["token"]
    short_lived = issue_token(member_viewer(member.id), secret_key=SECRET_KEY, ttl_seconds=1)[0]
    revoke = """mutation($input: SessionRevokeInput!) { sessionRevoke(input: $input) { endedSessions } }"""
    async with connected(server, bearer(token)) as revoked, connected(server, bearer(short_lived)) as expiring:
        await subscribe(revoked, BALANCE)
        await subscribe(expiring, BALANCE)
        assert (await receive(revoked))["type"] == (await receive(expiring))["type"] == "next"
        # when
        ended = await post(server, revoke, {"input": {"memberId": gid("Member", member.id)}}, staff_token(manager))
        after_revocation = [await receive(revoked), await receive(revoked)]
        after_expiry = [await receive(expiring), await receive(expiring)]
    # then
    assert ended == {"data": {"sessionRevoke": {"endedSessions": 1}}}
    assert after_revocation == [
        {"id": "1", "type": "next", "payload": {"data": None, "errors": [{
            "message": "The sign-in has ended: sign in again to go on", "extensions": {"code": "UNAUTHENTICATED"}}]}},
        {"id": "1", "type": "complete"},
    ]
    assert after_expiry[0]["payload"]["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert after_expiry[0]["payload"]["errors"][0]["message"] == (
        "The access token has expired: connect again with a fresh one to go on"
    )
    assert after_expiry[1] == {"id": "1", "type": "complete"}


async def test_an_account_manager_hears_of_the_breaches_of_their_own_members_tickets(database_url):
    # given: the SLA check runs every second in this server
    manager = await make_staff(StaffRole.ACCOUNT_MANAGER)
    theirs = await make_member(account_manager_id=manager.id, name="Ada", phone="+41791234567")
    someone_elses = await make_member()
    overdue = datetime.now(timezone.utc) - timedelta(hours=80)
    env = {"CLUBGRAPH_JOBS_INTERVAL_SECONDS": "1"}
    with serve(database_url, env=env) as server:
        async with connected(server, bearer(staff_token(manager))) as socket:
            await subscribe(socket, BREACHES)
            await asyncio.sleep(0.1)  # the subscription is listening before the tickets exist
            # when
            other = await make_ticket(someone_elses, created_at=overdue, subject="Not theirs")
            ticket = await make_ticket(theirs, created_at=overdue, subject="The wine list")
            message = await receive(socket)
            quiet = await nothing_comes(socket)
    # then
    assert message == {"id": "1", "type": "next", "payload": {"data": {"ticketBreached": {
        "id": gid("Ticket", ticket.id), "subject": "The wine list", "breached": True,
        "member": {"name": "Ada", "phone": "+41791234567"}}}}}
    assert quiet
    assert (await models.Ticket.get(id=other.id)).breached is True  # flagged, just not theirs to hear of
    # the phone shown in full is audited, as it is over HTTP
    reads = await models.AuditEntry.filter(kind=models.AuditKind.READ).values_list("action", "member_id", "actor_id")
    assert reads == [("Member.phone", theirs.id, manager.id)]


@pytest.mark.skipif(BACKEND != "postgres", reason="several processes share live updates through PostgreSQL only")
async def test_a_change_made_through_one_server_reaches_a_subscriber_of_another(server, database_url):
    # given: a second server on the same database, as a second replica (or worker process)
    member = await make_member()
    manager = await make_staff(StaffRole.CLUB_MANAGER)
    await make_earning(member, 300, at=ledger.utcnow())
    with serve(database_url, env={"CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0"}) as two:
        async with connected(server, bearer(member_token(member))) as socket:
            await subscribe(socket, BALANCE)
            first = await receive(socket)
            # when
            await adjust(two, manager, member, 45, "replica-1")
            second = await receive(socket)
    # then
    assert (first, second) == (balance(member, 300), balance(member, 345))


async def test_nothing_is_heard_of_a_change_that_rolled_back(database_url):
    # given
    member = await make_member()
    fields = EntryFields(source=EntrySource.STAFF, reason="test")
    await live.start_listener(database_url)
    try:
        with live.listen(live.points_channel(member.id)) as listener:
            # when: a credit rolled back with its transaction, and one rolled back with its savepoint
            with pytest.raises(RuntimeError):
                async with in_transaction():
                    await ledger.credit(member_id=member.id, points=10, fields=fields)
                    raise RuntimeError("changed our mind")
            async with in_transaction():
                with pytest.raises(RuntimeError):
                    async with in_transaction():
                        await ledger.credit(member_id=member.id, points=10, fields=fields)
                        raise RuntimeError("changed our mind")
            rolled_back = await listener.next(timeout=QUIET)
            await ledger.credit(member_id=member.id, points=10, fields=fields)
            committed = await listener.next(timeout=WAIT)
    finally:
        await live.stop_listener()
    # then
    assert rolled_back is None
    assert committed == {}
    assert (await models.Member.get(id=member.id)).points_balance == 10


async def test_in_production_a_member_subscribes_with_the_apps_persisted_operations_only(settings):
    # given
    member = await make_member()
    fields = {name: getattr(settings, name) for name in Settings.__dataclass_fields__}
    production = Settings(**{**fields, "env": "production"})
    schema = _SubscriptionsOnly(build_schema(production=True), listed_only=True)
    context = Context(viewer=member_viewer(member.id), settings=production, request_id="r", federation=None)
    listed = (persisted.FOLDER / "PointsBalanceChanged.graphql").read_text()

    async def first(query: str) -> Any:
        stream = await schema.stream(query, context_value=context, variable_values=None, operation_name=None)
        try:
            return await anext(stream)
        finally:
            await stream.aclose()

    # when
    await live.start_listener(settings.database_url)
    try:
        refused = await first(BALANCE)
        allowed = await first(listed)
    finally:
        await live.stop_listener()
    # then
    assert [(error.message, error.extensions) for error in refused.errors] == [(
        "This operation is not one of the app's persisted operations: send a persisted operation's hash",
        {"code": "OPERATION_NOT_ALLOWED"},
    )]
    assert allowed.errors is None
    assert allowed.data == {"pointsBalanceChanged": {"id": gid("Member", member.id), "pointsBalance": 0, "pointsDebt": 0}}


@pytest.mark.skipif(BACKEND != "postgres", reason="the listener is PostgreSQL's")
async def test_the_listener_reconnects_after_losing_its_connection_and_tells_its_subscribers(database_url):
    # given
    member = await make_member()
    fields = EntryFields(source=EntrySource.STAFF, reason="test")
    await live.start_listener(database_url)
    try:
        before = live.listen(live.points_channel(member.id))
        # when: the listener's connection is cut
        await connections.get("default").execute_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1", [f'LISTEN "{live.PG_CHANNEL}"']
        )
        with pytest.raises(live.LiveUnavailable) as lost:
            await before.next(timeout=WAIT)
        before.close()
        after = None
        for _ in range(50):  # it reconnects within about a second
            try:
                after = live.listen(live.points_channel(member.id))
                break
            except live.LiveUnavailable:
                await asyncio.sleep(0.1)
        assert after is not None
        await ledger.credit(member_id=member.id, points=10, fields=fields)
        heard = await after.next(timeout=WAIT)
        after.close()
    finally:
        await live.stop_listener()
    # then
    assert str(lost.value) == "Live updates were interrupted; subscribe again to read the current state"
    assert heard == {}


async def test_a_subscription_sent_over_http_is_refused_with_a_clear_error(client):
    # given
    member = await make_member()
    # when
    posted = await client.post("/graphql", json={"query": BALANCE}, headers=bearer(member_token(member)))
    got = await client.get("/graphql", params={"query": BALANCE}, headers=bearer(member_token(member)))
    # then
    for response in (posted, got):
        assert response.status_code == 400
        assert response.json()["errors"] == [{
            "message": "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws), not over HTTP",
            "extensions": {"code": "BAD_USER_INPUT"},
        }]
