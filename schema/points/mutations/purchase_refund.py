"""purchaseRefund: refund a purchase in full or in part, and take back the points it earned (staff)."""

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
class PurchaseRefundErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_REFUNDED = "ALREADY_REFUNDED"
    REFUND_TOO_LARGE = "REFUND_TOO_LARGE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


PurchaseRefundError = error_type("PurchaseRefund", PurchaseRefundErrorCode)


@strawberry.input
class PurchaseRefundInput:
    purchase_id: relay.GlobalID
    amount: Decimal | None = strawberry.field(default=None, description="What to refund; null refunds all that is left")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class PurchaseRefundPayload:
    purchase: Purchase | None = None
    refunded_amount: Decimal | None = strawberry.field(default=None, description="What this refund gave back")
    points_reversed: int | None = strawberry.field(default=None, description="Points this refund takes back")
    points_owed: int | None = strawberry.field(
        default=None, description="Of those, the points already spent: owed, and cleared first by future credits"
    )
    entries: list[LedgerEntry] | None = strawberry.field(default=None, description="What left the member's balance")
    errors: list[PurchaseRefundError]  # type: ignore[valid-type]


async def purchase_refund(info: Info, input: PurchaseRefundInput) -> PurchaseRefundPayload:
    async def action() -> dict:
        result = await points.refund_purchase(
            viewer=info.context.viewer,
            purchase_id=node_pk(input.purchase_id, "Purchase", field="purchaseId"),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
        )
        return {
            "purchase": await load_purchase(info, result["purchase_id"]),
            "refunded_amount": Decimal(result["amount"]),
            "points_reversed": result["points_reversed"],
            "points_owed": result["points_owed"],
            "entries": await load_entries(info, result["entry_ids"]),
        }

    return await perform(info, PurchaseRefundPayload, PurchaseRefundError, action())
