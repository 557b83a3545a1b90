"""What a partner's API key works with: vouchers at its counter, its points awards, its pushed catalog
and its settlement statement.

These are views for the counter, not Node types: nothing here is reachable through `node`, and a
member appears only as the partner may know them (a pseudonymous reference, a tier name, and the
name only with the member's consent to partner sharing).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from domain import models, references, settlement, vouchers
from domain.partner_catalog import PushSummary
from schema.base import Info
from schema.partners.types import Partner
from schema.redemptions.types import VoucherStatus


@strawberry.type(description="The member a voucher belongs to, as the counter may know them.")
class VoucherHolder:
    reference: str | None = strawberry.field(
        description="Your pseudonymous reference of the member (the one they show to collect points); "
        "null at the club's own counter"
    )
    tier_name: str = strawberry.field(description="The member's tier")
    name: str | None = strawberry.field(
        description="Only if the member consented to sharing with partners; always at the club's own counter"
    )


@strawberry.type(description="A voucher as the counter that may take it sees it.")
class PartnerVoucher:
    code: str
    title: str
    quantity: int
    status: VoucherStatus
    valid: bool = strawberry.field(description="Issued and not expired: it may be taken now")
    issued_at: datetime
    expires_at: datetime | None
    consumed_at: datetime | None
    member: VoucherHolder

    @classmethod
    def of(cls, view: vouchers.CounterVoucher) -> PartnerVoucher:
        row = view.voucher
        return cls(
            code=row.code or "",
            title=row.title,
            quantity=row.quantity,
            status=models.VoucherStatus(row.status),
            valid=view.valid,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            consumed_at=row.consumed_at,
            member=VoucherHolder(
                reference=view.holder.reference, tier_name=view.holder.tier_name, name=view.holder.name
            ),
        )


@strawberry.type(description="Points a partner awarded a member for a purchase at its shop.")
class PartnerPointsAward:
    member_reference: str = strawberry.field(description="Your reference of the member")
    points: int
    purchase_reference: str
    awarded_at: datetime

    @classmethod
    async def of(cls, row: models.PartnerPointsAward) -> PartnerPointsAward:
        return cls(
            member_reference=await references.reference_for(partner_id=row.partner_id, member_id=row.member_id),
            points=row.points,
            purchase_reference=row.purchase_reference,
            awarded_at=row.created_at,
        )


@strawberry.type(description="What a catalog push changed.")
class PartnerCatalogPushSummary:
    item_count: int = strawberry.field(description="Items in your catalog now")
    added: int = strawberry.field(description="Item ids that were not in your previous push")
    removed: int = strawberry.field(description="Item ids of your previous push that are gone")
    pushed_at: datetime

    @classmethod
    def of(cls, summary: PushSummary) -> PartnerCatalogPushSummary:
        return cls(
            item_count=summary.item_count, added=summary.added, removed=summary.removed, pushed_at=summary.pushed_at
        )


@strawberry.type(description="What the club owes a partner for a period, from the ledger.")
class SettlementStatement:
    from_: datetime = strawberry.field(name="from", description="Start of the period, included (UTC)")
    to: datetime = strawberry.field(description="End of the period, excluded (UTC)")
    points_redeemed: int = strawberry.field(
        description="Points members spent on your rewards in the period, net of those given back in it"
    )
    points_reversed: int = strawberry.field(
        description="Points of your redemptions given back to members in the period (already deducted)"
    )
    redemptions: int = strawberry.field(description="Redemptions whose points were spent in the period")
    vouchers_consumed: int = strawberry.field(description="Your vouchers taken at your counter in the period")
    point_value: Decimal = strawberry.field(description="The value of one point, in `currency`")
    currency: str = strawberry.field(description="ISO 4217 code of pointValue and amountOwed")
    amount_owed: Decimal = strawberry.field(description="pointsRedeemed x pointValue, exact")
    partner_row: strawberry.Private[models.Partner]

    @strawberry.field
    async def partner(self, info: Info) -> Partner:
        return Partner.from_row(self.partner_row)

    @classmethod
    def of(cls, statement: settlement.Statement) -> SettlementStatement:
        return cls(
            from_=statement.since,
            to=statement.until,
            points_redeemed=statement.points_redeemed,
            points_reversed=statement.points_reversed,
            redemptions=statement.redemptions,
            vouchers_consumed=statement.vouchers_consumed,
            point_value=statement.partner.point_value,
            currency=statement.partner.currency,
            amount_owed=statement.amount_owed,
            partner_row=statement.partner,
        )
