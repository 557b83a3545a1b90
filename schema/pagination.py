"""Cursor connections by keyset on a unique column: stable under inserts, one query per page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import NodeType
from strawberry.relay.utils import from_base64, to_base64
from tortoise import fields
from tortoise.expressions import Q
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


def _invalid_cursor() -> BadRequest:
    return BadRequest("The cursor in `after` is not valid; use an `endCursor` from this list")


def _int_key(value: str) -> int:
    key = int(value)
    if abs(key) > MAX_KEY:
        raise ValueError(value)
    return key


def after_key_of(after: str | None, parse_sort: Callable[[str], Any] | None) -> tuple[Any, int] | None:
    """The (sort value, key) of a cursor; the sort value is None when the list is ordered by its key alone."""
    if after is None:
        return None
    try:
        prefix, value = from_base64(after)
        if prefix != _CURSOR_PREFIX:
            raise ValueError(prefix)
        if parse_sort is None:
            return None, _int_key(value)
        sort_value, _, key = value.rpartition("|")
        return parse_sort(sort_value), _int_key(key)
    except ValueError:
        raise _invalid_cursor() from None


def _sort_parser(query: QuerySet[Any], sort: str) -> Callable[[str], Any]:
    field = query.model._meta.fields_map[sort]
    if isinstance(field, fields.DatetimeField):
        return datetime.fromisoformat
    if isinstance(field, fields.DateField):
        return date.fromisoformat
    return _int_key


def cursor_of(row: Any, key: str = "id", sort: str | None = None) -> str:
    value = str(getattr(row, key))
    if sort is not None:
        sort_value = getattr(row, sort)
        value = f"{sort_value.isoformat() if isinstance(sort_value, (date, datetime)) else sort_value}|{value}"
    return to_base64(_CURSOR_PREFIX, value)


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
    sort: str | None = None,
    descending: bool = False,
) -> Connection[NodeType]:
    """The page of `query` after the cursor, in the order of `sort` then `key` (or the reverse).

    `key` is a unique integer column; `sort`, when given, a non-null date, time or integer column
    that orders first, e.g. events by start time with their id to break ties.
    """
    first = check_page_size(first)
    after_key = after_key_of(after, _sort_parser(query, sort) if sort else None)
    beyond = "lt" if descending else "gt"
    page_query = query
    if after_key is not None:
        sort_value, key_value = after_key
        condition = Q(**{f"{key}__{beyond}": key_value})
        if sort is not None:
            condition = Q(**{f"{sort}__{beyond}": sort_value}) | (Q(**{sort: sort_value}) & condition)
        page_query = query.filter(condition)
    order = [column for column in (sort, key) if column is not None]
    rows = await page_query.order_by(*(f"-{column}" if descending else column for column in order)).limit(first + 1)
    connection = page_of(
        rows, first=first, has_previous=after_key is not None, node=node, cursor=lambda row: cursor_of(row, key, sort)
    )
    connection._count_query = query
    return connection


def page_of(
    rows: Sequence[Any],
    *,
    first: int,
    has_previous: bool,
    node: Callable[[Any], NodeType],
    cursor: Callable[[Any], str] = cursor_of,
    connection: type[Connection[Any]] = Connection,
) -> Connection[NodeType]:
    """A connection from rows fetched some other way (a loader, raw SQL): `first` + 1 of them when there is a next page."""
    page = rows[:first]
    edges = [relay.Edge(cursor=cursor(row), node=node(row)) for row in page]
    page_info = relay.PageInfo(
        has_next_page=len(rows) > first,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return connection(page_info=page_info, edges=edges)


async def first_page_then_paginate(
    loader: Any,
    parent_id: int,
    query: QuerySet[Any],
    *,
    first: int,
    after: str | None,
    node: Callable[[Any], NodeType],
    sort: str | None = None,
    descending: bool = False,
) -> Connection[NodeType]:
    """A list under each row of a page (a member's registrations, a ticket's responses): first pages
    come from `loader` keyed (parent id, first + 1), one query for all the parents; a later page
    (`after`) is read on its own with `paginate`, whose cursors the first page shares."""
    if after is not None:
        return await paginate(query, first=first, after=after, node=node, sort=sort, descending=descending)
    first = check_page_size(first)
    rows = await loader.load((parent_id, first + 1))
    connection = page_of(
        rows, first=first, has_previous=False, node=node, cursor=lambda row: cursor_of(row, "id", sort)
    )
    connection._count_query = query
    return connection
