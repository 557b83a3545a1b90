"""eventCheckIn: staff scan a member in, by registration or QR code; attendance points exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain import ledger, models, rules
from tests.factories import (
    gid,
    gql,
    make_event,
    make_member,
    make_registration,
    make_staff,
    points_of,
    staff_token,
)

CHECK_IN = """
mutation($input: EventCheckInInput!) {
  eventCheckIn(input: $input) {
    registration { id status checkedInAt member { id } }
    errors { field code message }
  }
}
"""


def refused_with(field, code, message):
    return {
        "data": {"eventCheckIn": {"registration": None, "errors": [{"field": field, "code": code, "message": message}]}}
    }


async def test_the_door_scans_the_qr_code_and_the_member_earns_attendance_points(client):
    # given: the event starts in an hour
    event = await make_event(starts_in=timedelta(hours=1))
    member = await make_member()
    registration = await make_registration(event, member)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(
        client, CHECK_IN, {"input": {"checkInCode": registration.check_in_code}}, token=staff_token(desk)
    )
    # then
    row = await models.EventRegistration.get(id=registration.id)
    assert result == {
        "data": {
            "eventCheckIn": {
                "registration": {
                    "id": gid("EventRegistration", registration.id),
                    "status": "CONFIRMED",
                    "checkedInAt": row.checked_in_at.isoformat(),
                    "member": {"id": gid("Member", member.id)},
                },
                "errors": [],
            }
        }
    }
    assert row.checked_in_by_id == desk.id
    assert await points_of(member) == (rules.RULES.event_attendance_points, 0)
    assert (await models.Member.get(id=member.id)).last_visit_at == row.checked_in_at
    assert await ledger.check_invariants() == []


async def test_a_double_scan_awards_the_points_once(client):
    # given
    event = await make_event(starts_in=timedelta(minutes=10))
    member = await make_member()
    registration = await make_registration(event, member)
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    by_id = {"input": {"registrationId": gid("EventRegistration", registration.id)}}
    # when
    results = await asyncio.gather(*(gql(client, CHECK_IN, by_id, token=token) for _ in range(5)))
    # then
    codes = sorted(error["code"] for result in results for error in result["data"]["eventCheckIn"]["errors"])
    assert codes == ["ALREADY_CHECKED_IN"] * 4
    assert await points_of(member) == (rules.RULES.event_attendance_points, 0)


@pytest.mark.parametrize(
    ("case", "field", "code", "message"),
    [
        ("wrong code", "checkInCode", "NOT_FOUND", "Registration not found"),
        ("both", None, "INVALID", "Give either the registration or the check-in code, not both"),
        ("neither", None, "INVALID", "Give either the registration or the check-in code, not both"),
        ("waitlisted", "registrationId", "NOT_CONFIRMED", "Only a confirmed registration can check in"),
        ("too early", "registrationId", "CHECK_IN_CLOSED", None),
        ("over", "registrationId", "CHECK_IN_CLOSED", None),
    ],
)
async def test_refusals_award_nothing(client, case, field, code, message):
    # given
    starts_in = {"too early": timedelta(hours=3), "over": timedelta(hours=1)}.get(case, timedelta(minutes=30))
    event = await make_event(starts_in=starts_in, capacity=1)
    first = await make_registration(event, await make_member())
    member = await make_member()
    waiting = await make_registration(event, member)
    registration = waiting if case == "waitlisted" else first
    if case == "over":
        await models.Event.filter(id=event.id).update(
            starts_at=ledger.utcnow() - timedelta(hours=3), ends_at=ledger.utcnow() - timedelta(hours=1)
        )
    by_id = {"registrationId": gid("EventRegistration", registration.id)}
    variables = {
        "wrong code": {"checkInCode": "not-a-code"},
        "both": {**by_id, "checkInCode": registration.check_in_code},
        "neither": {},
    }.get(case, by_id)
    token = staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))
    # when
    result = await gql(client, CHECK_IN, {"input": variables}, token=token)
    # then
    [error] = result["data"]["eventCheckIn"]["errors"]
    assert (error["field"], error["code"]) == (field, code)
    if message:
        assert error["message"] == message
    else:
        assert error["message"].startswith("Check-in is open from ")
    assert await models.EventRegistration.filter(checked_in_at__isnull=False).count() == 0
    assert await models.LedgerEntry.filter(source=models.EntrySource.EVENT, kind=models.EntryKind.EARN).count() == 0
