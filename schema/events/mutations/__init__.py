"""Event mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.events.mutations.event_cancel import event_cancel
from schema.events.mutations.event_cancel_registration import event_cancel_registration
from schema.events.mutations.event_check_in import event_check_in
from schema.events.mutations.event_create import event_create
from schema.events.mutations.event_feedback_submit import event_feedback_submit
from schema.events.mutations.event_register import event_register
from schema.events.mutations.event_update import event_update


@strawberry.type
class EventMutation:
    event_create = strawberry.mutation(resolver=event_create, description="Schedule an event (staff).")
    event_update = strawberry.mutation(
        resolver=event_update, description="Change an event; more seats promote the waitlist (staff)."
    )
    event_cancel = strawberry.mutation(
        resolver=event_cancel, description="Cancel an event: every registration refunded, every member told (staff)."
    )
    event_register = strawberry.mutation(
        resolver=event_register,
        description="Register for an event, with guests: a seat paid in points, or a place on the waitlist.",
    )
    event_cancel_registration = strawberry.mutation(
        resolver=event_cancel_registration,
        description="Cancel a registration: refunded before the event's deadline; the waitlist moves up.",
    )
    event_check_in = strawberry.mutation(
        resolver=event_check_in, description="Check a member in at the door; attendance points once (staff)."
    )
    event_feedback_submit = strawberry.mutation(
        resolver=event_feedback_submit, description="Rate an event you attended, once (members)."
    )
