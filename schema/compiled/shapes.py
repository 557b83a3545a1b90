"""Shapes: a selection set on one of the registered types (entities.py), compiled into the columns to read,
the joins and child statements that read them, and a function building the answer's objects from the
rows, its keys in the selection's order.

A to-one relation (a member's tier) is joined into its parent's statement; a to-many relation (a
member's preferences) is one statement for all the parents of a level, so a page of fifty members with
tier, benefits, account manager and preferences costs three statements whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
from schema.compiled.entities import ENTITIES, Entity, Fallback, NotCompilable, Run, ToMany

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
                shape.fields.append((key, COMPUTED, computed, None))
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


# Reading rows and building answers --------------------------------------------------------------------

Builder = Callable[[Run, Sequence[Any], dict[Any, Any], dict[Any, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Select:
    """A shape's statement (its joins included) without its WHERE, and the function building the answer's
    object from one of its rows.

    The builder is Python source generated for the shape (`source`), as graphql-jit compiles a query
    and dataclasses write `__init__`: each key of the answer is an expression over the row's tuple, its
    column at a known place, so no dict of columns is made per row and no field kind is looked up per
    value. It is called as `build(run, row, cache, many)`: `cache` holds the objects built for joined
    rows (a page's fifty members share four tiers), `many` the rows of the to-many relations by parent
    id, read by `fill` before. The source holds no text of the request's: response keys are GraphQL
    names, validated, and written with `repr`.
    """

    head: str  # SELECT ... FROM ... LEFT JOIN ...
    build: Builder
    # Every to-many of the statement's shapes: (parent id's place, child shape, relation, foreign key's place in the child's row).
    relations: list[tuple[int, Shape, ToMany, int]]
    dialect: str
    source: str  # the builder's, for reading and debugging

    @classmethod
    def of(cls, shape: Shape, dialect: str) -> Select:
        columns: list[str] = []
        joins: list[str] = []
        places: dict[int, dict[str, int]] = {}  # by id(shape): its columns' places in the row

        def add(shape: Shape, alias: str) -> None:
            places[id(shape)] = {column: len(columns) + index for index, column in enumerate(shape.columns)}
            columns.extend(f'{alias}."{column}"' for column in shape.columns)
            for _, foreign_key, joined in shape.joins:
                joined_alias = f"t{len(joins) + 1}"
                joins.append(f'LEFT JOIN "{joined.entity.table}" {joined_alias} ON {joined_alias}.id = {alias}."{foreign_key}"')
                add(joined, joined_alias)

        add(shape, "t0")
        head = f'SELECT {", ".join(columns)} FROM "{shape.entity.table}" t0 {" ".join(joins)}'
        code = _Code(dialect, places)
        body = code.object(shape)
        source = "\n".join([*code.helpers, f"def build(run, r, cache, many):\n    return {body}\n"])
        namespace = dict(code.names)
        exec(compile(source, f"<compiled {shape.entity.name}>", "exec"), namespace)
        return cls(head, namespace["build"], code.relations, dialect, source)

    def any_of(self, column: str, parameter: int) -> str:
        """`t0.column` is one of the values of a list parameter: one statement text whatever the list's length."""
        if self.dialect == "sqlite":
            return f't0."{column}" IN (SELECT value FROM json_each(${parameter}))'
        return f't0."{column}" = ANY(${parameter})'

    def list_parameter(self, values: list[int]) -> Any:
        return orjson.dumps(values).decode() if self.dialect == "sqlite" else values

    async def rows(self, where: str, params: list[Any], *, order_by: tuple[str, ...] = ("id",), limit: int | None = None) -> list[Any]:
        """The rows as the driver gives them: tuples, sqlite3.Row or asyncpg.Record, all indexed by place."""
        order = ", ".join(f't0."{column}"' for column in order_by)
        sql = f"{self.head} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return await read_rows(sql, params)


class _Code:
    """Writes a Select's builder: an expression per shape over the row `r`, helpers for its relations, and
    the names (converters, resolvers, shapes) the source refers to."""

    def __init__(self, dialect: str, places: dict[int, dict[str, int]]) -> None:
        self.dialect, self.places = dialect, places
        self.names: dict[str, Any] = {}
        self.helpers: list[str] = []
        self.relations: list[tuple[int, Shape, ToMany, int]] = []
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def name(self, value: Any, prefix: str) -> str:
        """A name in the builder's source for a value of this process: a converter, a resolver, a shape."""
        name = self.fresh(prefix)
        self.names[name] = value
        return name

    def object(self, shape: Shape) -> str:
        """A dict display of the shape's answer, its keys in the selection's order."""
        at = self.places[id(shape)]
        values = []
        for key, kind, detail, more in shape.fields:
            if kind == VALUE:
                value = f"r[{at[detail]}]"
                if more is not None:
                    value = f"(None if {value} is None else {self.name(more, 'convert')}({value}))"
            elif kind == COMPUTED:
                arguments = "".join(f", r[{at[column]}]" for column in detail.columns)
                value = f"{self.name(detail.resolve, 'resolve')}(run{arguments})"
            elif kind == TYPENAME:
                value = repr(detail)
            elif kind == ONE:
                value = f"{self.joined(detail)}(run, r, cache, many)"
            else:
                value = f"{self.children(shape, detail, more)}(run, r, cache, many)"
            values.append(f"{key!r}: {value}")
        return "{" + ", ".join(values) + "}"

    def joined(self, shape: Shape) -> str:
        """A helper answering a joined row's object, built once per row of the joined table."""
        helper, shape_name = self.fresh("one"), self.name(shape, "shape")
        self.helpers.append(
            f"def {helper}(run, r, cache, many):\n"
            f"    key = r[{self.places[id(shape)]['id']}]\n"
            "    if key is None:\n"
            "        return None\n"
            f"    built = cache.get({shape_name})\n"
            "    if built is None:\n"
            f"        built = cache[{shape_name}] = {{}}\n"
            "    answer = built.get(key)\n"
            "    if answer is None:\n"
            f"        answer = built[key] = {self.object(shape)}\n"
            "    return answer\n"
        )
        return helper

    def children(self, parent: Shape, child: Shape, relation: ToMany) -> str:
        """A helper answering a to-many relation's list: the rows `fill` read, those `keep` keeps."""
        at = self.places[id(parent)]
        child_at = {column: index for index, column in enumerate(child.columns)}  # its own columns come first
        self.relations.append((at["id"], child, relation, child_at[relation.foreign_key]))
        select = child.select(self.dialect)
        helper, shape_name, build = self.fresh("many"), self.name(child, "shape"), self.name(select.build, "build")
        lines = [f"def {helper}(run, r, cache, many):", f"    rows = many[{shape_name}].get(r[{at['id']}], ())"]
        if relation.keep is not None:
            parent_values = _tuple(f"r[{at[column]}]" for column in relation.parent_columns)
            row_values = _tuple(f"row[{child_at[column]}]" for column in relation.columns)
            lines += [
                "    if rows:",
                f"        kept = {self.name(relation.keep, 'keep')}(run, {parent_values}, [{row_values} for row in rows])",
                "        if kept is not None:",
                "            rows = [row for row, keep in zip(rows, kept) if keep]",
            ]
        lines.append(f"    return [{build}(run, row, cache, many) for row in rows]\n")
        self.helpers.append("\n".join(lines))
        return helper


def _tuple(items: Iterable[str]) -> str:
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def dialect() -> str:
    return connections.get("default").capabilities.dialect


async def fill(run: Run, select: Select, rows: list[Any], many: dict[Any, Any]) -> None:
    """Read the to-many relations of these rows and of the rows joined to them: one statement per relation
    with parents, its rows by parent id in `many` under the child shape."""
    for id_at, child, relation, foreign_key_at in select.relations:
        parent_ids = list({row[id_at]: None for row in rows if row[id_at] is not None})
        if not parent_ids:
            many[child] = {}
            continue
        child_select = child.select(select.dialect)
        children = await child_select.rows(
            child_select.any_of(relation.foreign_key, 1), [child_select.list_parameter(parent_ids)], order_by=relation.order_by
        )
        await fill(run, child_select, children, many)
        grouped: dict[Any, list[Any]] = {}
        for row in children:
            grouped.setdefault(row[foreign_key_at], []).append(row)
        many[child] = grouped
