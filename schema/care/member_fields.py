"""The Member fields about care; Member declares them, the logic stays here.

They are the club's internal view of a member: null for anyone but CARE_READ staff in scope
(account managers: their own members), the member themself included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


from domain import care, models
from domain.privacy import Sensitive
from schema.base import Info
from schema.care.types import ChurnRisk, Interaction, LifecycleStage, Segment
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate
from schema.privacy import reveal


async def _row(root: Any, info: Info) -> models.Member | None:
    """The member's row when the viewer may see their care data, else None."""
    if not care.may_read_care(info.context.viewer, account_manager_id=root.account_manager_id):
        return None
    return await info.context.loaders.member_by_id.load(root.id)


async def lifecycle_stage(root: Any, info: Info) -> LifecycleStage | None:
    row = await _row(root, info)
    return row.lifecycle_stage if row else None  # type: ignore[return-value]


async def churn_risk(root: Any, info: Info) -> ChurnRisk | None:
    row = await _row(root, info)
    return row.churn_risk if row else None  # type: ignore[return-value]


async def segment(root: Any, info: Info) -> Segment | None:
    row = await _row(root, info)
    return row.segment if row else None  # type: ignore[return-value]


async def rfm_score(root: Any, info: Info) -> str | None:
    row = await _row(root, info)
    if row is None:
        return None
    # Its M digit grades the member's spend.
    return await reveal(
        info, Sensitive.SPEND, row.rfm_score, action="Member.rfmScore", member_id=root.id, account_manager_id=root.account_manager_id
    )


async def last_visit_at(root: Any, info: Info) -> datetime | None:
    row = await _row(root, info)
    return row.last_visit_at if row else None


async def interactions(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[Interaction] | None:
    """Newest first; a page of members gets all their first pages in one query."""
    if not care.may_read_care(info.context.viewer, account_manager_id=root.account_manager_id):
        return None
    return await first_page_then_paginate(
        info.context.loaders.interaction_pages_by_member_id,
        root.id,
        care.interaction_query(member_id=root.id),
        first=first,
        after=after,
        node=Interaction.from_row,
        sort="occurred_at",
        descending=True,
    )
