"""voucherConsume: take a voucher at the counter, at most once, only by the counter it belongs to."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import vouchers
from schema.base import Info
from schema.errors import error_type, perform
from schema.partners.counter_types import PartnerVoucher
from schema.points.types import IDEMPOTENCY_KEY_HELP


@strawberry.enum
class VoucherConsumeErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    ALREADY_CONSUMED = "ALREADY_CONSUMED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    AMBIGUOUS_CODE = "AMBIGUOUS_CODE"


VoucherConsumeError = error_type("VoucherConsume", VoucherConsumeErrorCode)


@strawberry.input
class VoucherConsumeInput:
    code: str = strawberry.field(description="The code as the member shows it")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class VoucherConsumePayload:
    voucher: PartnerVoucher | None = strawberry.field(default=None, description="The voucher, now consumed")
    errors: list[VoucherConsumeError]  # type: ignore[valid-type]


async def voucher_consume(info: Info, input: VoucherConsumeInput) -> VoucherConsumePayload:
    async def action() -> dict:
        viewer = info.context.viewer
        result = await vouchers.consume_voucher(viewer=viewer, code=input.code, idempotency_key=input.idempotency_key)
        view = await vouchers.view(result["voucher_id"], partner_id=vouchers.counter_partner_id(viewer))
        return {"voucher": PartnerVoucher.of(view)}

    return await perform(info, VoucherConsumePayload, VoucherConsumeError, action())
