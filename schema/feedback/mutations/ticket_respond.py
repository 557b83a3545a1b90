"""ticketRespond: a reply on a ticket, by the staff handling it or by its member; staff may write internal notes."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import models, tickets
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.feedback.types import Ticket, TicketResponse


@strawberry.enum
class TicketRespondErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    TICKET_CLOSED = "TICKET_CLOSED"


TicketRespondError = error_type("TicketRespond", TicketRespondErrorCode)


@strawberry.input
class TicketRespondInput:
    ticket_id: relay.GlobalID
    body: str = strawberry.field(description=f"1 to {tickets.MAX_BODY_LENGTH} characters")
    internal: bool = strawberry.field(default=False, description="A note among staff, never shown to the member")


@strawberry.type
class TicketRespondPayload:
    ticket: Ticket | None = None
    response: TicketResponse | None = None
    errors: list[TicketRespondError]  # type: ignore[valid-type]


async def ticket_respond(info: Info, input: TicketRespondInput) -> TicketRespondPayload:
    async def action() -> dict:
        row = await tickets.respond_to_ticket(
            viewer=info.context.viewer,
            ticket_id=node_pk(input.ticket_id, "Ticket", field="ticketId"),
            body=input.body,
            internal=input.internal,
        )
        ticket = await models.Ticket.get(id=row.ticket_id)
        return {"ticket": Ticket.from_row(ticket), "response": TicketResponse.from_row(row)}

    return await perform(info, TicketRespondPayload, TicketRespondError, action())
