"""Shapes: a selection set on one of the registered types (entities.py), compiled into the columns to read,
the joins and child statements that read them, and the order of the answer's keys.

A to-one relation (a member's tier) is joined into its parent's statement; a to-many relation (a
member's preferences) is one statement for all the parents of a level, so a page of fifty members with
tier, benefits, account manager and preferences costs three statements whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from tortoise import connections
from tortoise.fields import BigIntField, CharField, IntField, SmallIntField, TextField
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance

from domain.db import read_rows
from schema.compiled.entities import ENTITIES, Entity, Fallback, NotCompilable, Row, Run, ToMany

__all__ = ["Fallback", "NotCompilable"]  # raised here, by the registry and by the roots

# What a field of a shape is: (response key, kind, detail, detail).
VALUE, COMPUTED, TYPENAME, ONE, MANY = range(5)


@dataclass(eq=False)  # compared and hashed by identity: a built object is cached in its row under its shape
class Shape:
    entity: Entity
    fields: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[str] = field(default_factory=lambda: ["id"])
    joins: list[tuple[str, str, Shape]] = field(default_factory=list)  # (response key, foreign key column, shape)
    children: list[tuple[str, ToMany, Shape]] = field(default_factory=list)
    _selects: dict[str, Select] = field(default_factory=dict)

    def need(self, *columns: str) -> None:
        self.columns.extend(column for column in columns if column not in self.columns)

    def select(self, dialect: str) -> Select:
        select = self._selects.get(dialect)
        if select is None:
            select = self._selects[dialect] = Select.of(self, dialect)
        return select


Grouped = dict[str, list[FieldNode]]


@dataclass(frozen=True)
class Compiler:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]

    def collect(self, runtime: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> Grouped:
        """The fields under `runtime` by response key, as graphql-core's collect_fields groups them."""
        grouped: Grouped = {}
        spread: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if selection.directives:
                    raise NotCompilable("directives")  # @skip/@include depend on variables
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition, runtime):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name not in spread:
                        spread.add(name)
                        fragment = self.fragments[name]
                        if self.applies(fragment.type_condition, runtime):
                            visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return grouped

    def applies(self, condition: Any, runtime: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        return named is runtime or (named is not None and self.schema.is_sub_type(named, runtime))  # type: ignore[arg-type]

    def subfields(self, type_name: str, nodes: list[FieldNode]) -> Grouped:
        runtime = self.schema.get_type(type_name)
        assert isinstance(runtime, GraphQLObjectType)
        return self.collect(runtime, [node.selection_set for node in nodes if node.selection_set is not None])

    def shape(self, type_name: str, nodes: list[FieldNode]) -> Shape:
        entity = ENTITIES.get(type_name)
        if entity is None:
            raise NotCompilable(type_name)
        runtime = self.schema.get_type(type_name)
        assert isinstance(runtime, GraphQLObjectType)
        shape = Shape(entity)
        for key, group in self.subfields(type_name, nodes).items():
            name = group[0].name.value
            if name == "__typename":
                shape.fields.append((key, TYPENAME, type_name, None))
                continue
            if any(node.arguments for node in group):
                raise NotCompilable(f"{type_name}.{name} with arguments")
            if name in entity.plain:
                column = entity.plain[name]
                shape.need(column)
                shape.fields.append((key, VALUE, column, _converter(entity, column, runtime.fields[name].type)))
            elif name in entity.computed:
                computed = entity.computed[name]
                shape.need(*computed.columns)
                shape.fields.append((key, COMPUTED, computed.resolve, None))
            elif name in entity.to_one:
                relation = entity.to_one[name]
                shape.need(relation.column)
                joined = self.shape(relation.target, group)
                shape.joins.append((key, relation.column, joined))
                shape.fields.append((key, ONE, joined, None))
            elif name in entity.to_many:
                relation = entity.to_many[name]
                shape.need(*relation.parent_columns)
                child = self.shape(relation.target, group)
                child.need(relation.foreign_key, *relation.columns)
                shape.children.append((key, relation, child))
                shape.fields.append((key, MANY, child, relation))
            else:
                raise NotCompilable(f"{type_name}.{name}")
        return shape


def _converter(entity: Entity, column: str, output_type: Any) -> Callable[[Any], Any] | None:
    """From the database's value to the answer's, as the model field reads it and the GraphQL type serializes it;
    None where the database's value is the answer already (text and integers)."""
    model_field = entity.model._meta.fields_map[column]
    serialize = get_named_type(output_type).serialize
    if isinstance(model_field, CharEnumFieldInstance):
        # Stored as the enum's value: its answer, computed once per value here rather than once per row.
        names = {member.value: serialize(member) for member in model_field.enum_type}
        return names.__getitem__
    if isinstance(model_field, (CharField, TextField, IntField, BigIntField, SmallIntField)) and not isinstance(
        model_field, IntEnumFieldInstance
    ):
        return None
    to_python = model_field.to_python_value
    return lambda value: serialize(to_python(value))


# Reading rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Select:
    """A shape's statement (its joins included) without its WHERE, and how to read its rows."""

    head: str  # SELECT ... FROM ... LEFT JOIN ...
    read: Callable[[Sequence[Any], dict[tuple[int, Any], Row]], Row]  # (row, the joined rows read so far)
    dialect: str

    @classmethod
    def of(cls, shape: Shape, dialect: str) -> Select:
        columns: list[str] = []
        joins: list[str] = []

        def add(shape: Shape, alias: str) -> Callable[[Sequence[Any], dict[tuple[int, Any], Row]], Row]:
            start = len(columns)
            columns.extend(f'{alias}."{column}"' for column in shape.columns)
            names, end = shape.columns, len(columns)
            subs = []
            for key, foreign_key, joined in shape.joins:
                joined_alias = f"t{len(joins) + 1}"
                joins.append(f'LEFT JOIN "{joined.entity.table}" {joined_alias} ON {joined_alias}.id = {alias}."{foreign_key}"')
                subs.append((("one", key), len(columns), add(joined, joined_alias)))

            def read(row: Sequence[Any], joined_rows: dict[tuple[int, Any], Row]) -> Row:
                # The statement's own columns come first: zip stops at the last of them, no slice needed.
                data: Row = dict(zip(names, row[start:end] if start else row))
                for key, id_at, read_joined in subs:
                    joined_id = row[id_at]
                    if joined_id is None:
                        data[key] = None
                        continue
                    # One dict per joined row of the statement: fifty members, four tiers.
                    joined = joined_rows.get((id_at, joined_id))
                    if joined is None:
                        joined = joined_rows[(id_at, joined_id)] = read_joined(row, joined_rows)
                    data[key] = joined
                return data

            return read

        read = add(shape, "t0")
        head = f'SELECT {", ".join(columns)} FROM "{shape.entity.table}" t0 {" ".join(joins)}'
        return cls(head, read, dialect)

    def any_of(self, column: str, parameter: int) -> str:
        """`t0.column` is one of the values of a list parameter: one statement text whatever the list's length."""
        if self.dialect == "sqlite":
            return f't0."{column}" IN (SELECT value FROM json_each(${parameter}))'
        return f't0."{column}" = ANY(${parameter})'

    def list_parameter(self, values: list[int]) -> Any:
        return orjson.dumps(values).decode() if self.dialect == "sqlite" else values

    async def rows(self, where: str, params: list[Any], *, order_by: tuple[str, ...] = ("id",), limit: int | None = None) -> list[Row]:
        order = ", ".join(f't0."{column}"' for column in order_by)
        sql = f"{self.head} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = await read_rows(sql, params)
        read, joined_rows = self.read, {}
        return [read(row, joined_rows) for row in rows]  # tuples, sqlite3.Row and asyncpg.Record all index and slice


def dialect() -> str:
    return connections.get("default").capabilities.dialect


async def fill(run: Run, shape: Shape, rows: list[Row], dialect: str) -> None:
    """Read the to-many relations of these rows and of the rows joined to them: one statement per relation."""
    for key, _, joined in shape.joins:
        slot = ("one", key)
        canonical: dict[int, Row] = {}
        for row in rows:
            if row[slot] is not None:
                canonical.setdefault(row[slot]["id"], row[slot])  # the rows of one statement share it already
        if canonical:
            await fill(run, joined, list(canonical.values()), dialect)
    for key, relation, child in shape.children:
        slot = ("many", key)
        parent_ids = list({row["id"]: None for row in rows})
        select = child.select(dialect)
        children = await select.rows(
            select.any_of(relation.foreign_key, 1), [select.list_parameter(parent_ids)], order_by=relation.order_by
        )
        await fill(run, child, children, dialect)
        grouped: dict[int, list[Row]] = {}
        for row in children:
            grouped.setdefault(row[relation.foreign_key], []).append(row)
        for row in rows:
            row[slot] = grouped.get(row["id"], [])


def build(run: Run, shape: Shape, row: Row) -> dict[str, Any]:
    """The answer's object for a row, its keys in the order of the selection set."""
    out: dict[str, Any] = {}
    for key, kind, detail, more in shape.fields:
        if kind == VALUE:
            value = row[detail]
            out[key] = value if more is None or value is None else more(value)
        elif kind == COMPUTED:
            out[key] = detail(run, row)
        elif kind == TYPENAME:
            out[key] = detail
        elif kind == ONE:
            joined = row[("one", key)]
            if joined is None:
                out[key] = None
            else:
                built = joined.get(detail)
                if built is None:
                    built = joined[detail] = build(run, detail, joined)
                out[key] = built
        else:
            children = row[("many", key)]
            if more.keep is not None:
                children = more.keep(run, row, children)
            out[key] = [build(run, detail, child) for child in children]
    return out
