"""The partner API's reads: a voucher check at the counter and the settlement statement."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from domain import settlement, vouchers
from schema.base import Info, node_pk_or_none
from schema.errors import error_type, perform
from schema.partners.counter_types import PartnerVoucher, SettlementStatement


@strawberry.enum
class VoucherValidateErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    AMBIGUOUS_CODE = "AMBIGUOUS_CODE"


VoucherValidateError = error_type("VoucherValidate", VoucherValidateErrorCode)


@strawberry.type(description="The answer to a voucher check: the voucher, or why there is none to show.")
class VoucherValidatePayload:
    voucher: PartnerVoucher | None = None
    errors: list[VoucherValidateError]  # type: ignore[valid-type]


@strawberry.input(description="A period of a statement: [from, to) in UTC, at most 3 years.")
class SettlementPeriodInput:
    from_: datetime = strawberry.field(name="from", description="Included; without an offset: UTC")
    to: datetime = strawberry.field(description="Excluded; without an offset: UTC")


@strawberry.type
class PartnerCounterQuery:
    @strawberry.field(
        description="Check a voucher code at the counter, changing nothing: a partner's key finds only its own "
        "vouchers, staff who take vouchers only the club's own; any other code is NOT_FOUND."
    )
    async def voucher_validate(self, info: Info, code: str) -> VoucherValidatePayload:
        async def action() -> dict:
            view = await vouchers.validate_voucher(viewer=info.context.viewer, code=code)
            return {"voucher": PartnerVoucher.of(view)}

        return await perform(info, VoucherValidatePayload, VoucherValidateError, action())

    @strawberry.field(
        description="What the club owes a partner for a period: a partner's key gets its own (no partnerId); "
        "partner managers name the partner."
    )
    async def settlement_statement(
        self, info: Info, period: SettlementPeriodInput, partner_id: relay.GlobalID | None = None
    ) -> SettlementStatement:
        pk = node_pk_or_none(partner_id, "Partner", missing=0) if partner_id is not None else None
        statement = await settlement.settlement_statement(
            viewer=info.context.viewer, since=period.from_, until=period.to, partner_id=pk
        )
        return SettlementStatement.of(statement)
