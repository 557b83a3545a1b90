"""Redemption and Voucher: what a member spent points on, and what they got for it.

Visible to the member themselves and to staff with MEMBER_READ in scope (account managers: their own
members only); never through `node` to a partner, who has views of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import strawberry
from strawberry import relay

from domain import models, voucher_codes
from domain.policy import Permission, has_permission, in_scope
from domain.viewer import Viewer
from schema.base import Info, account_managers_of, pks

RedemptionStatus = strawberry.enum(
    models.RedemptionStatus,
    name="RedemptionStatus",
    description="PENDING: points held, the partner's answer not known yet (settled by reconciliation); "
    "COMPLETED: issued, points spent; REFUSED: the issuer refused, points given back; "
    "CANCELLED: given up after an unknown outcome, fenced at the partner, points given back; "
    "CANCELLING: being cancelled at the partner after an unknown outcome, points still held (settled by reconciliation).",
)
VoucherStatus = strawberry.enum(
    models.VoucherStatus,
    name="VoucherStatus",
    description="ISSUED: may be taken at the counter until it expires; CONSUMED: taken; CANCELLED: void.",
)


def may_read_redemptions(viewer: Viewer, *, member_id: int, account_manager_id: int | None) -> bool:
    """The member's own, and staff with MEMBER_READ within their scope; never a partner's."""
    return viewer.is_member_self(member_id) or (
        viewer.is_staff
        and has_permission(viewer, Permission.MEMBER_READ)
        and in_scope(viewer, account_manager_id=account_manager_id)
    )


async def _visible(info: Info, rows: Sequence[models.Redemption | models.Voucher | None]) -> list:
    viewer = info.context.viewer
    if viewer.is_anonymous or viewer.is_partner:
        return [None for _ in rows]
    managers = await account_managers_of(info, [row.member_id for row in rows if row])
    return [
        row
        if row and may_read_redemptions(viewer, member_id=row.member_id, account_manager_id=managers.get(row.member_id))
        else None
        for row in rows
    ]


async def _partner_name(info: Info, partner_id: int | None) -> str | None:
    if partner_id is None:
        return None
    partner = await info.context.loaders.partner_by_id.load(partner_id)
    return partner.name if partner else None


@strawberry.type(description="What a redemption issued: a code to show at the counter, or the issuer's fulfilment reference.")
class Voucher(relay.Node):
    id: relay.NodeID[int]
    full_code: strawberry.Private[str | None]
    fulfilment_id: str | None = strawberry.field(description="The issuer's order or booking reference, when not a code")
    title: str
    quantity: int
    status: VoucherStatus
    issued_at: datetime
    expires_at: datetime | None
    consumed_at: datetime | None
    partner_id: strawberry.Private[int | None]
    member_id: strawberry.Private[int]

    @strawberry.field(
        description="The code the member shows at the counter; null for a shipped or booked reward. In full for "
        "the member only: a code is a bearer secret, so staff see it masked, each letter and digit an * but a "
        "prefix of up to 6 letters before the first dash and the last 4 (at least 4 stay masked), separators "
        "kept, e.g. CLUB-****-****-4TRA."
    )
    def code(self, info: Info) -> str | None:
        if self.full_code is None or info.context.viewer.is_member_self(self.member_id):
            return self.full_code
        return voucher_codes.masked(self.full_code)

    @strawberry.field(description="The partner that honours it; null for the club's own vouchers.")
    async def partner_name(self, info: Info) -> str | None:
        return await _partner_name(info, self.partner_id)

    @classmethod
    def from_row(cls, row: models.Voucher) -> Voucher:
        return cls(
            id=row.id,
            full_code=row.code,
            fulfilment_id=row.fulfilment_id,
            title=row.title,
            quantity=row.quantity,
            status=row.status,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            consumed_at=row.consumed_at,
            partner_id=row.partner_id,
            member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Voucher | None]:
        rows = await _visible(info, await info.context.loaders.voucher_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A member spending points on a reward, of the club or of a partner.")
class Redemption(relay.Node):
    id: relay.NodeID[int]
    reference: str = strawberry.field(description="The id the issuer knows it by, e.g. rdm_3f9c...")
    status: RedemptionStatus
    title: str
    quantity: int
    points: int = strawberry.field(description="Points for all units: held while pending, spent once completed")
    failure_code: str | None = strawberry.field(description="Why it was refused or cancelled, e.g. OUT_OF_STOCK")
    failure_message: str | None
    created_at: datetime
    settled_at: datetime | None = strawberry.field(description="When it left PENDING")
    partner_id: strawberry.Private[int | None]
    member_id: strawberry.Private[int]

    @strawberry.field(description="The partner that issues it; null for the club's own rewards.")
    async def partner_name(self, info: Info) -> str | None:
        return await _partner_name(info, self.partner_id)

    @strawberry.field(description="What it issued; null unless COMPLETED.")
    async def voucher(self, info: Info) -> Voucher | None:
        rows = await info.context.loaders.voucher_by_redemption_id.load(self.id)
        return Voucher.from_row(rows[0]) if rows else None

    @classmethod
    def from_row(cls, row: models.Redemption) -> Redemption:
        return cls(
            id=row.id,
            reference=row.reference,
            status=row.status,
            title=row.title,
            quantity=row.quantity,
            points=row.points,
            failure_code=row.failure_code,
            failure_message=row.failure_message,
            created_at=row.created_at,
            settled_at=row.settled_at,
            partner_id=row.partner_id,
            member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Redemption | None]:
        rows = await _visible(info, await info.context.loaders.redemption_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]
