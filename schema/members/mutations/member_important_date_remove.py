"""memberImportantDateRemove: forget a date."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class MemberImportantDateRemoveErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"


MemberImportantDateRemoveError = error_type("MemberImportantDateRemove", MemberImportantDateRemoveErrorCode)


@strawberry.input
class MemberImportantDateRemoveInput:
    important_date_id: relay.GlobalID


@strawberry.type
class MemberImportantDateRemovePayload:
    removed_important_date_id: relay.GlobalID | None = None
    member: Member | None = None
    errors: list[MemberImportantDateRemoveError]  # type: ignore[valid-type]


async def member_important_date_remove(
    info: Info, input: MemberImportantDateRemoveInput
) -> MemberImportantDateRemovePayload:
    async def action() -> dict:
        row = await members.remove_important_date(
            viewer=info.context.viewer,
            important_date_id=node_pk(input.important_date_id, "ImportantDate", field="importantDateId"),
        )
        member = await info.context.loaders.member_by_id.load(row.member_id)
        return {"removed_important_date_id": input.important_date_id, "member": Member.from_row(member)}

    return await perform(info, MemberImportantDateRemovePayload, MemberImportantDateRemoveError, action())
