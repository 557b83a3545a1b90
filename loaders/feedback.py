"""Batch functions of the feedback types: a first page of responses for many tickets at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from domain import models
from domain.db import fetch_dicts


class ResponsePageKey(NamedTuple):
    """A page of one ticket's responses: up to `limit` rows after the response id `after` (0 from the start)."""

    ticket_id: int
    limit: int
    after: int
    with_internal: bool


_PAGE_IDS = """
SELECT id FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY id) AS position
    FROM ticket_response
    WHERE ticket_id IN ({tickets}) AND id > $1{internal}
) AS page
WHERE position <= $2
"""


async def load_response_pages(keys: Sequence[ResponsePageKey]) -> list[list[models.TicketResponse]]:
    """Pages of responses for many tickets: one windowed query per distinct (limit, after, visibility),
    usually just one, then one query for the rows of all of them."""
    groups: dict[tuple[int, int, bool], set[int]] = defaultdict(set)
    for key in keys:
        groups[(key.limit, key.after, key.with_internal)].add(key.ticket_id)
    ids: set[int] = set()
    for (limit, after, with_internal), ticket_ids in groups.items():
        tickets = sorted(ticket_ids)
        placeholders = ", ".join(f"${3 + i}" for i in range(len(tickets)))
        sql = _PAGE_IDS.format(tickets=placeholders, internal="" if with_internal else " AND NOT is_internal")
        ids.update(row["id"] for row in await fetch_dicts(sql, [after, limit, *tickets]))
    rows: dict[int, list[models.TicketResponse]] = defaultdict(list)
    for row in await models.TicketResponse.filter(id__in=ids).order_by("id") if ids else []:
        rows[row.ticket_id].append(row)
    # Each key's page is the first rows of its ticket that it may see, after its cursor.
    return [
        [row for row in rows[key.ticket_id] if row.id > key.after and (key.with_internal or not row.is_internal)][
            : key.limit
        ]
        for key in keys
    ]
