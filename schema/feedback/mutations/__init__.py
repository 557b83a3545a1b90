"""Feedback mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.feedback.mutations.survey_create import survey_create
from schema.feedback.mutations.survey_response_submit import survey_response_submit
from schema.feedback.mutations.survey_send import survey_send
from schema.feedback.mutations.ticket_assign import ticket_assign
from schema.feedback.mutations.ticket_create import ticket_create
from schema.feedback.mutations.ticket_respond import ticket_respond
from schema.feedback.mutations.ticket_transition import ticket_transition


@strawberry.type
class FeedbackMutation:
    ticket_create = strawberry.mutation(
        resolver=ticket_create, description="Open a complaint, request or praise (members for themselves, or staff)."
    )
    ticket_assign = strawberry.mutation(
        resolver=ticket_assign, description="Give a ticket to a member of staff (staff)."
    )
    ticket_respond = strawberry.mutation(
        resolver=ticket_respond,
        description="Reply on a ticket, or add an internal note (staff, or the ticket's member).",
    )
    ticket_transition = strawberry.mutation(
        resolver=ticket_transition,
        description="Move a ticket along its workflow (staff; members close their resolved ticket).",
    )
    survey_create = strawberry.mutation(resolver=survey_create, description="Create a survey (staff).")
    survey_send = strawberry.mutation(resolver=survey_send, description="Send a manual survey to members (staff).")
    survey_response_submit = strawberry.mutation(
        resolver=survey_response_submit, description="Answer a survey sent to you, once (members)."
    )
