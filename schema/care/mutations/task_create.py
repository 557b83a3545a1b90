"""taskCreate: staff make a follow-up task for themselves or a colleague, about a member or not."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from domain import tasks
from schema.base import Info, node_pk
from schema.care.types import Task
from schema.errors import error_type, perform


@strawberry.enum
class TaskCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ASSIGNEE = "INVALID_ASSIGNEE"


TaskCreateError = error_type("TaskCreate", TaskCreateErrorCode)


@strawberry.input
class TaskCreateInput:
    title: str = strawberry.field(description="1 to 200 characters")
    due_at: datetime = strawberry.field(description="Not in the past; without an offset: UTC")
    member_id: relay.GlobalID | None = strawberry.field(default=None, description="The member it is about, if any")
    notes: str = strawberry.field(default="", description="Up to 2000 characters")
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff who work on tasks; you by default"
    )


@strawberry.type
class TaskCreatePayload:
    task: Task | None = None
    errors: list[TaskCreateError]  # type: ignore[valid-type]


async def task_create(info: Info, input: TaskCreateInput) -> TaskCreatePayload:
    async def action() -> dict:
        row = await tasks.create_task(
            viewer=info.context.viewer,
            title=input.title,
            due_at=input.due_at,
            member_id=node_pk(input.member_id, "Member", field="memberId") if input.member_id else None,
            notes=input.notes,
            assignee_id=node_pk(input.assignee_id, "Staff", field="assigneeId") if input.assignee_id else None,
        )
        return {"task": Task.from_row(row)}

    return await perform(info, TaskCreatePayload, TaskCreateError, action())
