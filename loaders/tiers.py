"""Batch functions that apply the tier rules to many members at once, as of the request's time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from domain import benefits, tier_engine


async def load_tier_progress_by_member_id(member_ids: Sequence[int]) -> list[tier_engine.Progress | None]:
    return await tier_engine.progress_of_members(member_ids, now=datetime.now(timezone.utc))


async def load_benefits_by_member_and_tier_id(keys: Sequence[tuple[int, int]]) -> list[list[benefits.BenefitStatus]]:
    """Keyed by (member id, tier id): the member's tier is on the Member object already."""
    return await benefits.benefits_of_members(keys, now=datetime.now(timezone.utc))
