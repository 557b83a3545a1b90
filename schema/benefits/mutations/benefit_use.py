"""benefitUse: record a use of one of the member's tier benefits, refused beyond its quota (staff)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import benefits
from schema.base import Info, node_pk
from schema.benefits.types import MemberBenefit
from schema.errors import error_type, perform
from schema.members.types import Member


@strawberry.enum
class BenefitUseErrorCode(Enum):
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    BENEFIT_NOT_IN_TIER = "BENEFIT_NOT_IN_TIER"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


BenefitUseError = error_type("BenefitUse", BenefitUseErrorCode)


@strawberry.input
class BenefitUseInput:
    member_id: relay.GlobalID
    benefit_code: str = strawberry.field(description="The kind of benefit, e.g. guest_pass")
    quantity: int = strawberry.field(default=1, description=f"Uses at once, 1 to {benefits.MAX_QUANTITY}")
    note: str = strawberry.field(default="", description="e.g. the guest's name")


@strawberry.type
class BenefitUsePayload:
    member: Member | None = None
    member_benefit: MemberBenefit | None = strawberry.field(default=None, description="The benefit after the use")
    errors: list[BenefitUseError]  # type: ignore[valid-type]


async def benefit_use(info: Info, input: BenefitUseInput) -> BenefitUsePayload:
    async def action() -> dict:
        member_id = node_pk(input.member_id, "Member", field="memberId")
        status = await benefits.use_benefit(
            viewer=info.context.viewer,
            member_id=member_id,
            benefit_code=input.benefit_code,
            quantity=input.quantity,
            note=input.note,
        )
        member = await info.context.loaders.member_by_id.load(member_id)
        return {"member": Member.from_row(member), "member_benefit": MemberBenefit.from_status(status)}

    return await perform(info, BenefitUsePayload, BenefitUseError, action())
