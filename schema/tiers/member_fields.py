"""The Member fields about tiers and benefits; Member declares them, the logic stays here.

They are seen by whoever may see the Member: the member themself and staff who may read members.
Each goes through a DataLoader, so a page of members costs the same statements as one member.
"""

from __future__ import annotations

from typing import Any

from domain.privacy import Sensitive
from schema.base import Info
from schema.benefits.types import MemberBenefit
from schema.privacy import reveal
from schema.tiers.types import TierChange, TierProgress


async def tier_history(root: Any, info: Info) -> list[TierChange]:
    rows = await info.context.loaders.tier_changes_by_member_id.load(root.id)
    return [TierChange.from_row(row) for row in rows]


async def tier_progress(root: Any, info: Info) -> TierProgress:
    progress = TierProgress.from_progress(await info.context.loaders.tier_progress_by_member_id.load(root.id))
    progress.spend = await reveal(
        info,
        Sensitive.SPEND,
        progress.spend,
        action="TierProgress.spend",
        member_id=root.id,
        account_manager_id=root.account_manager_id,
    )
    return progress


async def benefits(root: Any, info: Info) -> list[MemberBenefit]:
    statuses = await info.context.loaders.benefits_by_member_and_tier_id.load((root.id, root.tier_id))
    return [MemberBenefit.from_status(status) for status in statuses]
