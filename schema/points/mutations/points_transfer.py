"""pointsTransfer: a member gives points from their own account to another member."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import points
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.members.types import Member
from schema.points.types import IDEMPOTENCY_KEY_HELP, LedgerEntry, load_entries


@strawberry.enum
class PointsTransferErrorCode(Enum):
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    SELF_TRANSFER = "SELF_TRANSFER"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"
    DAILY_LIMIT_EXCEEDED = "DAILY_LIMIT_EXCEEDED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PointsTransferError = error_type("PointsTransfer", PointsTransferErrorCode)


@strawberry.input
class PointsTransferInput:
    from_member_id: relay.GlobalID = strawberry.field(description="Your own member ID")
    to_member_id: relay.GlobalID
    points: int
    note: str = strawberry.field(default="", description="A word for the receiver, shown in both histories")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class PointsTransferPayload:
    member: Member | None = strawberry.field(default=None, description="The sender")
    entry: LedgerEntry | None = strawberry.field(default=None, description="The sender's transfer-out entry")
    errors: list[PointsTransferError]  # type: ignore[valid-type]


async def points_transfer(info: Info, input: PointsTransferInput) -> PointsTransferPayload:
    async def action() -> dict:
        sender_id = node_pk(input.from_member_id, "Member", field="fromMemberId")
        result = await points.transfer_points(
            viewer=info.context.viewer,
            from_member_id=sender_id,
            to_member_id=node_pk(input.to_member_id, "Member", field="toMemberId"),
            points=input.points,
            note=input.note,
            idempotency_key=input.idempotency_key,
        )
        [entry] = await load_entries(info, [result["entry_id"]])
        member = await info.context.loaders.member_by_id.load(sender_id)
        return {"member": Member.from_row(member), "entry": entry}

    return await perform(info, PointsTransferPayload, PointsTransferError, action())
