"""eventFeedbackSubmit: a member who attended rates the event, once."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import EventFeedback


@strawberry.enum
class EventFeedbackSubmitErrorCode(Enum):
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    NOT_ATTENDED = "NOT_ATTENDED"
    ALREADY_SUBMITTED = "ALREADY_SUBMITTED"


EventFeedbackSubmitError = error_type("EventFeedbackSubmit", EventFeedbackSubmitErrorCode)


@strawberry.input
class EventFeedbackSubmitInput:
    event_id: relay.GlobalID
    rating: int = strawberry.field(description="1 to 5")
    comment: str = ""


@strawberry.type
class EventFeedbackSubmitPayload:
    feedback: EventFeedback | None = None
    errors: list[EventFeedbackSubmitError]  # type: ignore[valid-type]


async def event_feedback_submit(info: Info, input: EventFeedbackSubmitInput) -> EventFeedbackSubmitPayload:
    async def action() -> dict:
        row = await events.submit_feedback(
            viewer=info.context.viewer,
            event_id=node_pk(input.event_id, "Event", field="eventId"),
            rating=input.rating,
            comment=input.comment,
        )
        return {"feedback": EventFeedback.from_row(row)}

    return await perform(info, EventFeedbackSubmitPayload, EventFeedbackSubmitError, action())
