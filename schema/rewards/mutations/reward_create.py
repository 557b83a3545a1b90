"""rewardCreate: a new reward of the club's own (staff with REWARD_MANAGE)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import models, rewards
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.rewards.types import Reward, RewardDelivery


@strawberry.enum
class RewardCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


RewardCreateError = error_type("RewardCreate", RewardCreateErrorCode)


@strawberry.input
class RewardCreateInput:
    title: str
    description: str = ""
    points_price: int = strawberry.field(description=f"Points for one unit: 1 to {rewards.MAX_POINTS_PRICE:,}")
    stock: int | None = strawberry.field(default=None, description="Units available; null for unlimited")
    tier_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The lowest tier whose members may redeem it; null for every tier"
    )
    category: str
    image_url: str | None = strawberry.field(default=None, description="An https:// URL")
    validity_days: int = strawberry.field(
        default=90,
        description=f"Days a voucher stays valid: {rewards.MIN_VALIDITY_DAYS} to {rewards.MAX_VALIDITY_DAYS:,}",
    )
    delivery: RewardDelivery = models.RewardDelivery.VOUCHER
    active: bool = strawberry.field(default=True, description="Shown in the catalog and redeemable")


@strawberry.type
class RewardCreatePayload:
    reward: Reward | None = None
    errors: list[RewardCreateError]  # type: ignore[valid-type]


async def reward_create(info: Info, input: RewardCreateInput) -> RewardCreatePayload:
    async def action() -> dict:
        row = await rewards.create_reward(
            viewer=info.context.viewer,
            title=input.title,
            description=input.description,
            points_price=input.points_price,
            stock=input.stock,
            tier_id=node_pk(input.tier_id, "Tier", field="tierId") if input.tier_id else None,
            category=input.category,
            image_url=input.image_url,
            validity_days=input.validity_days,
            delivery=input.delivery,
            active=input.active,
        )
        return {"reward": await reward_of(row)}

    return await perform(info, RewardCreatePayload, RewardCreateError, action())


async def reward_of(row: models.Reward) -> Reward:
    """The Reward of a row just written, shown as in the catalog (inactive ones included); no member view."""
    from domain import catalog

    tiers = await rewards.ladder() if row.tier_id is not None else None
    tier_name = tiers.name_of(row.tier_id) if tiers is not None else None
    return Reward.from_item(catalog.from_reward(row, tier_name), partner_name=None, eligibility=None)
