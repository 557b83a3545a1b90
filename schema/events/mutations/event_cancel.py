"""eventCancel: call an event off before it starts, refunding and telling everyone registered (staff with
EVENT_MANAGE). Once it has started it cannot be cancelled: EVENT_CLOSED."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import Event


@strawberry.enum
class EventCancelErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    EVENT_CLOSED = "EVENT_CLOSED"


EventCancelError = error_type("EventCancel", EventCancelErrorCode)


@strawberry.input
class EventCancelInput:
    event_id: relay.GlobalID
    reason: str = strawberry.field(description="Told to every member registered")


@strawberry.type
class EventCancelPayload:
    event: Event | None = None
    errors: list[EventCancelError]  # type: ignore[valid-type]


async def event_cancel(info: Info, input: EventCancelInput) -> EventCancelPayload:
    async def action() -> dict:
        row = await events.cancel_event(
            viewer=info.context.viewer,
            event_id=node_pk(input.event_id, "Event", field="eventId"),
            reason=input.reason,
        )
        return {"event": Event.from_row(row)}

    return await perform(info, EventCancelPayload, EventCancelError, action())
