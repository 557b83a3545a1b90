"""The event queries: public lists and details, a member's own registration, and what staff see."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from unittest.mock import ANY

import pytest

from domain import events, ledger, models
from domain.viewer import member_viewer, staff_viewer
from tests.factories import (
    gid,
    gql,
    make_event,
    make_member,
    make_registration,
    make_staff,
    make_tiers,
    member_token,
    staff_token,
)

EVENTS = """
query($first: Int, $after: String, $filter: EventFilter) {
  events(first: $first, after: $after, filter: $filter) {
    edges { node { title } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
EVENT = """
query($id: ID!) {
  event(id: $id) {
    title seatsTaken seatsLeft waitlistCount
    myRegistration { status checkInCode }
    registrations { edges { node { member { name } status waitlistPosition checkInCode feedback { rating } } } }
    feedback { edges { node { rating comment } } }
    averageRating
  }
}
"""


def titles(result):
    return [edge["node"]["title"] for edge in result["data"]["events"]["edges"]]


async def test_anyone_lists_events_by_start_time_page_by_page(client):
    # given
    for title, days in (("Late", 9), ("Early", 1), ("Middle", 5), ("Also middle", 5)):
        await make_event(title=title, starts_at=ledger.utcnow().replace(microsecond=0) + timedelta(days=days))
    # when
    first = await gql(client, EVENTS, {"first": 2})
    rest = await gql(client, EVENTS, {"first": 2, "after": first["data"]["events"]["pageInfo"]["endCursor"]})
    # then
    assert titles(first) + titles(rest) == ["Early", "Middle", "Also middle", "Late"]
    assert rest["data"]["events"]["pageInfo"]["hasNextPage"] is False


async def test_the_filter_narrows_by_dates_and_category(client):
    # given
    now = ledger.utcnow()
    await make_event(title="Tasting soon", starts_at=now + timedelta(days=1))
    await make_event(title="Lecture soon", starts_at=now + timedelta(days=2), category=models.EventCategory.LECTURE)
    await make_event(title="Tasting later", starts_at=now + timedelta(days=20))
    window = {"from": now.isoformat(), "to": (now + timedelta(days=10)).isoformat()}
    # when
    result = await gql(client, EVENTS, {"filter": {**window, "category": "TASTING"}})
    # then
    assert titles(result) == ["Tasting soon"]


async def test_eligible_for_me_shows_what_the_member_may_still_join(client):
    # given
    tiers = await make_tiers()
    now = ledger.utcnow()
    await make_event(title="Open", starts_at=now + timedelta(days=1))
    await make_event(title="Gold", starts_at=now + timedelta(days=2), min_tier=tiers["Gold"])
    await make_event(title="Diamond", starts_at=now + timedelta(days=3), min_tier=tiers["Diamond"])
    await make_event(title="Cancelled", starts_at=now + timedelta(days=4), status=models.EventStatus.CANCELLED)
    await make_event(title="Past", starts_at=now - timedelta(days=4))
    member = await make_member(tier=tiers["Platinum"])
    eligible = {"filter": {"eligibleForMe": True}}
    # when
    mine = await gql(client, EVENTS, eligible, token=member_token(member))
    anonymous = await gql(client, EVENTS, eligible)
    staff = await gql(client, EVENTS, eligible, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    # then
    assert titles(mine) == ["Open", "Gold"]
    assert anonymous == {
        "data": None,
        "errors": [
            {
                "message": "Sign in to see the events you may join",
                "locations": ANY,
                "path": ["events"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    assert staff == {
        "data": None,
        "errors": [
            {
                "message": "`eligibleForMe` is for members: staff see every event",
                "locations": ANY,
                "path": ["events"],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


async def test_a_member_sees_their_own_registration_and_code_but_not_the_attendees(client):
    # given
    event = await make_event(capacity=1, starts_in=timedelta(hours=1))
    member = await make_member(name="Mia")
    registration = await make_registration(event, member)
    await make_registration(event, await make_member(name="Otto"))
    # when
    result = await gql(client, EVENT, {"id": gid("Event", event.id)}, token=member_token(member))
    anonymous = await gql(client, EVENT, {"id": gid("Event", event.id)})
    # then
    details = {"title": "Wine tasting", "seatsTaken": 1, "seatsLeft": 0, "waitlistCount": 1}
    hidden = {"registrations": None, "feedback": None, "averageRating": None}
    assert result == {
        "data": {
            "event": {
                **details,
                "myRegistration": {"status": "CONFIRMED", "checkInCode": registration.check_in_code},
                **hidden,
            }
        }
    }
    assert anonymous == {"data": {"event": {**details, "myRegistration": None, **hidden}}}


async def test_event_staff_see_attendees_feedback_and_the_average_but_no_check_in_codes(client):
    # given
    event = await make_event(capacity=2, starts_in=timedelta(minutes=30))
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    ratings = {"Ann": (5, "Superb"), "Bob": (2, "Too loud")}
    for name, (rating, comment) in ratings.items():
        member = await make_member(name=name)
        registration = await make_registration(event, member)
        await events.check_in(viewer=staff_viewer(manager.id, manager.role), registration_id=registration.id)
        await events.submit_feedback(viewer=member_viewer(member.id), event_id=event.id, rating=rating, comment=comment)
    await make_registration(event, await make_member(name="Cy"))
    # when
    result = await gql(client, EVENT, {"id": gid("Event", event.id)}, token=staff_token(manager))
    # then
    assert result["data"]["event"]["registrations"] == {
        "edges": [
            {
                "node": {
                    "member": {"name": "Ann"},
                    "status": "CONFIRMED",
                    "waitlistPosition": None,
                    "checkInCode": None,
                    "feedback": {"rating": 5},
                }
            },
            {
                "node": {
                    "member": {"name": "Bob"},
                    "status": "CONFIRMED",
                    "waitlistPosition": None,
                    "checkInCode": None,
                    "feedback": {"rating": 2},
                }
            },
            {
                "node": {
                    "member": {"name": "Cy"},
                    "status": "WAITLISTED",
                    "waitlistPosition": 1,
                    "checkInCode": None,
                    "feedback": None,
                }
            },
        ]
    }
    assert result["data"]["event"]["feedback"] == {
        "edges": [{"node": {"rating": 5, "comment": "Superb"}}, {"node": {"rating": 2, "comment": "Too loud"}}]
    }
    assert result["data"]["event"]["averageRating"] == 3.5


async def test_an_unknown_event_is_null(client):
    # when
    result = await gql(client, EVENT, {"id": gid("Event", 404)})
    wrong_type = await gql(client, EVENT, {"id": gid("Member", 1)})
    # then
    assert result == wrong_type == {"data": {"event": None}}


async def test_a_members_registrations_newest_first_for_them_and_staff_only(client):
    # given
    member = await make_member()
    for title in ("First", "Second"):
        await make_registration(await make_event(title=title), member)
    query = (
        """query($id: ID!) { member(id: $id) { eventRegistrations { edges { node { event { title } status } } } } }"""
    )
    # when
    own = await gql(client, query, {"id": gid("Member", member.id)}, token=member_token(member))
    desk = await gql(
        client,
        query,
        {"id": gid("Member", member.id)},
        token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
    )
    # then
    expected = {
        "data": {
            "member": {
                "eventRegistrations": {
                    "edges": [
                        {"node": {"event": {"title": "Second"}, "status": "CONFIRMED"}},
                        {"node": {"event": {"title": "First"}, "status": "CONFIRMED"}},
                    ]
                }
            }
        }
    }
    assert own == desk == expected


# Taken as UTC by the events module itself, not left to the ORM's fallback (a warning, and the configured zone).
@pytest.mark.filterwarnings("error:DateTimeField:RuntimeWarning")
async def test_filter_times_without_an_offset_are_taken_as_utc(client):
    # given
    await make_event(title="New year", starts_at=datetime(2099, 1, 1, 0, 30, tzinfo=timezone.utc))
    await make_event(title="The day after", starts_at=datetime(2099, 1, 2, 0, 30, tzinfo=timezone.utc))
    # when
    result = await gql(client, EVENTS, {"filter": {"from": "2099-01-01T00:00:00", "to": "2099-01-01T01:00:00"}})
    # then
    assert titles(result) == ["New year"]


async def test_registrations_page_on_from_the_first_page_with_its_cursor(client):
    # given: three members on a one-seat event's waitlist behind a fourth, each also registered elsewhere
    event = await make_event(title="Gala", capacity=1)
    other = await make_event(title="Salon")
    members = [await make_member(name=f"Member {n}") for n in range(4)]
    for member in members:
        await make_registration(event, member)
    await make_registration(other, members[0])
    token = staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))
    waiting = """query($id: ID!, $after: String) { event(id: $id) {
      registrations(first: 2, after: $after, status: WAITLISTED) {
        edges { node { member { name } } } pageInfo { hasNextPage endCursor } } } }"""
    mine = """query($id: ID!, $after: String) { member(id: $id) {
      eventRegistrations(first: 1, after: $after) {
        edges { node { event { title } } } pageInfo { hasNextPage endCursor } } } }"""

    async def walk(query, variables, field):
        names, after = [], None
        while True:
            result = await gql(client, query, {**variables, "after": after}, token=token)
            connection = next(iter(result["data"].values()))[field]
            names.append([next(iter(edge["node"].values())) for edge in connection["edges"]])
            if not connection["pageInfo"]["hasNextPage"]:
                return names
            after = connection["pageInfo"]["endCursor"]

    # when
    waitlist = await walk(waiting, {"id": gid("Event", event.id)}, "registrations")
    own = await walk(mine, {"id": gid("Member", members[0].id)}, "eventRegistrations")
    # then
    assert waitlist == [[{"name": "Member 1"}, {"name": "Member 2"}], [{"name": "Member 3"}]]
    assert own == [[{"title": "Salon"}], [{"title": "Gala"}]]
