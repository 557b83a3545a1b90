"""Cursor connections by keyset on a unique column: stable under inserts, one query per page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import NodeType
from strawberry.relay.utils import from_base64, to_base64
from tortoise.queryset import QuerySet

from schema.errors import BadRequest

MAX_PAGE_SIZE = 100
# Cursor keys must fit the 32-bit columns they are compared with (ids, ranks); the 64-bit ledger ids
# stay below it for a long while, and a larger key is refused rather than failing in the database.
MAX_KEY = 2**31 - 1
DEFAULT_PAGE_SIZE = 20
_CURSOR_PREFIX = "cursor"



@strawberry.type(description="A page of a list.")
class Connection(relay.Connection[NodeType]):
    _count_query: strawberry.Private[QuerySet[Any] | None] = None

    @strawberry.field(description="How many items the whole list has (one extra COUNT query when asked).")
    async def total_count(self) -> int:
        assert self._count_query is not None
        return await self._count_query.count()


def _after_key(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        prefix, value = from_base64(after)
        if prefix == _CURSOR_PREFIX and abs(int(value)) <= MAX_KEY:
            return int(value)
    except ValueError:
        pass
    raise BadRequest("The cursor in `after` is not valid; use an `endCursor` from this list")


def check_page_size(first: int) -> int:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadRequest(f"`first` must be between 0 and {MAX_PAGE_SIZE}")
    return first


async def paginate(
    query: QuerySet[Any],
    *,
    first: int,
    after: str | None,
    node: Callable[[Any], NodeType],
    key: str = "id",
    descending: bool = False,
) -> Connection[NodeType]:
    """The page of `query` after the cursor in the order of `key`, a unique integer column (or the reverse)."""
    first = check_page_size(first)
    after_key = _after_key(after)
    beyond = "lt" if descending else "gt"
    page_query = query if after_key is None else query.filter(**{f"{key}__{beyond}": after_key})
    rows = await page_query.order_by(f"-{key}" if descending else key).limit(first + 1)
    page = rows[:first]
    edges = [relay.Edge(cursor=to_base64(_CURSOR_PREFIX, getattr(row, key)), node=node(row)) for row in page]
    page_info = relay.PageInfo(
        has_next_page=len(rows) > first,
        has_previous_page=after_key is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    connection = Connection(page_info=page_info, edges=edges)
    connection._count_query = query
    return connection
