"""purchaseRecord: record a purchase at an outlet and credit the points it earns (staff)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay

from domain import points
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.points.types import IDEMPOTENCY_KEY_HELP, LedgerEntry, Purchase, load_entries, load_purchase


@strawberry.enum
class PurchaseRecordErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"
    UNSUPPORTED_CURRENCY = "UNSUPPORTED_CURRENCY"
    DUPLICATE_PURCHASE = "DUPLICATE_PURCHASE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PurchaseRecordError = error_type("PurchaseRecord", PurchaseRecordErrorCode)


@strawberry.input
class PurchaseRecordInput:
    member_id: relay.GlobalID
    amount: Decimal = strawberry.field(description='The whole amount, e.g. "120.50"')
    currency: str = strawberry.field(description="ISO 4217 code; the club's own currency")
    outlet: str
    external_reference: str = strawberry.field(description="The outlet's own reference; a second use is refused")
    paid_with_points: Decimal = strawberry.field(
        default=Decimal(0), description="The part of the amount settled with points; it earns nothing"
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class PurchaseRecordPayload:
    purchase: Purchase | None = None
    entries: list[LedgerEntry] | None = strawberry.field(
        default=None, description="The credits to the member: the purchase's points, then campaign bonuses"
    )
    errors: list[PurchaseRecordError]  # type: ignore[valid-type]


async def purchase_record(info: Info, input: PurchaseRecordInput) -> PurchaseRecordPayload:
    async def action() -> dict:
        result = await points.record_purchase(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId"),
            amount=input.amount,
            currency=input.currency,
            outlet=input.outlet,
            external_reference=input.external_reference,
            paid_with_points=input.paid_with_points,
            idempotency_key=input.idempotency_key,
        )
        return {
            "purchase": await load_purchase(info, result["purchase_id"]),
            "entries": await load_entries(info, result["entry_ids"]),
        }

    return await perform(info, PurchaseRecordPayload, PurchaseRecordError, action())
