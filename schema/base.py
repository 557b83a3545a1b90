"""What every schema module shares: the typed Info alias and global-ID helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeAlias

import strawberry
from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry import relay

from api.context import Context
from domain.errors import DomainError
from schema.pagination import MAX_KEY

Info: TypeAlias = strawberry.Info[Context, None]


def node_pk(global_id: relay.GlobalID, type_name: str, *, field: str) -> int:
    """The database id behind a global ID of the expected type; anything else is not found."""
    try:
        if global_id.type_name == type_name and abs(pk := int(global_id.node_id)) <= MAX_KEY:
            return pk  # a larger one would overflow the id columns of PostgreSQL: no row has it
    except ValueError:
        pass
    raise DomainError("NOT_FOUND", f"{type_name} not found", field=field)


def node_pk_or_none(global_id: relay.GlobalID, type_name: str, *, missing: int | None = None) -> int | None:
    """The database id, or `missing` when the global ID is not of that type (0 matches no row)."""
    try:
        return node_pk(global_id, type_name, field="id")
    except DomainError:
        return missing


def pks(node_ids: Iterable[str]) -> list[int]:
    """Database ids of `node(id:)` lookups; a malformed one becomes 0, which matches no row."""
    return [int(pk) if pk.isdigit() and int(pk) <= MAX_KEY else 0 for pk in node_ids]


async def account_managers_of(info: Info, member_ids: Sequence[int | None]) -> dict[int, int | None]:
    """{member id: their account manager's id}, through the member loader: one query for all of them.

    What visibility checks of rows about members need, for account managers limited to their own.
    """
    rows = await info.context.loaders.member_by_id.load_many(list({pk for pk in member_ids if pk is not None}))
    return {row.id: row.account_manager_id for row in rows if row}


async def load_member(info: Info, member_id: int | None) -> Any:
    """The `Member` of a foreign key, through the request's loader; None when there is none.

    Typed loosely and imported late: schema.members.types imports every domain's member fields,
    so the domains' types cannot import it at module level.
    """
    from schema.members.types import Member

    if member_id is None:
        return None
    row = await info.context.loaders.member_by_id.load(member_id)
    return Member.from_row(row) if row else None


def root_fields(document: DocumentNode, selection_set: SelectionSetNode) -> Iterator[FieldNode]:
    """The fields of an operation's root selection, with those its fragments and inline fragments spread."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    pending = [selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if selection.name.value in fragments:
                    pending.append(fragments[selection.name.value].selection_set)
