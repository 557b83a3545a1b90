"""rewardUpdate: change a reward of the club's own (staff with REWARD_MANAGE)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from domain import catalog, rewards
from domain.errors import DomainError
from domain.policy import Permission, require_permission
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.rewards.mutations.reward_create import reward_of
from schema.rewards.types import Reward, RewardDelivery


@strawberry.enum
class RewardUpdateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


RewardUpdateError = error_type("RewardUpdate", RewardUpdateErrorCode)


@strawberry.input(
    description="Only the fields given are changed; a null stock makes it unlimited, a null tierId opens it to every tier."
)
class RewardUpdateInput:
    reward_id: relay.GlobalID = strawberry.field(description="A Reward ID of the club's own")
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    points_price: int | None = strawberry.UNSET
    stock: int | None = strawberry.UNSET
    tier_id: relay.GlobalID | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    image_url: str | None = strawberry.UNSET
    validity_days: int | None = strawberry.UNSET
    delivery: RewardDelivery | None = strawberry.UNSET
    active: bool | None = strawberry.field(default=strawberry.UNSET, description="false takes it off the catalog")


_FIELDS = ("title", "description", "points_price", "stock", "category", "image_url", "validity_days", "delivery", "active")


@strawberry.type
class RewardUpdatePayload:
    reward: Reward | None = None
    errors: list[RewardUpdateError]  # type: ignore[valid-type]


def _reward_pk(global_id: relay.GlobalID) -> int:
    """The database id of a club reward's global ID ("club:<id>"); a partner's item cannot be changed here."""
    parsed = catalog.parse_key(global_id.node_id) if global_id.type_name == "Reward" else None
    if parsed is None or parsed[0] is not None or len(parsed[1]) >= 10:
        raise DomainError("NOT_FOUND", "Reward not found", field="rewardId")
    return int(parsed[1])


def _changes(input: RewardUpdateInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            changes[name] = value
    if input.tier_id is not strawberry.UNSET:
        changes["tier_id"] = node_pk(input.tier_id, "Tier", field="tierId") if input.tier_id else None
    return changes


async def reward_update(info: Info, input: RewardUpdateInput) -> RewardUpdatePayload:
    async def action() -> dict:
        # Refused before the ID is looked at: a caller who may not manage rewards learns nothing of them.
        require_permission(info.context.viewer, Permission.REWARD_MANAGE)
        row = await rewards.update_reward(
            viewer=info.context.viewer, reward_id=_reward_pk(input.reward_id), changes=_changes(input)
        )
        return {"reward": await reward_of(row)}

    return await perform(info, RewardUpdatePayload, RewardUpdateError, action())
