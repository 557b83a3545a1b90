"""Batch functions: rows for many keys in one query, returned in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

from domain.db import fetch_dicts

M = TypeVar("M", bound=Model)


async def load_by_id(model: type[M], ids: Sequence[int]) -> list[M | None]:
    rows = {row.pk: row for row in await model.filter(pk__in=set(ids))}
    return [rows.get(key) for key in ids]


async def load_children(
    model: type[M], parent_field: str, parent_ids: Sequence[int], *, order_by: Sequence[str] = ("id",)
) -> list[list[M]]:
    """Rows of `model` whose `parent_field` is one of `parent_ids`, grouped per parent."""
    grouped: dict[int, list[M]] = defaultdict(list)
    for row in await model.filter(**{f"{parent_field}__in": set(parent_ids)}).order_by(*order_by):
        grouped[getattr(row, parent_field)].append(row)
    return [grouped.get(key, []) for key in parent_ids]


_FIRST_PAGES = """
SELECT id FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {order}) AS position
    FROM {table}
    WHERE {parent} IN ({parents}){where}
) AS page
WHERE position <= $1
"""


async def load_first_pages(
    model: type[M],
    parent_field: str,
    keys: Sequence[tuple[int, int]],
    *,
    order_by: Sequence[str],
    where: str = "",
) -> list[list[M]]:
    """The first `limit` rows of `model` for each (parent id, limit), in `order_by` (Tortoise style,
    e.g. ("-occurred_at", "-id"), ending with the primary key).

    A connection's first page for a whole page of parents: one windowed query per distinct limit
    (usually one), then one query for the rows of all of them. `where` is a constant SQL condition
    (no input), e.g. "NOT is_internal".
    """
    order = ", ".join(f"{column[1:]} DESC" if column.startswith("-") else column for column in order_by)
    limits: dict[int, set[int]] = defaultdict(set)
    for parent_id, limit in keys:
        limits[limit].add(parent_id)
    ids: set[int] = set()
    for limit, parent_ids in limits.items():
        parents = sorted(parent_ids)
        sql = _FIRST_PAGES.format(
            parent=parent_field,
            order=order,
            table=model._meta.db_table,
            parents=", ".join(f"${2 + i}" for i in range(len(parents))),
            where=f" AND {where}" if where else "",
        )
        ids.update(row["id"] for row in await fetch_dicts(sql, [limit, *parents]))
    grouped: dict[int, list[M]] = defaultdict(list)
    for row in await model.filter(id__in=ids).order_by(*order_by) if ids else []:
        grouped[getattr(row, parent_field)].append(row)
    return [grouped[parent_id][:limit] for parent_id, limit in keys]
