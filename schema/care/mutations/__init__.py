"""Care mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.care.mutations.interaction_record import interaction_record
from schema.care.mutations.task_complete import task_complete
from schema.care.mutations.task_create import task_create


@strawberry.type
class CareMutation:
    interaction_record = strawberry.mutation(
        resolver=interaction_record, description="Log a visit, call, message or gift with a member (staff)."
    )
    task_create = strawberry.mutation(resolver=task_create, description="Make a follow-up task (staff).")
    task_complete = strawberry.mutation(resolver=task_complete, description="Mark an open task done (staff).")
