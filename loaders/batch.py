"""Batch functions: rows for many keys in one query, returned in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

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
