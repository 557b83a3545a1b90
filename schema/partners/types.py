"""The partner types: a partner merchant and its API keys.

Partner managers (PARTNER_MANAGE) see every partner and key; a partner, signed in with its API key,
sees itself and its own keys (through `me`); anyone else gets null. A key's secret and hash never
leave the domain layer: the key itself is shown once, by `partnerApiKeyCreate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import models, partners
from schema.base import Info, pks

PartnerStatus = strawberry.enum(
    models.PartnerStatus, name="PartnerStatus", description="A suspended partner's API keys are refused"
)


@strawberry.type(description="An API key of a partner: its public prefix and its life; never the secret.")
class PartnerApiKey(relay.Node):
    id: relay.NodeID[int]
    prefix: str = strawberry.field(description="The public part of the key, before the dot")
    label: str
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute")
    revoked_at: datetime | None
    partner_id: strawberry.Private[int]

    @strawberry.field
    async def partner(self, info: Info) -> Partner:
        return Partner.from_row(await info.context.loaders.partner_by_id.load(self.partner_id))

    @classmethod
    def from_row(cls, row: models.PartnerApiKey) -> PartnerApiKey:
        return cls(
            id=row.id,
            prefix=row.prefix,
            label=row.label,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            partner_id=row.partner_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartnerApiKey | None]:
        viewer = info.context.viewer
        rows = await info.context.loaders.partner_api_key_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row and partners.may_read_partner(viewer, row.partner_id) else None for row in rows]


@strawberry.type(description="A partner merchant of the club, with its settlement terms.")
class Partner(relay.Node):
    id: relay.NodeID[int]
    name: str
    slug: str = strawberry.field(description="A stable short name, made from the name at registration")
    status: PartnerStatus
    base_url: str | None = strawberry.field(description="The partner protocol endpoint; null for a push-only partner")
    point_value: Decimal = strawberry.field(description="The settlement value of one point to this partner")
    currency: str = strawberry.field(description="ISO 4217 code of pointValue")
    require_signature: bool = strawberry.field(description="Whether its requests must carry an HMAC signature")
    daily_award_cap: int = strawberry.field(description="Most points it may award one member per UTC day")
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description=f"Its keys, live and revoked, oldest first; at most {partners.MAX_LIVE_KEYS} live.")
    async def api_keys(self, info: Info) -> list[PartnerApiKey]:
        rows = await info.context.loaders.partner_api_keys_by_partner_id.load(self.id)
        return [PartnerApiKey.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Partner) -> Partner:
        return cls(
            id=row.id,
            name=row.name,
            slug=row.slug,
            status=row.status,
            base_url=row.base_url,
            point_value=row.point_value,
            currency=row.currency,
            require_signature=row.require_signature,
            daily_award_cap=row.daily_award_cap,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Partner | None]:
        viewer = info.context.viewer
        rows = await info.context.loaders.partner_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row and partners.may_read_partner(viewer, row.id) else None for row in rows]
