"""memberPreferenceAdd: record what a member likes, needs or avoids."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member, MemberPreference, PreferenceCategory


@strawberry.enum
class MemberPreferenceAddErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    NOT_EDITABLE = "NOT_EDITABLE"


MemberPreferenceAddError = error_type("MemberPreferenceAdd", MemberPreferenceAddErrorCode)


@strawberry.input
class MemberPreferenceAddInput:
    member_id: relay.GlobalID
    category: PreferenceCategory
    value: str
    is_private: bool = strawberry.field(default=False, description="A staff note the member does not see")


@strawberry.type
class MemberPreferenceAddPayload:
    preference: MemberPreference | None = None
    member: Member | None = None
    errors: list[MemberPreferenceAddError]  # type: ignore[valid-type]


async def member_preference_add(info: Info, input: MemberPreferenceAddInput) -> MemberPreferenceAddPayload:
    async def action() -> dict:
        row = await members.add_preference(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            category=input.category,
            value=input.value,
            is_private=input.is_private,
        )
        member = await info.context.loaders.member_by_id.load(row.member_id)
        return {"preference": MemberPreference.from_row(row), "member": Member.from_row(member)}

    return await perform(info, MemberPreferenceAddPayload, MemberPreferenceAddError, action())
