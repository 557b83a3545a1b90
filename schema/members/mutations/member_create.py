"""memberCreate: enrol a new member (staff)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry import relay

from domain import members, models
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Gender, Member


@strawberry.enum
class MemberCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    NOT_FOUND = "NOT_FOUND"
    NOT_AN_ACCOUNT_MANAGER = "NOT_AN_ACCOUNT_MANAGER"
    NO_TIERS = "NO_TIERS"
    INVALID_REFERRAL_CODE = "INVALID_REFERRAL_CODE"


MemberCreateError = error_type("MemberCreate", MemberCreateErrorCode)


@strawberry.input
class MemberCreateInput:
    name: str
    email: str
    phone: str | None = None
    gender: Gender = models.Gender.UNDISCLOSED
    birthday: date | None = None
    tier_id: relay.GlobalID | None = strawberry.field(default=None, description="Defaults to the lowest tier")
    account_manager_id: relay.GlobalID | None = None
    password: str | None = strawberry.field(default=None, description="Lets the member sign in to the apps")
    referral_code: str | None = strawberry.field(
        default=None, description="The referral code of the member who referred them; rewarded at the first purchase"
    )


@strawberry.type
class MemberCreatePayload:
    member: Member | None = None
    errors: list[MemberCreateError]  # type: ignore[valid-type]


async def member_create(info: Info, input: MemberCreateInput) -> MemberCreatePayload:
    async def action() -> dict:
        row = await members.create_member(
            viewer=info.context.viewer,
            name=input.name,
            email=input.email,
            phone=input.phone,
            gender=input.gender,
            birthday=input.birthday,
            tier_id=node_pk(input.tier_id, "Tier", field="tierId") if input.tier_id else None,
            account_manager_id=node_pk(input.account_manager_id, "Staff", field="accountManagerId")
            if input.account_manager_id
            else None,
            password=input.password,
            referral_code=input.referral_code,
        )
        return {"member": Member.from_row(row)}

    return await perform(info, MemberCreatePayload, MemberCreateError, action())
