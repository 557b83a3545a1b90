"""The points types: ledger entries, the lots they fill and draw on, and purchases.

Each is seen by whoever may see the member it belongs to: the member themself and staff who may
read members. Anything else gets null, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain import models
from domain.policy import may_read_member
from domain.privacy import Sensitive
from schema.base import Info, pks
from schema.privacy import reveal

if TYPE_CHECKING:
    from schema.members.types import Member

EntryKind = strawberry.enum(
    models.EntryKind, name="EntryKind", description="What an entry does to the balance, which gives its sign"
)
EntrySource = strawberry.enum(models.EntrySource, name="EntrySource", description="Why the points moved")

IDEMPOTENCY_KEY_HELP = (
    "Your key for this one operation: a retry with the same key returns the first result and moves nothing "
    "again; the same key with other arguments is refused"
)


def _visible(info: Info, rows: Sequence[models.Model | None]) -> list[models.Model | None]:
    return [row if row and may_read_member(info.context.viewer, row.member_id) else None for row in rows]


@strawberry.type(description="Points from one credit: spent oldest-expiry first, and expiring together.")
class PointsLot(relay.Node):
    id: relay.NodeID[int]
    amount: int = strawberry.field(description="Points the credit put in")
    remaining: int = strawberry.field(description="Points not yet spent, expired or moved")
    earned_at: datetime
    expires_at: datetime

    @classmethod
    def from_row(cls, row: models.PointsLot) -> PointsLot:
        return cls(
            id=row.id, amount=row.amount, remaining=row.remaining, earned_at=row.earned_at, expires_at=row.expires_at
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsLot | None]:
        rows = _visible(info, await info.context.loaders.lot_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="Points an entry took from a lot, or gave back to it (negative).")
class LotConsumption:
    amount: int
    lot_id: strawberry.Private[int]

    @strawberry.field
    async def lot(self, info: Info) -> PointsLot:
        return PointsLot.from_row(await info.context.loaders.lot_by_id.load(self.lot_id))


@strawberry.type(description="A purchase at one of the club's outlets, and the points it earned.")
class Purchase(relay.Node):
    id: relay.NodeID[int]
    currency: str
    outlet: str
    external_reference: str = strawberry.field(description="The outlet's own reference, unique per outlet")
    points_earned: int = strawberry.field(description="Points credited, campaign bonuses included")
    points_reversed: int = strawberry.field(description="Points taken back by refunds")
    created_at: datetime
    member_id: strawberry.Private[int]
    _amounts: strawberry.Private[tuple[Decimal, Decimal, Decimal]]  # amount, paid with points, refunded

    # Money the member spent (domain/privacy.py): null unless your role may see the member's spend.
    @strawberry.field(description="Null unless your role may see the member's spend")
    async def amount(self, info: Info) -> Decimal | None:
        return await self._spend(info, 0, "Purchase.amount")

    @strawberry.field(description="The part of the amount settled with points; it earns none. Null as `amount`")
    async def paid_with_points(self, info: Info) -> Decimal | None:
        return await self._spend(info, 1, "Purchase.paidWithPoints")

    @strawberry.field(description="Null as `amount`")
    async def refunded_amount(self, info: Info) -> Decimal | None:
        return await self._spend(info, 2, "Purchase.refundedAmount")

    async def _spend(self, info: Info, index: int, action: str) -> Decimal | None:
        return await reveal(info, Sensitive.SPEND, self._amounts[index], action=action, member_id=self.member_id)

    @strawberry.field
    async def member(self, info: Info) -> Annotated["Member", strawberry.lazy("schema.members.types")]:
        from schema.members.types import Member

        return Member.from_row(await info.context.loaders.member_by_id.load(self.member_id))

    @classmethod
    def from_row(cls, row: models.Purchase) -> Purchase:
        return cls(
            id=row.id,
            currency=row.currency,
            outlet=row.outlet,
            external_reference=row.external_reference,
            points_earned=row.points_earned,
            points_reversed=row.points_reversed,
            created_at=row.created_at,
            member_id=row.member_id,
            _amounts=(row.amount, row.paid_with_points, row.refunded_amount),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Purchase | None]:
        rows = _visible(info, await info.context.loaders.purchase_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="One movement of a member's points; never changed: corrections are new entries.")
class LedgerEntry(relay.Node):
    id: relay.NodeID[int]
    kind: EntryKind
    source: EntrySource
    amount: int = strawberry.field(description="Signed: credits positive, debits negative")
    balance_after: int
    reason: str
    created_at: datetime
    member_id: strawberry.Private[int]
    purchase_id: strawberry.Private[int | None]

    @strawberry.field(description="The lots this entry took points from, or gave them back to; empty for credits.")
    async def consumed_lots(self, info: Info) -> list[LotConsumption]:
        rows = await info.context.loaders.lot_consumptions_by_entry_id.load(self.id)
        return [LotConsumption(amount=row.amount, lot_id=row.lot_id) for row in rows]

    @strawberry.field(description="The lot this credit filled, with its expiry; null for debits.")
    async def lot(self, info: Info) -> PointsLot | None:
        rows = await info.context.loaders.lots_by_entry_id.load(self.id)
        return PointsLot.from_row(rows[0]) if rows else None

    @strawberry.field(description="The purchase that earned or refunded these points.")
    async def purchase(self, info: Info) -> Purchase | None:
        if self.purchase_id is None:
            return None
        row = await info.context.loaders.purchase_by_id.load(self.purchase_id)
        # A referral reward names the referee's purchase: the referrer does not get to see it.
        return Purchase.from_row(row) if row and may_read_member(info.context.viewer, row.member_id) else None

    @classmethod
    def from_row(cls, row: models.LedgerEntry) -> LedgerEntry:
        return cls(
            id=row.id,
            kind=row.kind,
            source=row.source,
            amount=row.amount,
            balance_after=row.balance_after,
            reason=row.reason,
            created_at=row.created_at,
            member_id=row.member_id,
            purchase_id=row.purchase_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LedgerEntry | None]:
        rows = _visible(info, await info.context.loaders.ledger_entry_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


async def load_entries(info: Info, entry_ids: Sequence[int]) -> list[LedgerEntry]:
    """The entries an action wrote, in order, for its payload."""
    rows = await info.context.loaders.ledger_entry_by_id.load_many(list(entry_ids))
    return [LedgerEntry.from_row(row) for row in rows if row]


async def load_purchase(info: Info, purchase_id: int) -> Purchase:
    return Purchase.from_row(await info.context.loaders.purchase_by_id.load(purchase_id))


@strawberry.type(description="Points that expire on one day.")
class PointsExpiry:
    date: date
    points: int
