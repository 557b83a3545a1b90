"""pointsAdjust: staff add or remove points by hand, with a reason the member sees in their history."""

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
class PointsAdjustErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PointsAdjustError = error_type("PointsAdjust", PointsAdjustErrorCode)


@strawberry.input
class PointsAdjustInput:
    member_id: relay.GlobalID
    points: int = strawberry.field(description="Positive adds, negative removes; never below zero")
    reason: str = strawberry.field(description="Why; shown to the member in their history")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class PointsAdjustPayload:
    member: Member | None = None
    entries: list[LedgerEntry] | None = strawberry.field(
        default=None, description="The adjustment, then what cleared points owed, if any"
    )
    errors: list[PointsAdjustError]  # type: ignore[valid-type]


async def points_adjust(info: Info, input: PointsAdjustInput) -> PointsAdjustPayload:
    async def action() -> dict:
        member_id = node_pk(input.member_id, "Member", field="memberId")
        result = await points.adjust_points(
            viewer=info.context.viewer,
            member_id=member_id,
            points=input.points,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        member = await info.context.loaders.member_by_id.load(member_id)
        return {"member": Member.from_row(member), "entries": await load_entries(info, result["entry_ids"])}

    return await perform(info, PointsAdjustPayload, PointsAdjustError, action())
