"""memberConsentSet: record the member's choice for one purpose of data use."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Consent, ConsentPurpose, ConsentSource, Member


@strawberry.enum
class MemberConsentSetErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


MemberConsentSetError = error_type("MemberConsentSet", MemberConsentSetErrorCode)


@strawberry.input
class MemberConsentSetInput:
    member_id: relay.GlobalID
    purpose: ConsentPurpose
    granted: bool
    source: ConsentSource | None = strawberry.field(
        default=None, description="WEB or MOBILE for members (WEB by default); always STAFF when staff record it"
    )


@strawberry.type
class MemberConsentSetPayload:
    consent: Consent | None = None
    member: Member | None = None
    errors: list[MemberConsentSetError]  # type: ignore[valid-type]


async def member_consent_set(info: Info, input: MemberConsentSetInput) -> MemberConsentSetPayload:
    async def action() -> dict:
        row = await members.set_consent(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            purpose=input.purpose,
            granted=input.granted,
            source=input.source,
        )
        member = await info.context.loaders.member_by_id.load(row.member_id)
        return {"consent": Consent.from_row(row), "member": Member.from_row(member)}

    return await perform(info, MemberConsentSetPayload, MemberConsentSetError, action())
