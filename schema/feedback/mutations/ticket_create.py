"""ticketCreate: a member opens a ticket about themselves, or staff open one on a member's behalf."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import tickets
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.feedback.types import Ticket, TicketCategory, TicketSeverity


@strawberry.enum
class TicketCreateErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"


TicketCreateError = error_type("TicketCreate", TicketCreateErrorCode)


@strawberry.input
class TicketCreateInput:
    member_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The member it is about: required from staff; a member may leave it out"
    )
    category: TicketCategory
    severity: TicketSeverity | None = strawberry.field(
        default=None,
        description="Staff only (default: medium, low for praise); a member's ticket gets medium, or low for praise",
    )
    subject: str = strawberry.field(description=f"1 to {tickets.MAX_SUBJECT_LENGTH} characters")
    description: str = strawberry.field(default="", description=f"At most {tickets.MAX_DESCRIPTION_LENGTH} characters")


@strawberry.type
class TicketCreatePayload:
    ticket: Ticket | None = None
    errors: list[TicketCreateError]  # type: ignore[valid-type]


async def ticket_create(info: Info, input: TicketCreateInput) -> TicketCreatePayload:
    async def action() -> dict:
        row = await tickets.create_ticket(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId") if input.member_id else None,
            category=input.category,
            severity=input.severity,
            subject=input.subject,
            description=input.description,
        )
        return {"ticket": Ticket.from_row(row)}

    return await perform(info, TicketCreatePayload, TicketCreateError, action())
