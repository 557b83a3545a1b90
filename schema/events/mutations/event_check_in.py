"""eventCheckIn: the door scans a member in, by registration or QR code; attendance points once."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import EventRegistration


@strawberry.enum
class EventCheckInErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    CHECK_IN_CLOSED = "CHECK_IN_CLOSED"
    ALREADY_CHECKED_IN = "ALREADY_CHECKED_IN"


EventCheckInError = error_type("EventCheckIn", EventCheckInErrorCode)


@strawberry.input(description="Exactly one of the two.")
class EventCheckInInput:
    registration_id: relay.GlobalID | None = None
    check_in_code: str | None = strawberry.field(default=None, description="The code in the member's QR code")


@strawberry.type
class EventCheckInPayload:
    registration: EventRegistration | None = None
    errors: list[EventCheckInError]  # type: ignore[valid-type]


async def event_check_in(info: Info, input: EventCheckInInput) -> EventCheckInPayload:
    async def action() -> dict:
        row = await events.check_in(
            viewer=info.context.viewer,
            registration_id=node_pk(input.registration_id, "EventRegistration", field="registrationId")
            if input.registration_id
            else None,
            check_in_code=input.check_in_code,
        )
        return {"registration": EventRegistration.from_row(row)}

    return await perform(info, EventCheckInPayload, EventCheckInError, action())
