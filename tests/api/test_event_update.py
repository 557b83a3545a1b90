"""eventUpdate: change an event; more seats promote the waitlist, fewer than taken are refused."""

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
    points_of,
    staff_token,
)

UPDATE = """
mutation($input: EventUpdateInput!) {
  eventUpdate(input: $input) {
    event { title capacity seatsTaken waitlistCount pricePoints minTier { name } }
    errors { field code message }
  }
}
"""


def update(event, **fields):
    return {"input": {"eventId": gid("Event", event.id), **fields}}


def refused_with(field, code, message):
    return {"data": {"eventUpdate": {"event": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def manager_token():
    return staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))


async def test_more_seats_promote_the_waitlist_and_a_new_price_is_for_new_registrations(client):
    # given
    tiers = await make_tiers()
    event = await make_event(capacity=1, price_points=10, min_tier=tiers["Gold"])
    members = [await make_member(tier=tiers["Gold"]) for _ in range(3)]
    for member in members:
        await make_earning(member, 10, at=ledger.utcnow() - timedelta(days=1))
        await make_registration(event, member)
    # when
    result = await gql(
        client,
        UPDATE,
        update(event, capacity=2, pricePoints=99, title="Grand tasting", minTierId=None),
        token=await manager_token(),
    )
    # then
    assert result == {
        "data": {
            "eventUpdate": {
                "event": {
                    "title": "Grand tasting",
                    "capacity": 2,
                    "seatsTaken": 2,
                    "waitlistCount": 1,
                    "pricePoints": 99,
                    "minTier": None,
                },
                "errors": [],
            }
        }
    }
    statuses = (
        await models.EventRegistration.filter(event_id=event.id).order_by("id").values_list("status", "points_price")
    )
    assert [(str(s), p) for s, p in statuses] == [("confirmed", 10), ("confirmed", 10), ("waitlisted", 10)]
    assert [await points_of(m) for m in members] == [(0, 0)] * 3
    assert await ledger.check_invariants() == []


async def test_the_capacity_cannot_drop_below_the_seats_taken(client):
    # given
    event = await make_event(capacity=3)
    await make_registration(event, await make_member())
    await make_registration(event, await make_member())
    # when
    result = await gql(client, UPDATE, update(event, capacity=1), token=await manager_token())
    # then
    assert result == refused_with("capacity", "CAPACITY_BELOW_TAKEN", "2 seats are taken: the capacity cannot be lower")
    assert (await models.Event.get(id=event.id)).capacity == 3


async def test_a_cancelled_or_finished_event_cannot_change(client):
    # given
    cancelled = await make_event(status=models.EventStatus.CANCELLED)
    finished = await make_event(starts_at=ledger.utcnow() - timedelta(days=2))
    token = await manager_token()
    # when
    results = [await gql(client, UPDATE, update(event, title="New"), token=token) for event in (cancelled, finished)]
    # then
    assert results == [
        refused_with("eventId", "EVENT_CLOSED", "This event was cancelled"),
        refused_with("eventId", "EVENT_CLOSED", "This event is over"),
    ]


async def test_values_cannot_be_cleared_or_made_invalid(client):
    # given
    event = await make_event()
    token = await manager_token()
    # when
    cleared = await gql(client, UPDATE, update(event, title=None), token=token)
    backwards = await gql(
        client, UPDATE, update(event, endsAt=(event.starts_at - timedelta(hours=1)).isoformat()), token=token
    )
    # then
    assert cleared == refused_with("title", "REQUIRED", "This value cannot be cleared")
    assert backwards == refused_with("endsAt", "INVALID", "The event must end after it starts")


async def test_the_capacity_cannot_drop_below_the_largest_waiting_party(client):
    # given: one seat taken, a party of three waiting for four seats
    tiers = await make_tiers()
    event = await make_event(capacity=3)
    await make_registration(event, await make_member())
    await make_registration(event, await make_member(tier=tiers["Gold"]), guests=2)
    # when
    result = await gql(client, UPDATE, update(event, capacity=2), token=await manager_token())
    # then: 2 is above the seats taken, but the party could never be seated
    assert result == refused_with(
        "capacity", "CAPACITY_BELOW_PARTY", "A party of 3 seats is registered: the capacity cannot be lower"
    )
    assert (await models.Event.get(id=event.id)).capacity == 3


DEADLINE = """
mutation($input: EventUpdateInput!) {
  eventUpdate(input: $input) { event { startsAt cancellationDeadline } errors { field code message } }
}
"""


async def test_moving_the_start_moves_the_cancellation_deadline_unless_one_is_given(client):
    # given: a week ahead, refundable until 48 hours before
    start = ledger.utcnow().replace(microsecond=0) + timedelta(days=7)
    earlier = await make_event(starts_at=start, hours=2)
    later = await make_event(starts_at=start, hours=2)
    given = await make_event(starts_at=start, hours=2)
    token = await manager_token()
    moved_up, moved_back = start - timedelta(days=4), start + timedelta(hours=1)
    # when: three days ahead now (the old deadline would be after the start), or an hour later
    up = await gql(client, DEADLINE, update(earlier, startsAt=moved_up.isoformat()), token=token)
    back = await gql(
        client,
        DEADLINE,
        update(later, startsAt=moved_back.isoformat(), endsAt=(moved_back + timedelta(hours=2)).isoformat()),
        token=token,
    )
    own = await gql(
        client,
        DEADLINE,
        update(given, startsAt=moved_up.isoformat(), cancellationDeadline=(moved_up - timedelta(hours=1)).isoformat()),
        token=token,
    )
    # then
    def shown(starts, deadline):
        event = {"startsAt": starts.isoformat(), "cancellationDeadline": deadline.isoformat()}
        return {"data": {"eventUpdate": {"event": event, "errors": []}}}

    assert up == shown(moved_up, moved_up - timedelta(hours=48))
    assert back == shown(moved_back, moved_back - timedelta(hours=48))
    assert own == shown(moved_up, moved_up - timedelta(hours=1))


async def test_times_without_an_offset_are_taken_as_utc(client):
    # given
    event = await make_event()
    # when
    result = await gql(
        client,
        DEADLINE,
        update(event, startsAt="2099-01-01T00:00:00", endsAt="2099-01-01T03:00:00"),
        token=await manager_token(),
    )
    # then
    assert result == {
        "data": {
            "eventUpdate": {
                "event": {"startsAt": "2099-01-01T00:00:00+00:00", "cancellationDeadline": "2098-12-30T00:00:00+00:00"},
                "errors": [],
            }
        }
    }
