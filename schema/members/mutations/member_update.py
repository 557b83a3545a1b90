"""memberUpdate: change profile fields; members their own contact fields, staff more."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Gender, Member, MemberStatus


@strawberry.enum
class MemberUpdateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    NOT_FOUND = "NOT_FOUND"
    NOT_EDITABLE = "NOT_EDITABLE"


MemberUpdateError = error_type("MemberUpdate", MemberUpdateErrorCode)


@strawberry.input(description="Only the fields given are changed; null clears phone and birthday.")
class MemberUpdateInput:
    member_id: relay.GlobalID
    name: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    status: MemberStatus | None = strawberry.UNSET


_FIELDS = ("name", "gender", "phone", "email", "birthday", "status")


@strawberry.type
class MemberUpdatePayload:
    member: Member | None = None
    errors: list[MemberUpdateError]  # type: ignore[valid-type]


async def member_update(info: Info, input: MemberUpdateInput) -> MemberUpdatePayload:
    async def action() -> dict:
        changes = {name: getattr(input, name) for name in _FIELDS if getattr(input, name) is not strawberry.UNSET}
        row = await members.update_member(
            viewer=info.context.viewer, member_id=node_pk(input.member_id, "Member", field="memberId"), changes=changes
        )
        return {"member": Member.from_row(row)}

    return await perform(info, MemberUpdatePayload, MemberUpdateError, action())
