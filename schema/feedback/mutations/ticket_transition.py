"""ticketTransition: move a ticket one step along its workflow."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import tickets
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.feedback.types import Ticket, TicketStatus


@strawberry.enum
class TicketTransitionErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"


TicketTransitionError = error_type("TicketTransition", TicketTransitionErrorCode)


@strawberry.input
class TicketTransitionInput:
    ticket_id: relay.GlobalID
    status: TicketStatus = strawberry.field(
        description="Allowed: OPEN to IN_PROGRESS, RESOLVED or CLOSED; IN_PROGRESS to RESOLVED; RESOLVED to CLOSED, "
        "or back to IN_PROGRESS (reopen). A member may close their own resolved ticket."
    )
    note: str = strawberry.field(default="", description=f"Why, at most {tickets.MAX_NOTE_LENGTH} characters")


@strawberry.type
class TicketTransitionPayload:
    ticket: Ticket | None = None
    errors: list[TicketTransitionError]  # type: ignore[valid-type]


async def ticket_transition(info: Info, input: TicketTransitionInput) -> TicketTransitionPayload:
    async def action() -> dict:
        row = await tickets.transition_ticket(
            viewer=info.context.viewer,
            ticket_id=node_pk(input.ticket_id, "Ticket", field="ticketId"),
            status=input.status,
            note=input.note,
        )
        return {"ticket": Ticket.from_row(row)}

    return await perform(info, TicketTransitionPayload, TicketTransitionError, action())
