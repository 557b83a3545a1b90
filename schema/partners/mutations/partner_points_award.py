"""partnerPointsAward: a partner credits a member for a purchase at its shop, once per purchase, capped per day."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import models, partner_points
from domain.ledger import utcnow
from schema.base import Info
from schema.errors import error_type, perform
from schema.partners.counter_types import PartnerPointsAward
from schema.points.types import IDEMPOTENCY_KEY_HELP


@strawberry.enum
class PartnerPointsAwardErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_AWARDED = "ALREADY_AWARDED"
    DAILY_CAP_EXCEEDED = "DAILY_CAP_EXCEEDED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PartnerPointsAwardError = error_type("PartnerPointsAward", PartnerPointsAwardErrorCode)


@strawberry.input
class PartnerPointsAwardInput:
    member_reference: str = strawberry.field(description="The reference the member showed at your counter")
    points: int = strawberry.field(description=f"1 to {partner_points.MAX_POINTS:,}")
    purchase_reference: str = strawberry.field(
        description="Your reference of the purchase: points are awarded once per purchase"
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class PartnerPointsAwardPayload:
    award: PartnerPointsAward | None = None
    remaining_today: int | None = strawberry.field(
        default=None, description="Points you may still award this member today (UTC)"
    )
    errors: list[PartnerPointsAwardError]  # type: ignore[valid-type]


async def partner_points_award(info: Info, input: PartnerPointsAwardInput) -> PartnerPointsAwardPayload:
    async def action() -> dict:
        result = await partner_points.award_points(
            viewer=info.context.viewer,
            member_reference=input.member_reference,
            points=input.points,
            purchase_reference=input.purchase_reference,
            idempotency_key=input.idempotency_key,
        )
        row = await models.PartnerPointsAward.get(id=result["award_id"])
        partner = await models.Partner.get(id=row.partner_id)
        today = await partner_points.awarded_today(partner_id=row.partner_id, member_id=row.member_id, now=utcnow())
        return {"award": await PartnerPointsAward.of(row), "remaining_today": max(partner.daily_award_cap - today, 0)}

    return await perform(info, PartnerPointsAwardPayload, PartnerPointsAwardError, action())
