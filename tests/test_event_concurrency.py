"""200 members race for 20 seats: exactly 20 confirmed, the rest waitlisted in arrival order.

Once in-process (concurrent requests on one app) and once through a real uvicorn with several
worker processes sharing the database; the suite runs it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from domain import ledger, models
from domain.models import EntryKind, RegistrationStatus
from tests.factories import gid, gql, make_earning, make_event, make_member, make_staff, member_token, staff_token
from tests.servers import serve

MEMBERS = 200
SEATS = 20
PRICE = 10
WORKERS = 3

REGISTER = """mutation($input: EventRegisterInput!) { eventRegister(input: $input) {
  registration { id status } errors { code } } }"""
CANCEL = """mutation($input: EventCancelRegistrationInput!) { eventCancelRegistration(input: $input) {
  refundedPoints promoted { id } errors { code } } }"""
POSITIONS = """query($id: ID!) { event(id: $id) { seatsTaken waitlistCount
  registrations(first: 100, status: WAITLISTED) { edges { node { id waitlistPosition } } } } }"""


@asynccontextmanager
async def _http(
    mode: str, client: httpx.AsyncClient, database_url: str, workers_seen: set[str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The test's client, or one speaking to a uvicorn with several workers; notes the workers that started."""
    if mode == "in-process":
        yield client
        return
    with serve(database_url, workers=WORKERS) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60.0) as http:
            yield http
        workers_seen.update(line for line in server.output().splitlines() if "Started server process" in line)


async def _held_and_paid(member_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """The member's entries' kinds and amounts besides the points earned."""
    rows = await models.LedgerEntry.filter(member_id__in=member_ids).exclude(kind=EntryKind.EARN).order_by("id")
    result: dict[int, tuple] = {member_id: () for member_id in member_ids}
    for row in rows:
        result[row.member_id] += ((str(row.kind), row.amount),)
    return result


@pytest.mark.parametrize("mode", ["in-process", "workers"])
async def test_two_hundred_registrations_for_twenty_seats(client, database_url, mode):
    # given
    event = await make_event(capacity=SEATS, price_points=PRICE)
    members = []
    for _ in range(MEMBERS):
        member = await make_member()
        await make_earning(member, 15, at=ledger.utcnow())
        members.append(member)
    staff = await make_staff(models.StaffRole.EVENT_MANAGER)  # cancels for a member, and sees who moves up
    ids_by_member = {}

    async def register(http: httpx.AsyncClient, member: models.Member) -> None:
        variables = {"input": {"eventId": gid("Event", event.id), "idempotencyKey": f"race-{member.id}"}}
        result = await gql(http, REGISTER, variables, token=member_token(member))
        assert result["data"]["eventRegister"]["errors"] == [], result
        ids_by_member[member.id] = result["data"]["eventRegister"]["registration"]

    # when
    workers_seen: set[str] = set()
    async with _http(mode, client, database_url, workers_seen) as http:
        await asyncio.gather(*(register(http, member) for member in members))
        rows = await models.EventRegistration.filter(event_id=event.id).order_by("id")
        first_seat = rows[0]
        cancelled = await gql(
            http,
            CANCEL,
            {"input": {"registrationId": gid("EventRegistration", first_seat.id), "idempotencyKey": "give-up"}},
            token=staff_token(staff),
        )
    # then
    assert len(workers_seen) == (WORKERS if mode == "workers" else 0)
    confirmed = [row for row in rows if row.status == RegistrationStatus.CONFIRMED]
    waitlisted = [row for row in rows if row.status == RegistrationStatus.WAITLISTED]
    assert (len(confirmed), len(waitlisted)) == (SEATS, MEMBERS - SEATS)
    assert max(row.id for row in confirmed) < min(row.id for row in waitlisted)
    assert {ids_by_member[row.member_id]["status"] for row in confirmed} == {"CONFIRMED"}
    assert {ids_by_member[row.member_id]["status"] for row in waitlisted} == {"WAITLISTED"}
    entries = await _held_and_paid([row.member_id for row in rows])
    assert all(entries[row.member_id][0] == ("redeem", -PRICE) for row in confirmed)
    assert all(entries[row.member_id][0] == ("hold", -PRICE) for row in waitlisted)
    # ...and after the first seat was given up, the head of the waitlist has it
    head = waitlisted[0]
    assert cancelled == {
        "data": {
            "eventCancelRegistration": {
                "refundedPoints": PRICE,
                "promoted": [{"id": gid("EventRegistration", head.id)}],
                "errors": [],
            }
        }
    }
    assert (await models.EventRegistration.get(id=head.id)).status == RegistrationStatus.CONFIRMED
    assert (await models.Event.get(id=event.id)).seats_taken == SEATS
    balances = dict(await models.Member.filter(id__in=[m.id for m in members]).values_list("id", "points_balance"))
    assert balances[first_seat.member_id] == 15
    assert all(balance == 15 - PRICE for member_id, balance in balances.items() if member_id != first_seat.member_id)
    assert await ledger.check_invariants() == []
    # the waitlist positions, 1.. in arrival order, as staff see them
    page = await gql(client, POSITIONS, {"id": gid("Event", event.id)}, token=staff_token(staff))
    still_waiting = waitlisted[1:]
    assert page == {
        "data": {
            "event": {
                "seatsTaken": SEATS,
                "waitlistCount": len(still_waiting),
                "registrations": {
                    "edges": [
                        {"node": {"id": gid("EventRegistration", row.id), "waitlistPosition": position}}
                        for position, row in enumerate(still_waiting[:100], start=1)
                    ]
                },
            }
        }
    }
