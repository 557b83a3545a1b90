"""Queries over the partner registry, for partner managers (PARTNER_MANAGE)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain import partners
from schema.base import Info, node_pk_or_none
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate
from schema.partners.types import Partner


@strawberry.type
class PartnerQuery:
    @strawberry.field(description="The partner merchants, in order of registration (partner managers).")
    async def partners(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Partner]:
        query = partners.partner_query(viewer=info.context.viewer)
        return await paginate(query, first=first, after=after, node=Partner.from_row)

    @strawberry.field(description="One partner by its ID; null when it is not yours to see.")
    async def partner(self, info: Info, id: relay.GlobalID) -> Partner | None:
        pk = node_pk_or_none(id, "Partner")
        row = await info.context.loaders.partner_by_id.load(pk) if pk is not None else None
        return Partner.from_row(row) if row and partners.may_read_partner(info.context.viewer, row.id) else None
