"""memberErase: pseudonymize a member's personal data on their request (club managers, administrators)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import erasure
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class MemberEraseErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_ERASED = "ALREADY_ERASED"
    PENDING_REDEMPTIONS = "PENDING_REDEMPTIONS"


MemberEraseError = error_type("MemberErase", MemberEraseErrorCode)


@strawberry.input
class MemberEraseInput:
    member_id: relay.GlobalID
    reason: str = strawberry.field(description="Why, e.g. the member's request and its date; kept in the audit log")


@strawberry.type
class MemberErasePayload:
    member: Member | None = None
    errors: list[MemberEraseError]  # type: ignore[valid-type]


async def member_erase(info: Info, input: MemberEraseInput) -> MemberErasePayload:
    async def action() -> dict:
        row = await erasure.erase_member(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            reason=input.reason,
            request_id=info.context.request_id,
        )
        return {"member": Member.from_row(row)}

    return await perform(info, MemberErasePayload, MemberEraseError, action())
