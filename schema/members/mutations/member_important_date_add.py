"""memberImportantDateAdd: remember an anniversary or another date for the care calendar."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry import relay

from domain import members
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import ImportantDate, ImportantDateKind, Member


@strawberry.enum
class MemberImportantDateAddErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


MemberImportantDateAddError = error_type("MemberImportantDateAdd", MemberImportantDateAddErrorCode)


@strawberry.input
class MemberImportantDateAddInput:
    member_id: relay.GlobalID
    kind: ImportantDateKind
    label: str
    date: date


@strawberry.type
class MemberImportantDateAddPayload:
    important_date: ImportantDate | None = None
    member: Member | None = None
    errors: list[MemberImportantDateAddError]  # type: ignore[valid-type]


async def member_important_date_add(info: Info, input: MemberImportantDateAddInput) -> MemberImportantDateAddPayload:
    async def action() -> dict:
        row = await members.add_important_date(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            kind=input.kind,
            label=input.label,
            on=input.date,
        )
        member = await info.context.loaders.member_by_id.load(row.member_id)
        return {"important_date": ImportantDate.from_row(row), "member": Member.from_row(member)}

    return await perform(info, MemberImportantDateAddPayload, MemberImportantDateAddError, action())
