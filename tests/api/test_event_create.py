"""eventCreate: event staff schedule an event; every value is checked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_staff, make_tiers, staff_token

CREATE = """
mutation($input: EventCreateInput!) {
  eventCreate(input: $input) {
    event {
      title category venue startsAt endsAt capacity pricePoints cancellationDeadline minTier { name } status seatsLeft
    }
    errors { field code message }
  }
}
"""


def soon(days=10, hours=0):
    moment = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days, hours=hours)
    return moment


def event_input(**fields):
    starts = soon()
    values = {
        "title": "Whisky salon",
        "category": "SALON",
        "venue": "The library",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=3)).isoformat(),
        "capacity": 30,
    }
    return {"input": {**values, **fields}}


async def test_an_event_manager_schedules_an_event_with_a_default_cancellation_deadline(client):
    # given
    tiers = await make_tiers()
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    variables = event_input(pricePoints=50, minTierId=gid("Tier", tiers["Gold"].id))
    starts = datetime.fromisoformat(variables["input"]["startsAt"])
    # when
    result = await gql(client, CREATE, variables, token=staff_token(manager))
    # then
    assert result == {
        "data": {
            "eventCreate": {
                "event": {
                    "title": "Whisky salon",
                    "category": "SALON",
                    "venue": "The library",
                    "startsAt": starts.isoformat(),
                    "endsAt": (starts + timedelta(hours=3)).isoformat(),
                    "capacity": 30,
                    "pricePoints": 50,
                    "cancellationDeadline": (starts - timedelta(hours=48)).isoformat(),
                    "minTier": {"name": "Gold"},
                    "status": "SCHEDULED",
                    "seatsLeft": 30,
                },
                "errors": [],
            }
        }
    }
    assert (await models.Event.get(title="Whisky salon")).created_by_id == manager.id


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"title": "  "}, "title", "REQUIRED", "This value is required"),
        ({"venue": "v" * 201}, "venue", "TOO_LONG", "At most 200 characters"),
        ({"startsAt": soon(-1).isoformat()}, "startsAt", "INVALID", "The event must start in the future"),
        ({"endsAt": soon(9).isoformat()}, "endsAt", "INVALID", "The event must end after it starts"),
        ({"capacity": 0}, "capacity", "INVALID", "The capacity must be between 1 and 10,000 seats"),
        ({"capacity": 10001}, "capacity", "INVALID", "The capacity must be between 1 and 10,000 seats"),
        ({"pricePoints": -1}, "pricePoints", "INVALID", "The price must be between 0 and 100,000 points a seat"),
        (
            {"cancellationDeadline": soon(11).isoformat()},
            "cancellationDeadline",
            "INVALID",
            "The cancellation deadline must be at or before the start",
        ),
        ({"minTierId": gid("Tier", 999)}, "minTierId", "NOT_FOUND", "Tier not found"),
    ],
)
async def test_invalid_values_are_refused_and_nothing_is_created(client, fields, field, code, message):
    # given
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    # when
    result = await gql(client, CREATE, event_input(**fields), token=staff_token(manager))
    # then
    errors = [{"field": field, "code": code, "message": message}]
    assert result == {"data": {"eventCreate": {"event": None, "errors": errors}}}
    assert await models.Event.all().count() == 0


async def test_times_without_an_offset_are_taken_as_utc(client):
    # given
    manager = await make_staff(models.StaffRole.EVENT_MANAGER)
    variables = event_input(
        startsAt="2099-01-01T00:00:00", endsAt="2099-01-01T03:00:00", cancellationDeadline="2098-12-31T12:00:00"
    )
    # when
    result = await gql(client, CREATE, variables, token=staff_token(manager))
    # then
    event = result["data"]["eventCreate"]["event"]
    assert result["data"]["eventCreate"]["errors"] == []
    assert (event["startsAt"], event["endsAt"], event["cancellationDeadline"]) == (
        "2099-01-01T00:00:00+00:00",
        "2099-01-01T03:00:00+00:00",
        "2098-12-31T12:00:00+00:00",
    )
