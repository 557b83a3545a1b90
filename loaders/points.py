"""Batch functions for the Member points fields that take arguments: one query per distinct argument."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from domain import models, points


def _by_argument(keys: Sequence[tuple[int, object]]) -> dict[object, list[int]]:
    grouped: dict[object, list[int]] = defaultdict(list)
    for member_id, argument in keys:
        grouped[argument].append(member_id)
    return grouped


async def load_balances_at(keys: Sequence[tuple[int, datetime]]) -> list[int]:
    """Balance of each (member id, moment): the last entry written by then, per member."""
    found: dict[tuple[int, datetime], int] = {}
    for at, member_ids in _by_argument(keys).items():
        for member_id, balance in await points.balances_at(member_ids=member_ids, at=at):
            found[(member_id, at)] = balance
    return [found.get(key, 0) for key in keys]


async def load_expiring_soon(keys: Sequence[tuple[int, int]]) -> list[list[tuple[date, int]]]:
    """Points expiring per UTC day within each (member id, days)."""
    now = datetime.now(timezone.utc)
    found: dict[tuple[int, int], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for days, member_ids in _by_argument(keys).items():
        points.check_expiry_days(days)
        lots = await (
            models.PointsLot.filter(
                member_id__in=member_ids, remaining__gt=0, expires_at__lte=now + timedelta(days=days)
            )
            .order_by("expires_at")
            .values_list("member_id", "expires_at", "remaining")
        )
        for member_id, expires_at, remaining in lots:
            found[(member_id, days)][expires_at.astimezone(timezone.utc).date()] += remaining
    return [list(found[key].items()) if key in found else [] for key in keys]
