"""eventCancel: everyone registered is refunded (or released), gets guest passes back, and is told."""

from __future__ import annotations

from datetime import timedelta

from domain import events, ledger, models
from domain.viewer import staff_viewer
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_event,
    make_member,
    make_registration,
    make_staff,
    make_tiers,
    points_of,
    staff_token,
)

CANCEL = """
mutation($input: EventCancelInput!) {
  eventCancel(input: $input) {
    event { status cancelledAt cancellationReason seatsTaken waitlistCount }
    errors { field code message }
  }
}
"""


def cancel(event, reason="The chef is ill"):
    return {"input": {"eventId": gid("Event", event.id), "reason": reason}}


async def test_cancelling_an_event_refunds_every_registration_even_after_the_deadline(client):
    # given: 30 hours to go, past the cancellation deadline
    tiers = await make_tiers()
    event = await make_event(capacity=3, price_points=20, starts_in=timedelta(hours=30), title="Truffle dinner")
    members = [await make_member(tier=tiers["Gold"]) for _ in range(3)]
    for member in members:
        await make_earning(member, 100, at=ledger.utcnow() - timedelta(days=1))
    await make_registration(event, members[0], guests=1)
    await make_registration(event, members[1])
    await make_registration(event, members[2], guests=1)  # waitlisted: 2 seats do not fit in 0
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    # when
    result = await gql(client, CANCEL, cancel(event), token=staff_token(manager))
    # then
    row = await models.Event.get(id=event.id)
    assert result == {
        "data": {
            "eventCancel": {
                "event": {
                    "status": "CANCELLED",
                    "cancelledAt": row.cancelled_at.isoformat(),
                    "cancellationReason": "The chef is ill",
                    "seatsTaken": 0,
                    "waitlistCount": 0,
                },
                "errors": [],
            }
        }
    }
    assert [await points_of(m) for m in members] == [(100, 0)] * 3
    assert await models.BenefitUsage.filter(used__gt=0).count() == 0
    assert await models.EventRegistration.filter(status__not=models.RegistrationStatus.CANCELLED).count() == 0
    messages = await models.Interaction.filter(kind=models.InteractionKind.MESSAGE).order_by("member_id")
    day = f"{event.starts_at:%Y-%m-%d}"
    told = f"Truffle dinner on {day} is cancelled (The chef is ill). Your registration is cancelled and "
    assert [(m.member_id, m.staff_id, m.summary) for m in messages] == [
        (members[0].id, manager.id, told + "40 points were given back."),
        (members[1].id, manager.id, told + "20 points were given back."),
        (members[2].id, manager.id, told + "40 points were given back."),
    ]
    assert await ledger.check_invariants() == []


async def test_a_cancelled_event_cannot_be_cancelled_again_nor_a_finished_one(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    cancelled = await make_event(status=models.EventStatus.CANCELLED)
    finished = await make_event(starts_at=ledger.utcnow() - timedelta(days=1))
    # when
    results = [await gql(client, CANCEL, cancel(event), token=token) for event in (cancelled, finished)]
    blank = await gql(client, CANCEL, cancel(await make_event(), reason=" "), token=token)
    # then
    assert [r["data"]["eventCancel"]["errors"] for r in results] == [
        [{"field": "eventId", "code": "EVENT_CLOSED", "message": "This event was cancelled"}],
        [{"field": "eventId", "code": "EVENT_CLOSED", "message": "This event is over"}],
    ]
    assert blank == {
        "data": {
            "eventCancel": {
                "event": None,
                "errors": [{"field": "reason", "code": "REQUIRED", "message": "This value is required"}],
            }
        }
    }


async def test_an_event_that_has_started_cannot_be_cancelled(client):
    # given: a paid seat, checked in at the door; then the event began half an hour ago
    event = await make_event(capacity=2, price_points=20, starts_in=timedelta(hours=1))
    member = await make_member()
    await make_earning(member, 100, at=ledger.utcnow() - timedelta(days=1))
    registration = await make_registration(event, member)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    await events.check_in(viewer=staff_viewer(desk.id, desk.role), registration_id=registration.id)
    now = ledger.utcnow()
    await models.Event.filter(id=event.id).update(
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(hours=1),
        cancellation_deadline=now - timedelta(hours=48),
    )
    balance = await points_of(member)
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    # when
    result = await gql(client, CANCEL, cancel(event), token=staff_token(manager))
    # then: refused; the seat stays paid and attended, nobody is refunded
    errors = [{"field": "eventId", "code": "EVENT_CLOSED", "message": "The event has started"}]
    assert result == {"data": {"eventCancel": {"event": None, "errors": errors}}}
    row = await models.EventRegistration.get(id=registration.id)
    assert (str(row.status), row.checked_in_at is not None, row.refund_entry_id) == ("confirmed", True, None)
    assert str((await models.Event.get(id=event.id)).status) == "scheduled"
    assert await points_of(member) == balance
