"""interactionRecord: staff log a visit, call, message or gift with a member."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from domain import care
from schema.base import Info, node_pk
from schema.care.types import Interaction, InteractionKind
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class InteractionRecordErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


InteractionRecordError = error_type("InteractionRecord", InteractionRecordErrorCode)


@strawberry.input
class InteractionRecordInput:
    member_id: relay.GlobalID
    kind: InteractionKind
    summary: str = strawberry.field(description="What happened, 1 to 1000 characters")
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When; now by default, never in the future nor more than a year ago; without an offset: UTC",
    )


@strawberry.type
class InteractionRecordPayload:
    interaction: Interaction | None = None
    member: Member | None = None
    errors: list[InteractionRecordError]  # type: ignore[valid-type]


async def interaction_record(info: Info, input: InteractionRecordInput) -> InteractionRecordPayload:
    async def action() -> dict:
        member_id = node_pk(input.member_id, "Member", field="memberId")
        row = await care.record_interaction(
            viewer=info.context.viewer,
            member_id=member_id,
            kind=input.kind,
            summary=input.summary,
            occurred_at=input.occurred_at,
        )
        member = await info.context.loaders.member_by_id.load(member_id)
        return {"interaction": Interaction.from_row(row), "member": Member.from_row(member)}

    return await perform(info, InteractionRecordPayload, InteractionRecordError, action())
