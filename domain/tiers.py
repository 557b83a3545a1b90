"""Tier changes made by staff, and the entry points of the tier rules, which live in `tier_engine`."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from domain import models, tier_engine
from domain.errors import DomainError, NotFound
from domain.members import member_for_write, today
from domain.policy import Permission, require_permission
from domain.tier_engine import evaluate_upgrade, review_tiers
from domain.validation import clean_text
from domain.viewer import Viewer

# The points module calls `tiers.evaluate_upgrade` after each qualifying event.
__all__ = ["evaluate_upgrade", "review_tiers", "set_tier"]


async def set_tier(*, viewer: Viewer, member_id: int, tier_id: int, reason: str) -> models.Member:
    """Put a member in a tier by hand; the reason and the author go into the tier history.

    The tier is reviewed a window later like any other, so a manual tier is no lasting floor.
    """
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
        change = await tier_engine.change_tier(
            member_id=member.id,
            from_tier_id=member.tier_id,
            to_tier=tier,
            source=models.TierChangeSource.MANUAL,
            reason=reason,
            today=today(),
            changed_by_id=viewer.id,
        )
        if change is None:
            raise DomainError("CONFLICT", "The member's tier changed meanwhile; reload and try again")
    return await models.Member.get(id=member.id)
