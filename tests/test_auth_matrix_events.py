"""The auth matrix of events: every non-public event operation against every kind of caller.

Written out by hand from domain/policy.py read as the spec. Events themselves are public club
information (`events`, `event`, node Event). Registrations and feedback are the member's own, event
staff's (EVENT_ATTENDEES_READ) and those of staff who may read the member, account managers for their
own members only. Members register and cancel for themselves; staff with EVENT_REGISTER on their behalf.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

import pytest

from domain import events, models
from domain.viewer import member_viewer, staff_viewer
from tests.auth_matrix import (
    ADMINISTRATOR,
    ANONYMOUS,
    CALLERS,
    CLUB_MANAGER,
    EVENT_MANAGER,
    FORBID,
    FRONT_DESK,
    MEMBER_NOT_FOUND,
    NOT_FOUND,
    NOT_MINE,
    NULL,
    OK,
    OTHER_MEMBER,
    OWN_MANAGER,
    PARTNER_MANAGER,
    THE_MEMBER,
    UNAUTH,
    Club,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    mutation,
    node_read,
    nodes_read,
)
from tests.factories import gid, gql, make_event, make_registration

PUBLIC_FIELDS = ("events", "event")
PUBLIC_NODE_TYPES = ("Event",)

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "node EventRegistration":     (NULL,     NULL,      OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "nodes EventRegistration":    (NULL,     NULL,      OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "node EventFeedback":         (NULL,     NULL,      OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "nodes EventFeedback":        (NULL,     NULL,      OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
}

# NOT_FOUND for another member on eventFeedbackSubmit: they did not attend, a payload error (NOT_ATTENDED).
WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "eventCreate":                (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   OK,     FORBID, OK,     OK),
    "eventUpdate":                (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   OK,     FORBID, OK,     OK),
    "eventCancel":                (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   OK,     FORBID, OK,     OK),
    "eventRegister":              (UNAUTH,   NOT_FOUND, OK,     OK,     OK,     NOT_MINE, OK,     FORBID, OK,     OK),
    "eventCancelRegistration":    (UNAUTH,   NOT_FOUND, OK,     OK,     OK,     NOT_MINE, OK,     FORBID, OK,     OK),
    "eventCheckIn":               (UNAUTH,   FORBID,    FORBID, OK,     FORBID, FORBID,   OK,     FORBID, OK,     OK),
    "eventFeedbackSubmit":        (UNAUTH,   NOT_FOUND, OK,     FORBID, FORBID, FORBID,   FORBID, FORBID, FORBID, FORBID),
}
# fmt: on


@dataclass
class EventClub(Club):
    """The club, with an open event, one the member registered for, one they attended, and one they rated."""

    open_event: models.Event
    registration: models.EventRegistration
    attended: models.Event
    feedback: models.EventFeedback


async def _attend(event: models.Event, member: models.Member, staff: models.Staff) -> models.EventRegistration:
    registration = await make_registration(event, member)
    await events.check_in(viewer=staff_viewer(staff.id, staff.role), registration_id=registration.id)
    return registration


async def make_event_club() -> EventClub:
    club = await make_club()
    member, manager = club.member, club.staff[EVENT_MANAGER]
    soon = timedelta(hours=1)
    registration = await make_registration(await make_event(title="Registered", starts_in=soon), member)
    attended = await make_event(title="Attended", starts_in=soon)
    await _attend(attended, member, manager)
    rated = await make_event(title="Rated", starts_in=soon)
    await _attend(rated, member, manager)
    feedback = await events.submit_feedback(
        viewer=member_viewer(member.id), event_id=rated.id, rating=4, comment="Fine"
    )
    return EventClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        open_event=await make_event(title="Open house"),
        registration=registration,
        attended=attended,
        feedback=feedback,
    )


READ_OPERATIONS = {
    "node EventRegistration": node_read("EventRegistration", lambda club: (club.registration.id, {})),
    "nodes EventRegistration": nodes_read("EventRegistration", lambda club: (club.registration.id, {})),
    "node EventFeedback": node_read("EventFeedback", lambda club: (club.feedback.id, {})),
    "nodes EventFeedback": nodes_read("EventFeedback", lambda club: (club.feedback.id, {})),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_event_club(), READ_OPERATIONS[operation], operation, caller, outcome)


async def _titles(club: EventClub) -> list[str]:
    return await models.Event.all().order_by("id").values_list("title", flat=True)


async def _open_event_title_and_status(club: EventClub) -> tuple[str, str]:
    event = await models.Event.get(id=club.open_event.id)
    return event.title, str(event.status)


async def _registrations_for_the_open_event(club: EventClub) -> list[str]:
    rows = await models.EventRegistration.filter(event_id=club.open_event.id).values_list("status", flat=True)
    return [str(status) for status in rows]


async def _registration_state(club: EventClub) -> tuple[str, bool]:
    row = await models.EventRegistration.get(id=club.registration.id)
    return str(row.status), row.checked_in_at is not None


async def _ratings_of_the_attended_event(club: EventClub) -> list[int]:
    return await models.EventFeedback.filter(event_id=club.attended.id).values_list("rating", flat=True)


TITLES = ["Registered", "Attended", "Rated", "Open house"]

WRITE_OPERATIONS = {
    "eventCreate": Write(
        mutation("eventCreate", "event { title }"),
        lambda club: {
            "title": "Matrix gala",
            "category": "DINNER",
            "venue": "The hall",
            "startsAt": (club.open_event.starts_at + timedelta(days=1)).isoformat(),
            "endsAt": (club.open_event.starts_at + timedelta(days=1, hours=4)).isoformat(),
            "capacity": 40,
        },
        lambda club: {"event": {"title": "Matrix gala"}},
        {"event": None},
        _titles,
        before=TITLES,
        after=[*TITLES, "Matrix gala"],
    ),
    "eventUpdate": Write(
        mutation("eventUpdate", "event { title }"),
        lambda club: {"eventId": gid("Event", club.open_event.id), "title": "Open house, renamed"},
        lambda club: {"event": {"title": "Open house, renamed"}},
        {"event": None},
        _open_event_title_and_status,
        before=("Open house", "scheduled"),
        after=("Open house, renamed", "scheduled"),
    ),
    "eventCancel": Write(
        mutation("eventCancel", "event { status }"),
        lambda club: {"eventId": gid("Event", club.open_event.id), "reason": "Storm warning"},
        lambda club: {"event": {"status": "CANCELLED"}},
        {"event": None},
        _open_event_title_and_status,
        before=("Open house", "scheduled"),
        after=("Open house", "cancelled"),
    ),
    "eventRegister": Write(
        mutation("eventRegister", "registration { status } event { seatsTaken }"),
        lambda club: {
            "eventId": gid("Event", club.open_event.id),
            "memberId": gid("Member", club.member.id),
            "idempotencyKey": "matrix",
        },
        lambda club: {"registration": {"status": "CONFIRMED"}, "event": {"seatsTaken": 1}},
        {"registration": None, "event": None},
        _registrations_for_the_open_event,
        before=[],
        after=["confirmed"],
        not_found=MEMBER_NOT_FOUND,
    ),
    "eventCancelRegistration": Write(
        mutation("eventCancelRegistration", "registration { status } refundedPoints"),
        lambda club: {"registrationId": gid("EventRegistration", club.registration.id), "idempotencyKey": "matrix"},
        lambda club: {"registration": {"status": "CANCELLED"}, "refundedPoints": 0},
        {"registration": None, "refundedPoints": None},
        _registration_state,
        before=("confirmed", False),
        after=("cancelled", False),
        not_found={"field": "registrationId", "code": "NOT_FOUND", "message": "Registration not found"},
    ),
    "eventCheckIn": Write(
        mutation("eventCheckIn", "registration { status }"),
        lambda club: {"registrationId": gid("EventRegistration", club.registration.id)},
        lambda club: {"registration": {"status": "CONFIRMED"}},
        {"registration": None},
        _registration_state,
        before=("confirmed", False),
        after=("confirmed", True),
    ),
    "eventFeedbackSubmit": Write(
        mutation("eventFeedbackSubmit", "feedback { rating }"),
        lambda club: {"eventId": gid("Event", club.attended.id), "rating": 5},
        lambda club: {"feedback": {"rating": 5}},
        {"feedback": None},
        _ratings_of_the_attended_event,
        before=[],
        after=[5],
        not_found={
            "field": "eventId",
            "code": "NOT_ATTENDED",
            "message": "Only members who attended can rate this event",
        },
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_event_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


EVENT_ATTENDEES = """query($id: ID!) { event(id: $id) {
  registrations { edges { node { id } } } feedback { edges { node { rating } } } averageRating } }"""


@pytest.mark.parametrize(
    ("caller", "sees"),
    [
        (ANONYMOUS, False),
        (THE_MEMBER, False),
        (FRONT_DESK, True),
        (OWN_MANAGER, False),
        (EVENT_MANAGER, True),
        (PARTNER_MANAGER, False),
        (CLUB_MANAGER, True),
        (ADMINISTRATOR, True),
    ],
)
async def test_an_events_attendees_and_feedback_are_for_event_staff_only(client, caller, sees):
    # given
    club = await make_event_club()
    # when
    result = await gql(client, EVENT_ATTENDEES, {"id": gid("Event", club.feedback.event_id)}, token=club.token(caller))
    # then
    shown = {
        "registrations": {"edges": [{"node": {"id": gid("EventRegistration", club.feedback.registration_id)}}]},
        "feedback": {"edges": [{"node": {"rating": 4}}]},
        "averageRating": 4.0,
    }
    hidden = {"registrations": None, "feedback": None, "averageRating": None}
    assert result == {"data": {"event": shown if sees else hidden}}


# fmt: off
# Member.eventRegistrations: the registrations' own read rule (events.may_read_registration), not any MEMBER_READ.
MEMBER_EVENT_REGISTRATIONS = dict(zip(CALLERS, (
    NULL,     NULL,      OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK), strict=True))
# fmt: on

MEMBER_REGISTRATIONS = """query($id: ID!) { member(id: $id) {
  eventRegistrations { edges { node { event { title } } } } } }"""


@pytest.mark.parametrize(("caller", "outcome"), MEMBER_EVENT_REGISTRATIONS.items())
async def test_a_members_registrations_on_member(client, caller, outcome):
    # given
    club = await make_event_club()
    # when
    result = await gql(client, MEMBER_REGISTRATIONS, {"id": gid("Member", club.member.id)}, token=club.token(caller))
    # then
    if caller in (ANONYMOUS, OTHER_MEMBER, PARTNER_MANAGER):
        assert result == {"data": {"member": None}}  # the member is out of sight altogether
    elif outcome == OK:
        titles = ["Rated", "Attended", "Registered"]  # newest first
        edges = [{"node": {"event": {"title": title}}} for title in titles]
        assert result == {"data": {"member": {"eventRegistrations": {"edges": edges}}}}
    else:
        assert result == {"data": {"member": {"eventRegistrations": None}}}
