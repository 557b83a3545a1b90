"""rewardRedeem: a member spends points on a reward of the club or of a partner, exactly once."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain.errors import DomainError
from partners import redemption
from schema.base import Info
from schema.errors import error_type, perform
from schema.redemptions.types import Redemption


@strawberry.enum
class RewardRedeemErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"
    TIER_NOT_ALLOWED = "TIER_NOT_ALLOWED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PARTNER_UNAVAILABLE = "PARTNER_UNAVAILABLE"


RewardRedeemError = error_type("RewardRedeem", RewardRedeemErrorCode)


@strawberry.input
class RewardRedeemInput:
    reward_id: relay.GlobalID = strawberry.field(description="A Reward id from `rewards`")
    quantity: int = strawberry.field(default=1, description=f"Units, 1 to {redemption.MAX_QUANTITY}")
    idempotency_key: str = strawberry.field(
        description="A new random key per redemption (e.g. a UUID); a retry with the same key returns the "
        "same redemption instead of redeeming twice"
    )


@strawberry.type
class RewardRedeemPayload:
    redemption: Redemption | None = strawberry.field(
        default=None,
        description="COMPLETED with its voucher; REFUSED by the partner (points given back); or PENDING (or "
        "CANCELLING) when the partner's answer is not known yet: the club settles it later; asking again with "
        "the same key returns it as it stands",
    )
    errors: list[RewardRedeemError]  # type: ignore[valid-type]


def reward_key_of(reward_id: relay.GlobalID) -> str:
    if reward_id.type_name != "Reward":
        raise DomainError("NOT_FOUND", "Reward not found", field="rewardId")
    return reward_id.node_id


async def reward_redeem(info: Info, input: RewardRedeemInput) -> RewardRedeemPayload:
    async def action() -> dict:
        redemption.require_member(info.context.viewer)  # refused at the top level before any input is read
        federation = info.context.federation
        row = await redemption.redeem(
            viewer=info.context.viewer,
            reward_key=reward_key_of(input.reward_id),
            quantity=input.quantity,
            idempotency_key=input.idempotency_key,
            items=federation,
            client=federation.client,
            grace_seconds=info.context.settings.redemption_grace_seconds,
        )
        return {"redemption": Redemption.from_row(row)}

    return await perform(info, RewardRedeemPayload, RewardRedeemError, action())
