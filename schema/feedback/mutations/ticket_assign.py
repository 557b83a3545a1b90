"""ticketAssign: give a ticket to a member of staff who handles tickets."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import tickets
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.feedback.types import Ticket


@strawberry.enum
class TicketAssignErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_ASSIGNEE = "INVALID_ASSIGNEE"
    TICKET_CLOSED = "TICKET_CLOSED"


TicketAssignError = error_type("TicketAssign", TicketAssignErrorCode)


@strawberry.input
class TicketAssignInput:
    ticket_id: relay.GlobalID
    assignee_id: relay.GlobalID = strawberry.field(description="An active member of staff who handles tickets")


@strawberry.type
class TicketAssignPayload:
    ticket: Ticket | None = None
    errors: list[TicketAssignError]  # type: ignore[valid-type]


async def ticket_assign(info: Info, input: TicketAssignInput) -> TicketAssignPayload:
    async def action() -> dict:
        row = await tickets.assign_ticket(
            viewer=info.context.viewer,
            ticket_id=node_pk(input.ticket_id, "Ticket", field="ticketId"),
            assignee_id=node_pk(input.assignee_id, "Staff", field="assigneeId"),
        )
        return {"ticket": Ticket.from_row(row)}

    return await perform(info, TicketAssignPayload, TicketAssignError, action())
