"""eventRegister: a seat paid in points, or a place on the waitlist with the price held; guests use guest passes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_event,
    make_member,
    make_registration,
    make_staff,
    make_tiers,
    member_token,
    points_of,
    staff_token,
)

REGISTER = """
mutation($input: EventRegisterInput!) {
  eventRegister(input: $input) {
    registration { id status guests seats pointsPrice waitlistPosition member { id } }
    event { seatsTaken seatsLeft waitlistCount }
    errors { field code message }
  }
}
"""


def register(event, member=None, **fields):
    values = {"eventId": gid("Event", event.id), "idempotencyKey": "key-1", **fields}
    if member is not None:
        values["memberId"] = gid("Member", member.id)
    return {"input": values}


def refused_with(field, code, message):
    errors = [{"field": field, "code": code, "message": message}]
    return {"data": {"eventRegister": {"registration": None, "event": None, "errors": errors}}}


async def member_with(points, **fields):
    member = await make_member(**fields)
    if points:
        await make_earning(member, points, at=ledger.utcnow() - timedelta(days=1))
    return member


async def entries(member):
    rows = await models.LedgerEntry.filter(member_id=member.id).exclude(kind=models.EntryKind.EARN).order_by("id")
    return [(str(row.kind), str(row.source), row.amount, row.reference) for row in rows]


async def test_a_member_registers_with_guests_and_pays_for_every_seat(client):
    # given
    tiers = await make_tiers()
    member = await member_with(200, tier=tiers["Gold"])
    event = await make_event(capacity=10, price_points=30)
    # when
    result = await gql(client, REGISTER, register(event, guests=2), token=member_token(member))
    # then
    registration = await models.EventRegistration.get(member_id=member.id)
    assert result == {
        "data": {
            "eventRegister": {
                "registration": {
                    "id": gid("EventRegistration", registration.id),
                    "status": "CONFIRMED",
                    "guests": 2,
                    "seats": 3,
                    "pointsPrice": 90,
                    "waitlistPosition": None,
                    "member": {"id": gid("Member", member.id)},
                },
                "event": {"seatsTaken": 3, "seatsLeft": 7, "waitlistCount": 0},
                "errors": [],
            }
        }
    }
    assert await points_of(member) == (110, 0)
    assert await entries(member) == [("redeem", "event", -90, f"event-registration:{registration.id}:seats")]
    assert await models.BenefitUsage.filter(member_id=member.id).values_list("benefit_code", "used") == [
        ("guest_pass", 2)
    ]
    assert await ledger.check_invariants() == []


async def test_a_full_event_puts_the_member_on_the_waitlist_with_the_price_held(client):
    # given
    event = await make_event(capacity=1, price_points=25)
    await make_registration(event, await member_with(25))
    member = await member_with(40)
    # when
    result = await gql(client, REGISTER, register(event), token=member_token(member))
    # then
    registration = await models.EventRegistration.get(member_id=member.id)
    assert result["data"]["eventRegister"] == {
        "registration": {
            "id": gid("EventRegistration", registration.id),
            "status": "WAITLISTED",
            "guests": 0,
            "seats": 1,
            "pointsPrice": 25,
            "waitlistPosition": 1,
            "member": {"id": gid("Member", member.id)},
        },
        "event": {"seatsTaken": 1, "seatsLeft": 0, "waitlistCount": 1},
        "errors": [],
    }
    assert await points_of(member) == (15, 0)
    assert await entries(member) == [("hold", "event", -25, f"event-registration:{registration.id}:seats")]


async def test_staff_register_a_member_and_a_retry_with_the_same_key_changes_nothing(client):
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    member = await member_with(50)
    event = await make_event(price_points=20)
    # when
    first = await gql(client, REGISTER, register(event, member), token=staff_token(desk))
    again = await gql(client, REGISTER, register(event, member), token=staff_token(desk))
    # then
    assert first == again
    assert first["data"]["eventRegister"]["errors"] == []
    registration = await models.EventRegistration.get(member_id=member.id)
    assert registration.registered_by_id == desk.id
    assert await points_of(member) == (30, 0)


async def test_a_free_event_costs_nothing(client):
    # given
    member = await member_with(0)
    event = await make_event(price_points=0)
    # when
    result = await gql(client, REGISTER, register(event), token=member_token(member))
    # then
    assert result["data"]["eventRegister"]["registration"]["status"] == "CONFIRMED"
    assert result["data"]["eventRegister"]["registration"]["pointsPrice"] == 0
    assert await entries(member) == []


@pytest.mark.parametrize(
    ("case", "field", "code", "message"),
    [
        ("started", "eventId", "EVENT_CLOSED", "This event is no longer open for registration"),
        ("cancelled", "eventId", "EVENT_CLOSED", "This event is no longer open for registration"),
        ("suspended", "memberId", "MEMBER_INACTIVE", "The membership is not active"),
        ("gold only", "eventId", "TIER_TOO_LOW", "This event is for Gold members and above"),
        ("twice", "eventId", "ALREADY_REGISTERED", "Already registered for this event"),
        ("silver guest", "guests", "NO_GUEST_PASSES", "The member's tier has no guest passes"),
        ("too many guests", "guests", "INVALID", "Bring 0 to 4 guests"),
        ("quota", "guests", "QUOTA_EXCEEDED", "Guest pass: only 1 of 4 left this year"),
        ("poor", "points", "INSUFFICIENT_POINTS", "Only 10 points are available"),
        ("no such event", "eventId", "NOT_FOUND", "Event not found"),
    ],
)
async def test_refusals_register_nothing_and_move_no_points(client, case, field, code, message):
    # given
    tiers = await make_tiers()
    tier = tiers["Gold"] if case == "quota" else tiers["Silver"]
    member = await member_with(10 if case == "poor" else 100, tier=tier)
    event = await make_event(
        price_points=50 if case == "poor" else 10,
        starts_in=timedelta(minutes=-5) if case == "started" else timedelta(days=3),
        min_tier=tiers["Gold"] if case == "gold only" else None,
        status=models.EventStatus.CANCELLED if case == "cancelled" else models.EventStatus.SCHEDULED,
    )
    guests = {"silver guest": 1, "too many guests": 5, "quota": 2}.get(case, 0)
    if case == "suspended":
        await models.Member.filter(id=member.id).update(status=models.MemberStatus.SUSPENDED)
    if case == "twice":
        await make_registration(event, member)
    if case == "quota":
        await make_registration(await make_event(), member, guests=3)
    before = (await points_of(member), await models.EventRegistration.filter(event_id=event.id).count())
    variables = register(event, guests=guests)
    if case == "no such event":
        variables["input"]["eventId"] = gid("Event", event.id + 1000)
    # when
    result = await gql(client, REGISTER, variables, token=member_token(member))
    # then
    assert result == refused_with(field, code, message)
    assert (await points_of(member), await models.EventRegistration.filter(event_id=event.id).count()) == before
    assert await ledger.check_invariants() == []


async def test_staff_must_name_the_member(client):
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    event = await make_event()
    # when
    result = await gql(client, REGISTER, register(event), token=staff_token(desk))
    # then
    assert result == refused_with("memberId", "REQUIRED", "Name the member to register")


async def test_the_same_key_for_another_event_is_refused(client):
    # given
    member = await member_with(0)
    first, second = await make_event(), await make_event()
    await gql(client, REGISTER, register(first), token=member_token(member))
    # when
    result = await gql(client, REGISTER, register(second), token=member_token(member))
    # then
    assert result == refused_with(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different request; use a new key",
    )


async def test_a_party_larger_than_the_event_is_refused_and_never_blocks_the_waitlist(client):
    # given: two seats, both taken; a Gold member with guest passes asks for three
    tiers = await make_tiers()
    event = await make_event(capacity=2)
    await make_registration(event, await member_with(0))
    await make_registration(event, await member_with(0))
    party = await member_with(0, tier=tiers["Gold"])
    later = await member_with(0)
    # when
    result = await gql(client, REGISTER, register(event, guests=2), token=member_token(party))
    queued = await gql(client, REGISTER, register(event, idempotencyKey="key-2"), token=member_token(later))
    # then: refused outright, no guest pass used; the next member heads the waitlist
    assert result == refused_with("guests", "PARTY_TOO_LARGE", "The event has 2 seat(s): a party of 3 cannot fit")
    assert await models.EventRegistration.filter(member_id=party.id).count() == 0
    assert await models.BenefitUsage.filter(member_id=party.id).count() == 0
    assert queued["data"]["eventRegister"]["registration"]["waitlistPosition"] == 1
