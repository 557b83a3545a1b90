"""Batch functions of the care types: the first page of interactions for many members at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from domain import models
from domain.db import fetch_dicts


class InteractionPageKey(NamedTuple):
    """The newest `limit` interactions of one member."""

    member_id: int
    limit: int


_PAGE_IDS = """
SELECT id FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY occurred_at DESC, id DESC) AS position
    FROM interaction
    WHERE member_id IN ({members})
) AS page
WHERE position <= $1
"""


async def load_interaction_pages(keys: Sequence[InteractionPageKey]) -> list[list[models.Interaction]]:
    """First pages for many members: one windowed query per distinct page size (usually one), then
    one query for the rows of all of them. Each page is newest first (occurred_at, then id)."""
    groups: dict[int, set[int]] = defaultdict(set)
    for key in keys:
        groups[key.limit].add(key.member_id)
    ids: set[int] = set()
    for limit, member_ids in groups.items():
        members = sorted(member_ids)
        placeholders = ", ".join(f"${2 + i}" for i in range(len(members)))
        ids.update(row["id"] for row in await fetch_dicts(_PAGE_IDS.format(members=placeholders), [limit, *members]))
    rows: dict[int, list[models.Interaction]] = defaultdict(list)
    for row in await models.Interaction.filter(id__in=ids) if ids else []:
        rows[row.member_id].append(row)
    for page in rows.values():
        page.sort(key=lambda row: (row.occurred_at, row.id), reverse=True)
    return [rows[key.member_id][: key.limit] for key in keys]
