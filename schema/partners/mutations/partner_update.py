"""partnerUpdate: change a partner's name, endpoint, settlement terms, status or signature rule (PARTNER_MANAGE)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from domain import partners
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.partners.types import Partner, PartnerStatus


@strawberry.enum
class PartnerUpdateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NAME_TAKEN = "NAME_TAKEN"
    NOT_FOUND = "NOT_FOUND"
    PENDING_REDEMPTIONS = "PENDING_REDEMPTIONS"


PartnerUpdateError = error_type("PartnerUpdate", PartnerUpdateErrorCode)


@strawberry.input(description="Only the fields given are changed; a null baseUrl makes the partner push-only.")
class PartnerUpdateInput:
    partner_id: relay.GlobalID
    name: str | None = strawberry.UNSET
    base_url: str | None = strawberry.UNSET
    point_value: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Applies to what is settled from now on"
    )
    status: PartnerStatus | None = strawberry.field(
        default=strawberry.UNSET, description="SUSPENDED refuses the partner's API keys at once"
    )
    require_signature: bool | None = strawberry.UNSET
    daily_award_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="Most points the partner may award one member per UTC day"
    )


@strawberry.type
class PartnerUpdatePayload:
    partner: Partner | None = None
    errors: list[PartnerUpdateError]  # type: ignore[valid-type]


def _changes(input: PartnerUpdateInput) -> dict[str, Any]:
    names = ("name", "base_url", "point_value", "status", "require_signature", "daily_award_cap")
    return {name: getattr(input, name) for name in names if getattr(input, name) is not strawberry.UNSET}


async def partner_update(info: Info, input: PartnerUpdateInput) -> PartnerUpdatePayload:
    async def action() -> dict:
        row = await partners.update_partner(
            viewer=info.context.viewer,
            partner_id=node_pk(input.partner_id, "Partner", field="partnerId"),
            changes=_changes(input),
        )
        return {"partner": Partner.from_row(row)}

    return await perform(info, PartnerUpdatePayload, PartnerUpdateError, action())
