"""eventRegister: a seat at an event, or a place on its waitlist, paid or held in points."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import Event, EventRegistration
from schema.points.types import IDEMPOTENCY_KEY_HELP


@strawberry.enum
class EventRegisterErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    EVENT_CLOSED = "EVENT_CLOSED"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"
    TIER_TOO_LOW = "TIER_TOO_LOW"
    ALREADY_REGISTERED = "ALREADY_REGISTERED"
    PARTY_TOO_LARGE = "PARTY_TOO_LARGE"
    NO_GUEST_PASSES = "NO_GUEST_PASSES"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


EventRegisterError = error_type("EventRegister", EventRegisterErrorCode)


@strawberry.input
class EventRegisterInput:
    event_id: relay.GlobalID
    member_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Members register themselves and may leave it out; staff name the member"
    )
    guests: int = strawberry.field(
        default=0, description=f"0 to {events.MAX_GUESTS}; each takes a seat and one of the member's guest passes. "
        "The party (member and guests) must fit in the event's capacity"
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class EventRegisterPayload:
    registration: EventRegistration | None = strawberry.field(
        default=None, description="Confirmed when the seats fit, else waitlisted with the price held"
    )
    event: Event | None = None
    errors: list[EventRegisterError]  # type: ignore[valid-type]


async def event_register(info: Info, input: EventRegisterInput) -> EventRegisterPayload:
    async def action() -> dict:
        result = await events.register(
            viewer=info.context.viewer,
            event_id=node_pk(input.event_id, "Event", field="eventId"),
            member_id=node_pk(input.member_id, "Member", field="memberId") if input.member_id else None,
            guests=input.guests,
            idempotency_key=input.idempotency_key,
        )
        loaders = info.context.loaders
        registration = await loaders.event_registration_by_id.load(result["registration_id"])
        event = await loaders.event_by_id.load(result["event_id"])
        return {"registration": EventRegistration.from_row(registration), "event": Event.from_row(event)}

    return await perform(info, EventRegisterPayload, EventRegisterError, action())
