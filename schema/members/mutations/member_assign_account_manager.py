"""memberAssignAccountManager: give a member an account manager, or take it away (null)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class MemberAssignAccountManagerErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_AN_ACCOUNT_MANAGER = "NOT_AN_ACCOUNT_MANAGER"


MemberAssignAccountManagerError = error_type("MemberAssignAccountManager", MemberAssignAccountManagerErrorCode)


@strawberry.input
class MemberAssignAccountManagerInput:
    member_id: relay.GlobalID
    account_manager_id: relay.GlobalID | None = strawberry.field(description="null leaves the member unassigned")


@strawberry.type
class MemberAssignAccountManagerPayload:
    member: Member | None = None
    errors: list[MemberAssignAccountManagerError]  # type: ignore[valid-type]


async def member_assign_account_manager(
    info: Info, input: MemberAssignAccountManagerInput
) -> MemberAssignAccountManagerPayload:
    async def action() -> dict:
        row = await members.assign_account_manager(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            account_manager_id=node_pk(input.account_manager_id, "Staff", field="accountManagerId")
            if input.account_manager_id
            else None,
        )
        return {"member": Member.from_row(row)}

    return await perform(info, MemberAssignAccountManagerPayload, MemberAssignAccountManagerError, action())
