"""The Member fields about points; Member declares them, the logic stays here.

They are the member's own and staff's who may read members: checked again here, so that a Member
reached some other way one day does not show its points.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain import points
from domain.errors import PermissionDenied
from domain.policy import may_read_member
from schema.base import Info
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate
from schema.points.types import EntryKind, LedgerEntry, PointsExpiry


@strawberry.input(description="Narrows a points history; all given conditions must hold.")
class PointsHistoryFilter:
    kinds: list[EntryKind] | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="Written at or after")
    to: datetime | None = strawberry.field(default=None, description="Written before")


def _member_id(root: Any, info: Info) -> int:
    if not may_read_member(info.context.viewer, root.id):
        raise PermissionDenied()
    return root.id


async def _row(root: Any, info: Info) -> Any:
    return await info.context.loaders.member_by_id.load(_member_id(root, info))


async def points_balance(root: Any, info: Info) -> int:
    return (await _row(root, info)).points_balance


async def points_debt(root: Any, info: Info) -> int:
    return (await _row(root, info)).points_debt


async def points_history(
    root: Any,
    info: Info,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    filter: PointsHistoryFilter | None = None,
) -> Connection[LedgerEntry]:
    filter = filter or PointsHistoryFilter()
    query = points.history_query(
        member_id=_member_id(root, info), kinds=filter.kinds, since=filter.from_, until=filter.to
    )
    return await paginate(query, first=first, after=after, node=LedgerEntry.from_row, descending=True)


async def points_balance_at(root: Any, info: Info, at: datetime) -> int:
    return await info.context.loaders.balance_at_by_member_and_moment.load((_member_id(root, info), at))


async def points_expiring_soon(root: Any, info: Info, days: int = 30) -> list[PointsExpiry]:
    points.check_expiry_days(days)
    expiring = await info.context.loaders.expiring_soon_by_member_and_days.load((_member_id(root, info), days))
    return [PointsExpiry(date=day, points=amount) for day, amount in expiring]
