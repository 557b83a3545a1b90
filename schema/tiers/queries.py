"""Queries over the tier ladder."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain import models
from schema.base import Info, node_pk_or_none
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate
from schema.tiers.types import Tier


@strawberry.type
class TierQuery:
    @strawberry.field(description="The tier ladder, lowest rank first.")
    async def tiers(self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Connection[Tier]:
        return await paginate(models.Tier.all(), first=first, after=after, node=Tier.from_row, key="rank")

    @strawberry.field(description="One tier by its ID.")
    async def tier(self, info: Info, id: relay.GlobalID) -> Tier | None:
        pk = node_pk_or_none(id, "Tier")
        row = await info.context.loaders.tier_by_id.load(pk) if pk is not None else None
        return Tier.from_row(row) if row else None
