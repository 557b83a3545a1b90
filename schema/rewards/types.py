"""The Reward type: one item of the merged catalog, the club's own or a partner's.

Its global ID wraps the item's key ("club:12", "partner:3:wine-barolo"), so an ID stays valid across
catalog refreshes for as long as the partner keeps its item id. Rewards are public club information:
anyone may read the catalog. `load_reward` is the one way to turn a key into a Reward (node lookups,
and entity references of the federated graph); partner items come through the request's
`partner_catalog_by_id` loader, so that any number of keys costs the statements of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from domain import catalog, models, rewards
from domain.catalog import CatalogItem
from partners.client import PartnerUnavailable
from partners.federation import PartnerCatalog
from schema.base import Info
from schema.federation import key_on_id
from schema.partial import report_partial

RewardDelivery = strawberry.enum(
    models.RewardDelivery,
    name="RewardDelivery",
    description="VOUCHER: a code shown at the counter; FULFILMENT: shipped or booked by the issuer",
)


# A federation entity (schema/federation.py): `_entities` resolves it through resolve_nodes, as `node` does.
@strawberry.type(
    description="A reward members may spend points on: the club's own, or a partner merchant's.",
    directives=[key_on_id()],
)
class Reward(relay.Node):
    id: relay.NodeID[str]
    title: str
    description: str
    points_price: int = strawberry.field(description="Points for one unit")
    stock: int | None = strawberry.field(description="Units left; null for unlimited")
    tier_restriction: str | None = strawberry.field(
        description="The name of the lowest tier whose members may redeem it; null for every tier"
    )
    category: str
    image_url: str | None
    validity_days: int = strawberry.field(description="Days a voucher stays valid once issued")
    delivery: RewardDelivery
    partner_name: str | None = strawberry.field(description="The partner merchant that issues it; null for the club's own")
    is_club_reward: bool = strawberry.field(description="Issued by the club itself")
    eligible_for_me: bool | None = strawberry.field(
        description="Whether the calling member may redeem it now (tier and stock); null for anyone but a member"
    )

    @classmethod
    def from_item(
        cls, item: CatalogItem, *, partner_name: str | None, eligibility: rewards.Eligibility | None
    ) -> Reward:
        return cls(
            id=item.key,
            title=item.title,
            description=item.description,
            points_price=item.points_price,
            stock=item.stock,
            tier_restriction=item.tier_restriction,
            category=item.category,
            image_url=item.image_url,
            validity_days=item.validity_days,
            delivery=item.delivery,
            partner_name=partner_name,
            is_club_reward=item.is_club_reward,
            eligible_for_me=eligibility.allows(item) if eligibility is not None else None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Reward | None]:
        return list(await asyncio.gather(*(load_reward(info, key) for key in node_ids)))


async def viewer_eligibility(info: Info) -> tuple[rewards.Ladder, rewards.Eligibility | None]:
    """The tier ladder and the calling member's eligibility, through the request's loaders: read once per request."""
    loaders = info.context.loaders
    tiers = await loaders.tier_ladder.load(0)
    viewer = info.context.viewer
    if not viewer.is_member or viewer.id is None:
        return tiers, None
    member = await loaders.member_by_id.load(viewer.id)
    if member is None:
        return tiers, None
    return tiers, await rewards.eligibility_of(viewer, tiers, member_tier_id=member.tier_id)


def partner_failure(info: Info, partner_id: int, partner_name: str, reason: str) -> None:
    """Report a partner whose items are missing from this field's answer (a partial result).

    `reason` is the plain one (PartnerUnavailable.plain_reason): the answer may go to anyone.
    """
    report_partial(
        f"{partner_name}'s catalog is missing: {reason}",
        path=info.path.as_list(),
        extensions={
            "code": "PARTNER_UNAVAILABLE",
            "partner": {"id": str(relay.GlobalID("Partner", str(partner_id))), "name": partner_name},
        },
    )


async def _reward(info: Info, key: str, tiers: rewards.Ladder, eligibility: rewards.Eligibility | None) -> Reward | None:
    parsed = catalog.parse_key(key)
    if parsed is None:
        return None
    partner_id, item_id = parsed
    item: CatalogItem | None
    partner_name = None
    if partner_id is None:
        row: Any = await info.context.loaders.reward_by_id.load(int(item_id)) if len(item_id) < 10 else None
        item = catalog.from_reward(row, tiers.name_of(row.tier_id)) if row is not None and row.active else None
    else:
        found: PartnerCatalog | None = None
        if partner_id < 2**31:
            found = await info.context.loaders.partner_catalog_by_id.load((info.context.federation, partner_id))
        if found is None:  # no such partner, or not active
            return None
        try:
            item = found.item(item_id)
        except PartnerUnavailable as failure:
            partner_failure(info, found.partner.id, found.partner.name, failure.plain_reason)
            return None
        partner_name = found.partner.name
    return Reward.from_item(item, partner_name=partner_name, eligibility=eligibility) if item is not None else None


async def load_reward(info: Info, key: str) -> Reward | None:
    """The reward of an item key ("club:12", "partner:3:wine-barolo"); None when gone, inactive or malformed.

    A partner whose catalog cannot be read gives None and a PARTNER_UNAVAILABLE error in the response.
    """
    tiers, eligibility = await viewer_eligibility(info)
    return await _reward(info, key, tiers, eligibility)
