"""Redemption mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.redemptions.mutations.reward_redeem import reward_redeem


@strawberry.type
class RedemptionMutation:
    reward_redeem = strawberry.mutation(
        resolver=reward_redeem,
        description="Spend your points on a reward (members): exactly once per idempotency key, "
        "whatever fails on the way.",
    )
