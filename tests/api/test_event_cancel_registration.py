"""eventCancelRegistration: refunded before the deadline, not after; the waitlist moves up at once."""

from __future__ import annotations

from datetime import timedelta

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

CANCEL = """
mutation($input: EventCancelRegistrationInput!) {
  eventCancelRegistration(input: $input) {
    registration { id status cancelledAt }
    event { seatsTaken waitlistCount }
    refundedPoints
    promoted { id status member { id } }
    errors { field code message }
  }
}
"""
MY_EVENTS = """query { me { ... on Member {
  pointsBalance eventRegistrations { edges { node { status waitlistPosition } } } } } }"""


def cancel(registration, key="cancel-1"):
    return {"input": {"registrationId": gid("EventRegistration", registration.id), "idempotencyKey": key}}


def refused_with(field, code, message):
    errors = [{"field": field, "code": code, "message": message}]
    payload = {"registration": None, "event": None, "refundedPoints": None, "promoted": None, "errors": errors}
    return {"data": {"eventCancelRegistration": payload}}


async def member_with(points, **fields):
    member = await make_member(**fields)
    if points:
        await make_earning(member, points, at=ledger.utcnow() - timedelta(days=1))
    return member


async def test_staff_cancel_a_seat_in_time_the_member_is_refunded_and_the_waitlist_head_moves_up(client):
    # given
    tiers = await make_tiers()
    event = await make_event(capacity=3, price_points=10)
    seated = await member_with(100, tier=tiers["Gold"])
    registration = await make_registration(event, seated, guests=2)
    head, behind = await member_with(100), await member_with(100)
    head_registration = await make_registration(event, head)
    await make_registration(event, behind)
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    # when
    result = await gql(client, CANCEL, cancel(registration), token=staff_token(manager))
    # then
    cancelled_at = (await models.EventRegistration.get(id=registration.id)).cancelled_at
    assert result == {
        "data": {
            "eventCancelRegistration": {
                "registration": {
                    "id": gid("EventRegistration", registration.id),
                    "status": "CANCELLED",
                    "cancelledAt": cancelled_at.isoformat(),
                },
                "event": {"seatsTaken": 2, "waitlistCount": 0},
                "refundedPoints": 30,
                "promoted": [
                    {
                        "id": gid("EventRegistration", head_registration.id),
                        "status": "CONFIRMED",
                        "member": {"id": gid("Member", head.id)},
                    },
                    {
                        "id": gid("EventRegistration", head_registration.id + 1),
                        "status": "CONFIRMED",
                        "member": {"id": gid("Member", behind.id)},
                    },
                ],
                "errors": [],
            }
        }
    }
    assert [await points_of(m) for m in (seated, head, behind)] == [(100, 0), (90, 0), (90, 0)]
    assert await models.BenefitUsage.filter(member_id=seated.id).values_list("used", flat=True) == [0]
    kinds = await models.LedgerEntry.filter(member_id=head.id).order_by("id").values_list("kind", "amount")
    assert [(str(kind), amount) for kind, amount in kinds] == [
        ("earn", 100),
        ("hold", -10),
        ("release", 10),
        ("redeem", -10),
    ]
    assert await ledger.check_invariants() == []


async def test_a_member_leaves_the_waitlist_and_gets_the_held_points_back(client):
    # given
    event = await make_event(capacity=1, price_points=10)
    await make_registration(event, await member_with(10))
    member = await member_with(10)
    registration = await make_registration(event, member)
    # when
    result = await gql(client, CANCEL, cancel(registration), token=member_token(member))
    mine = await gql(client, MY_EVENTS, token=member_token(member))
    # then
    assert result["data"]["eventCancelRegistration"]["refundedPoints"] == 10
    assert result["data"]["eventCancelRegistration"]["promoted"] == []
    assert mine == {
        "data": {
            "me": {
                "pointsBalance": 10,
                "eventRegistrations": {"edges": [{"node": {"status": "CANCELLED", "waitlistPosition": None}}]},
            }
        }
    }


async def test_after_the_deadline_the_seat_is_freed_without_a_refund(client):
    # given: 30 hours to go, the 48-hour deadline is past
    event = await make_event(capacity=1, price_points=10, starts_in=timedelta(hours=30))
    member = await member_with(10)
    registration = await make_registration(event, member)
    # when
    result = await gql(client, CANCEL, cancel(registration), token=member_token(member))
    # then
    assert result["data"]["eventCancelRegistration"]["refundedPoints"] == 0
    assert result["data"]["eventCancelRegistration"]["event"] == {"seatsTaken": 0, "waitlistCount": 0}
    assert await points_of(member) == (0, 0)


async def test_a_retry_with_the_same_key_returns_the_first_answer(client):
    # given
    member = await member_with(10)
    registration = await make_registration(await make_event(price_points=10), member)
    first = await gql(client, CANCEL, cancel(registration), token=member_token(member))
    # when
    again = await gql(client, CANCEL, cancel(registration), token=member_token(member))
    other_key = await gql(client, CANCEL, cancel(registration, key="cancel-2"), token=member_token(member))
    # then
    assert again == first
    assert other_key == refused_with("registrationId", "ALREADY_CANCELLED", "This registration is already cancelled")
    assert await points_of(member) == (10, 0)


async def test_refusals(client):
    # given
    member, other = await member_with(0), await member_with(0)
    started = await make_event(starts_in=timedelta(days=1))
    registration = await make_registration(started, member)
    await models.Event.filter(id=started.id).update(starts_at=ledger.utcnow() - timedelta(minutes=1))
    theirs = await make_registration(await make_event(), other)
    # when
    closed = await gql(client, CANCEL, cancel(registration), token=member_token(member))
    not_mine = await gql(client, CANCEL, cancel(theirs), token=member_token(member))
    # then
    assert closed == refused_with("registrationId", "EVENT_CLOSED", "The event has started or was cancelled")
    assert not_mine == refused_with("registrationId", "NOT_FOUND", "Registration not found")
    assert (await models.EventRegistration.get(id=theirs.id)).status == models.RegistrationStatus.CONFIRMED
