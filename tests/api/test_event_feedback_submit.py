"""eventFeedbackSubmit: members who attended rate the event once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain import events, models
from domain.viewer import staff_viewer
from tests.factories import gid, gql, make_event, make_member, make_registration, make_staff, member_token

SUBMIT = """
mutation($input: EventFeedbackSubmitInput!) {
  eventFeedbackSubmit(input: $input) {
    feedback { id rating comment event { id } member { id } }
    errors { field code message }
  }
}
"""


def submit(event, rating=5, comment=""):
    return {"input": {"eventId": gid("Event", event.id), "rating": rating, "comment": comment}}


def refused_with(field, code, message):
    errors = [{"field": field, "code": code, "message": message}]
    return {"data": {"eventFeedbackSubmit": {"feedback": None, "errors": errors}}}


async def attended():
    event = await make_event(starts_in=timedelta(minutes=30))
    member = await make_member()
    registration = await make_registration(event, member)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    await events.check_in(viewer=staff_viewer(desk.id, desk.role), registration_id=registration.id)
    return event, member, registration


async def test_a_member_who_attended_rates_the_event(client):
    # given
    event, member, registration = await attended()
    # when
    result = await gql(client, SUBMIT, submit(event, 4, " Lovely wines "), token=member_token(member))
    # then
    feedback = await models.EventFeedback.get(registration_id=registration.id)
    assert result == {
        "data": {
            "eventFeedbackSubmit": {
                "feedback": {
                    "id": gid("EventFeedback", feedback.id),
                    "rating": 4,
                    "comment": "Lovely wines",
                    "event": {"id": gid("Event", event.id)},
                    "member": {"id": gid("Member", member.id)},
                },
                "errors": [],
            }
        }
    }


async def test_concurrent_submissions_store_one(client):
    # given
    event, member, _ = await attended()
    # when
    results = await asyncio.gather(*(gql(client, SUBMIT, submit(event), token=member_token(member)) for _ in range(4)))
    # then
    codes = sorted(e["code"] for r in results for e in r["data"]["eventFeedbackSubmit"]["errors"])
    assert codes == ["ALREADY_SUBMITTED"] * 3
    assert await models.EventFeedback.filter(event_id=event.id).count() == 1


@pytest.mark.parametrize(
    ("case", "field", "code", "message"),
    [
        ("absent", "eventId", "NOT_ATTENDED", "Only members who attended can rate this event"),
        ("rating 0", "rating", "INVALID", "The rating must be from 1 to 5"),
        ("rating 6", "rating", "INVALID", "The rating must be from 1 to 5"),
        ("long", "comment", "TOO_LONG", "At most 2000 characters"),
        ("no event", "eventId", "NOT_FOUND", "Event not found"),
    ],
)
async def test_refusals_store_nothing(client, case, field, code, message):
    # given
    event, member, _ = await attended()
    if case == "absent":
        member = await make_member()
        await make_registration(event, member)
    variables = submit(event, {"rating 0": 0, "rating 6": 6}.get(case, 5), "x" * 2001 if case == "long" else "")
    if case == "no event":
        variables["input"]["eventId"] = gid("Event", event.id + 1000)
    # when
    result = await gql(client, SUBMIT, variables, token=member_token(member))
    # then
    assert result == refused_with(field, code, message)
    assert await models.EventFeedback.all().count() == 0
