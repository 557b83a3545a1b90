"""partnerCreate: register a partner merchant (PARTNER_MANAGE); its signing secret is shown this once."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from domain import partners
from schema.base import Info
from schema.errors import error_type, perform
from schema.partners.types import Partner


@strawberry.enum
class PartnerCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NAME_TAKEN = "NAME_TAKEN"


PartnerCreateError = error_type("PartnerCreate", PartnerCreateErrorCode)


@strawberry.input
class PartnerCreateInput:
    name: str = strawberry.field(description="Unique; at most 200 characters")
    base_url: str | None = strawberry.field(
        default=None, description="The partner protocol endpoint, http(s); null for a push-only partner"
    )
    point_value: Decimal = strawberry.field(
        description=f"What one point is worth to the partner, above 0, at most {partners.MAX_POINT_VALUE}, "
        "4 decimal places, e.g. 0.0100"
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CHF")
    require_signature: bool = strawberry.field(default=False, description="Refuse its unsigned requests")
    daily_award_cap: int = strawberry.field(
        default=partners.DEFAULT_DAILY_AWARD_CAP,
        description="Most points the partner may award one member per UTC day (partnerPointsAward); 0 allows none",
    )


@strawberry.type
class PartnerCreatePayload:
    partner: Partner | None = None
    signing_secret: str | None = strawberry.field(
        default=None,
        description="The HMAC key of the partner protocol, both ways: shown this once, give it to the partner",
    )
    errors: list[PartnerCreateError]  # type: ignore[valid-type]


async def partner_create(info: Info, input: PartnerCreateInput) -> PartnerCreatePayload:
    async def action() -> dict:
        row = await partners.create_partner(
            viewer=info.context.viewer,
            name=input.name,
            base_url=input.base_url,
            point_value=input.point_value,
            currency=input.currency,
            require_signature=input.require_signature,
            daily_award_cap=input.daily_award_cap,
        )
        return {"partner": Partner.from_row(row), "signing_secret": row.signing_secret}

    return await perform(info, PartnerCreatePayload, PartnerCreateError, action())
