"""memberSetTier: put a member in a tier by hand, with a reason kept in the tier history (staff)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import tiers
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class MemberSetTierErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    UNCHANGED = "UNCHANGED"
    CONFLICT = "CONFLICT"


MemberSetTierError = error_type("MemberSetTier", MemberSetTierErrorCode)


@strawberry.input
class MemberSetTierInput:
    member_id: relay.GlobalID
    tier_id: relay.GlobalID
    reason: str = strawberry.field(description="Why; kept in the member's tier history")


@strawberry.type
class MemberSetTierPayload:
    member: Member | None = None
    errors: list[MemberSetTierError]  # type: ignore[valid-type]


async def member_set_tier(info: Info, input: MemberSetTierInput) -> MemberSetTierPayload:
    async def action() -> dict:
        row = await tiers.set_tier(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            tier_id=node_pk(input.tier_id, "Tier", field="tierId"),
            reason=input.reason,
        )
        return {"member": Member.from_row(row)}

    return await perform(info, MemberSetTierPayload, MemberSetTierError, action())
