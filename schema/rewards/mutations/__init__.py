"""Reward mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.rewards.mutations.reward_create import reward_create
from schema.rewards.mutations.reward_update import reward_update


@strawberry.type
class RewardMutation:
    reward_create = strawberry.mutation(
        resolver=reward_create, description="Add a reward of the club's own to the catalog (reward managers)."
    )
    reward_update = strawberry.mutation(
        resolver=reward_update,
        description="Change a reward of the club's own: price, stock, tier, or take it off the catalog (reward managers).",
    )
