"""The root fields the compiled path answers: `members`, `member`, `me` and `__typename`.

Each checks what its resolver checks (permission, page size, cursor) and, where the resolver would
refuse, raises Fallback, so that strawberry gives the refusal its usual error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLField, GraphQLObjectType, get_named_type
from graphql.execution.values import get_argument_values
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from domain.policy import Permission, has_permission, may_read_member
from schema.base import node_pk_or_none
from schema.compiled.entities import ENTITIES, Run, global_id
from schema.compiled.shapes import Compiler, Fallback, NotCompilable, Shape, fill
from schema.errors import BadRequest
from schema.pagination import MAX_KEY, MAX_PAGE_SIZE, after_key_of


@dataclass(frozen=True)
class Root:
    key: str
    definition: GraphQLField | None
    node: FieldNode

    def arguments(self, variables: dict[str, Any]) -> dict[str, Any]:
        assert self.definition is not None
        try:
            return get_argument_values(self.definition, self.node, variables)
        except GraphQLError:
            raise Fallback from None

    async def resolve(self, run: Run, variables: dict[str, Any], dialect: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class QueryTypename(Root):
    async def resolve(self, run: Run, variables: dict[str, Any], dialect: str) -> Any:
        return "Query"


async def _one(run: Run, shape: Shape, pk: int, dialect: str) -> dict[str, Any] | None:
    select = shape.select(dialect)
    rows = await select.rows("t0.id = $1", [pk])
    if not rows:
        return None
    many: dict[Any, Any] = {}
    await fill(run, select, rows, many)
    return select.build(run, rows[0], {}, many)


@dataclass(frozen=True)
class MemberById(Root):
    """`member(id:)`: null for an ID of another type, a member the viewer may not read, or none."""

    shape: Shape

    async def resolve(self, run: Run, variables: dict[str, Any], dialect: str) -> Any:
        try:
            global_id = relay.GlobalID.from_id(self.arguments(variables)["id"])
        except GlobalIDValueError:
            raise Fallback from None  # strawberry's error for an ID that is not a global ID
        pk = node_pk_or_none(global_id, "Member")
        if pk is None or not 0 < pk <= MAX_KEY or not may_read_member(run.viewer, pk):  # no id column holds others
            return None
        return await _one(run, self.shape, pk, dialect)


@dataclass(frozen=True)
class Me(Root):
    """`me`: the member or staff member signed in; null for anonymous callers. Partners take strawberry's path."""

    shapes: dict[str, Shape]  # by runtime type

    async def resolve(self, run: Run, variables: dict[str, Any], dialect: str) -> Any:
        viewer = run.viewer
        if viewer.is_anonymous:
            return None
        type_name = "Member" if viewer.is_member else "Staff" if viewer.is_staff else None
        if type_name is None or viewer.id is None:
            raise Fallback
        return await _one(run, self.shapes[type_name], viewer.id, dialect)


# A connection's parts: (response key, what it is, detail).
EDGES, PAGE_INFO, CURSOR, NODE, CONSTANT = range(5)


@dataclass(frozen=True)
class Members(Root):
    """`members(first:, after:)`: a page of members by id, for staff who read members; a filter takes strawberry's path."""

    connection: list[tuple[str, int, Any]]
    shape: Shape  # of the nodes; just their ids when no node is asked for

    async def resolve(self, run: Run, variables: dict[str, Any], dialect: str) -> Any:
        arguments = self.arguments(variables)
        first = arguments.get("first")
        if not has_permission(run.viewer, Permission.MEMBER_READ) or arguments.get("filter") is not None:
            raise Fallback
        if not isinstance(first, int) or not 0 <= first <= MAX_PAGE_SIZE:
            raise Fallback
        try:
            after = after_key_of(arguments.get("after"), None)
        except BadRequest:
            raise Fallback from None
        select = self.shape.select(dialect)
        if after is None:
            rows = await select.rows("1 = 1", [], limit=first + 1)
        else:
            rows = await select.rows("t0.id > $1", [after[1]], limit=first + 1)
        page, many = rows[:first], {}
        await fill(run, select, page, many)
        cursors = [global_id("cursor", row[0]) for row in page]  # a shape's columns start with its id
        out: dict[str, Any] = {}
        for key, part, detail in self.connection:
            if part == EDGES:
                cache: dict[Any, Any] = {}  # the joined objects built, shared by the page's nodes
                with_node = any(part == NODE for _, part, _ in detail)
                out[key] = [
                    _edge(detail, select.build(run, row, cache, many) if with_node else None, cursor)
                    for row, cursor in zip(page, cursors)
                ]
            elif part == PAGE_INFO:
                facts = {
                    "hasNextPage": len(rows) > first,
                    "hasPreviousPage": after is not None,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                }
                out[key] = {field_key: facts[name] if name in facts else name for field_key, name in detail}
            else:
                out[key] = detail
        return out


def _edge(parts: list[tuple[str, int, Any]], node: dict[str, Any] | None, cursor: str) -> dict[str, Any]:
    return {key: cursor if part == CURSOR else node if part == NODE else constant for key, part, constant in parts}


def compile_root(compiler: Compiler, query_type: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Root:
    name = nodes[0].name.value
    if name == "__typename":
        return QueryTypename(key, None, nodes[0])
    definition = query_type.fields.get(name)
    if definition is None:
        raise NotCompilable(name)
    if name == "member":
        return MemberById(key, definition, nodes[0], compiler.shape("Member", nodes))
    if name == "me":
        return Me(key, definition, nodes[0], {type_name: compiler.shape(type_name, nodes) for type_name in ("Member", "Staff")})
    if name == "members":
        return _members(compiler, definition, key, nodes)
    raise NotCompilable(name)


def _members(compiler: Compiler, definition: GraphQLField, key: str, nodes: list[FieldNode]) -> Members:
    connection_type = get_named_type(definition.type).name
    connection: list[tuple[str, int, Any]] = []
    node_nodes: list[FieldNode] = []
    for part_key, group in compiler.subfields(connection_type, nodes).items():
        part = group[0].name.value
        if part == "__typename":
            connection.append((part_key, CONSTANT, connection_type))
        elif part == "edges":
            edge_type = get_named_type(compiler.schema.get_type(connection_type).fields["edges"].type).name  # type: ignore[union-attr]
            edge: list[tuple[str, int, Any]] = []
            for edge_key, edge_group in compiler.subfields(edge_type, group).items():
                edge_part = edge_group[0].name.value
                if edge_part == "cursor":
                    edge.append((edge_key, CURSOR, None))
                elif edge_part == "node":
                    if node_nodes:
                        raise NotCompilable("nodes under two response keys")  # each would need its own shape
                    edge.append((edge_key, NODE, None))
                    node_nodes.extend(edge_group)
                elif edge_part == "__typename":
                    edge.append((edge_key, CONSTANT, edge_type))
                else:
                    raise NotCompilable(f"{edge_type}.{edge_part}")
            connection.append((part_key, EDGES, edge))
        elif part == "pageInfo":
            page_fields = [
                (info_key, "PageInfo" if info_group[0].name.value == "__typename" else info_group[0].name.value)
                for info_key, info_group in compiler.subfields("PageInfo", group).items()
            ]
            connection.append((part_key, PAGE_INFO, page_fields))
        else:
            raise NotCompilable(f"{connection_type}.{part}")  # totalCount: strawberry's
    shape = compiler.shape("Member", node_nodes) if node_nodes else Shape(ENTITIES["Member"])
    return Members(key, definition, nodes[0], connection, shape)
