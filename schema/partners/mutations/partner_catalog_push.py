"""partnerCatalogPush: a partner replaces its pushed catalog, all of it at once or nothing."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from domain import partner_catalog
from schema.base import Info
from schema.errors import error_type, perform
from schema.partners.counter_types import PartnerCatalogPushSummary


@strawberry.enum
class PartnerCatalogPushErrorCode(Enum):
    INVALID = "INVALID"
    DUPLICATE_ID = "DUPLICATE_ID"
    UNKNOWN_TIER = "UNKNOWN_TIER"
    TOO_MANY = "TOO_MANY"


PartnerCatalogPushError = error_type("PartnerCatalogPush", PartnerCatalogPushErrorCode)


@strawberry.input(description="One reward of your catalog, with the fields of the protocol's catalog items.")
class PartnerCatalogItemInput:
    id: str = strawberry.field(description="Your id of the item, 1 to 100 characters; keep it stable")
    title: str
    description: str = ""
    points_price: int = strawberry.field(description="Points for one unit, at least 1")
    stock: int | None = strawberry.field(default=None, description="Units left; null for unlimited")
    tier_restriction: str | None = strawberry.field(
        default=None, description="The lowest tier's name; null for every tier"
    )
    category: str
    image_url: str | None = None
    validity_days: int = strawberry.field(description="Days the issued voucher stays valid, at least 1")
    delivery: str = strawberry.field(
        default="voucher", description="voucher (a code) or fulfilment (shipped or booked)"
    )

    def as_protocol(self) -> dict[str, Any]:
        item = {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "pointsPrice": self.points_price,
            "stock": self.stock,
            "tierRestriction": self.tier_restriction,
            "category": self.category,
            "imageUrl": self.image_url,
            "validityDays": self.validity_days,
            "delivery": self.delivery,
        }
        return {name: value for name, value in item.items() if value is not None}


@strawberry.input
class PartnerCatalogPushInput:
    items: list[PartnerCatalogItemInput] = strawberry.field(
        description=f"Your whole catalog, at most {partner_catalog.MAX_ITEMS:,} items; it replaces the previous push"
    )
    stock_as_of: datetime | None = strawberry.field(
        default=None,
        description="When you counted the items' stock; default: now. The club issues vouchers from your stock "
        "by itself, so each item's stock becomes your figure minus the units of that item the club issued at or "
        "after this moment, never below 0: give the moment of your count, so that a push does not hand out again "
        "units the club issued meanwhile. At most 5 minutes ahead of the club's clock.",
    )


@strawberry.type
class PartnerCatalogPushPayload:
    summary: PartnerCatalogPushSummary | None = None
    errors: list[PartnerCatalogPushError]  # type: ignore[valid-type]


async def partner_catalog_push(info: Info, input: PartnerCatalogPushInput) -> PartnerCatalogPushPayload:
    async def action() -> dict:
        items = [item.as_protocol() for item in input.items]
        summary = await partner_catalog.push_catalog(
            viewer=info.context.viewer, items=items, stock_as_of=input.stock_as_of
        )
        return {"summary": PartnerCatalogPushSummary.of(summary)}

    try:
        return await perform(info, PartnerCatalogPushPayload, PartnerCatalogPushError, action())
    except partner_catalog.CatalogRejected as rejected:
        codes = PartnerCatalogPushErrorCode
        errors = [
            PartnerCatalogPushError(field=problem.field, code=codes[problem.code], message=problem.message)
            for problem in rejected.problems
        ]
        return PartnerCatalogPushPayload(errors=errors)
