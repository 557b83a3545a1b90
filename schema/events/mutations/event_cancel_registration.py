"""eventCancelRegistration: give up a seat or a place on the waitlist; the waitlist moves up."""

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
class EventCancelRegistrationErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_CANCELLED = "ALREADY_CANCELLED"
    EVENT_CLOSED = "EVENT_CLOSED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


EventCancelRegistrationError = error_type("EventCancelRegistration", EventCancelRegistrationErrorCode)


@strawberry.input
class EventCancelRegistrationInput:
    registration_id: relay.GlobalID
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class EventCancelRegistrationPayload:
    registration: EventRegistration | None = None
    event: Event | None = None
    refunded_points: int | None = strawberry.field(
        default=None, description="Points given back: paid before the cancellation deadline, or held on the waitlist"
    )
    promoted: list[EventRegistration] | None = strawberry.field(
        default=None, description="Registrations moved from the waitlist to the seats freed"
    )
    errors: list[EventCancelRegistrationError]  # type: ignore[valid-type]


async def event_cancel_registration(info: Info, input: EventCancelRegistrationInput) -> EventCancelRegistrationPayload:
    async def action() -> dict:
        result = await events.cancel_registration(
            viewer=info.context.viewer,
            registration_id=node_pk(input.registration_id, "EventRegistration", field="registrationId"),
            idempotency_key=input.idempotency_key,
        )
        loaders = info.context.loaders
        registration = await loaders.event_registration_by_id.load(result["registration_id"])
        event = await loaders.event_by_id.load(result["event_id"])
        # Others' registrations are theirs: the caller sees those they may see.
        promoted = await EventRegistration.resolve_nodes(info=info, node_ids=[str(pk) for pk in result["promoted_ids"]])
        return {
            "registration": EventRegistration.from_row(registration),
            "event": Event.from_row(event),
            "refunded_points": result["refunded_points"],
            "promoted": [node for node in promoted if node is not None],
        }

    return await perform(info, EventCancelRegistrationPayload, EventCancelRegistrationError, action())
