"""taskComplete: staff mark an open task done, noting what came of it."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import tasks
from schema.base import Info, node_pk
from schema.care.types import Task
from schema.errors import error_type, perform


@strawberry.enum
class TaskCompleteErrorCode(Enum):
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_DONE = "ALREADY_DONE"


TaskCompleteError = error_type("TaskComplete", TaskCompleteErrorCode)


@strawberry.input
class TaskCompleteInput:
    task_id: relay.GlobalID
    outcome: str = strawberry.field(default="", description="What came of it, up to 1000 characters")


@strawberry.type
class TaskCompletePayload:
    task: Task | None = None
    errors: list[TaskCompleteError]  # type: ignore[valid-type]


async def task_complete(info: Info, input: TaskCompleteInput) -> TaskCompletePayload:
    async def action() -> dict:
        row = await tasks.complete_task(
            viewer=info.context.viewer,
            task_id=node_pk(input.task_id, "Task", field="taskId"),
            outcome=input.outcome,
        )
        return {"task": Task.from_row(row)}

    return await perform(info, TaskCompletePayload, TaskCompleteError, action())
