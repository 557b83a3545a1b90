"""memberPreferenceRemove: forget a preference."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class MemberPreferenceRemoveErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"


MemberPreferenceRemoveError = error_type("MemberPreferenceRemove", MemberPreferenceRemoveErrorCode)


@strawberry.input
class MemberPreferenceRemoveInput:
    preference_id: relay.GlobalID


@strawberry.type
class MemberPreferenceRemovePayload:
    removed_preference_id: relay.GlobalID | None = None
    member: Member | None = None
    errors: list[MemberPreferenceRemoveError]  # type: ignore[valid-type]


async def member_preference_remove(info: Info, input: MemberPreferenceRemoveInput) -> MemberPreferenceRemovePayload:
    async def action() -> dict:
        row = await members.remove_preference(
            viewer=info.context.viewer,
            preference_id=node_pk(input.preference_id, "MemberPreference", field="preferenceId"),
        )
        member = await info.context.loaders.member_by_id.load(row.member_id)
        return {"removed_preference_id": input.preference_id, "member": Member.from_row(member)}

    return await perform(info, MemberPreferenceRemovePayload, MemberPreferenceRemoveError, action())
