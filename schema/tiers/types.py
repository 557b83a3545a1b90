"""The Tier and Benefit types: public club information."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import models
from schema.base import Info, pks

QuotaPeriod = strawberry.enum(models.QuotaPeriod, name="QuotaPeriod", description="The period a benefit quota renews")


@strawberry.type(description="A privilege of a tier, possibly limited to a number of uses per period.")
class Benefit(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable kind of benefit, e.g. guest_pass")
    name: str
    description: str
    quota: int | None = strawberry.field(description="Uses allowed per period; null means unlimited")
    quota_period: QuotaPeriod | None
    value: Decimal | None = strawberry.field(description="A benefit's figure, e.g. the points multiplier")

    @classmethod
    def from_row(cls, row: models.Benefit) -> Benefit:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            description=row.description,
            quota=row.quota,
            quota_period=row.quota_period,
            value=row.value,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Benefit | None]:
        ids = pks(node_ids)
        rows = {row.id: row for row in await models.Benefit.filter(id__in=ids)}
        return [cls.from_row(rows[pk]) if pk in rows else None for pk in ids]


@strawberry.type(description="A rung of the club's tier ladder.")
class Tier(relay.Node):
    id: relay.NodeID[int]
    name: str
    rank: int = strawberry.field(description="Position on the ladder; higher is better")
    description: str

    @strawberry.field(description="The privileges of this tier.")
    async def benefits(self, info: Info) -> list[Benefit]:
        rows = await info.context.loaders.benefits_by_tier_id.load(self.id)
        return [Benefit.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Tier) -> Tier:
        return cls(id=row.id, name=row.name, rank=row.rank, description=row.description)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Tier | None]:
        rows = await info.context.loaders.tier_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]
