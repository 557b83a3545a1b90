"""The computed cost of a query: its limit for everyone, and the partners' cost budgets (`extensions.cost`).

A query's requested cost is an upper bound on the objects it can return, computed from the document
before it runs: every field that returns an object costs 1; a field with a `first` argument (a
connection) counts the list under it `first` times (its default when absent); any other list of
objects counts DEFAULT_LIST_SIZE times; scalars and introspection cost nothing. A partner's API key
is charged the requested cost before execution and refunded, afterwards, what the response did not
use: its actual cost is the number of objects in its `data`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from domain import buckets
from domain.buckets import Bucket

DEFAULT_LIST_SIZE = 10  # how many objects a plain list (a tier's benefits, a payload's errors) is counted as
DEFAULT_PAGE_SIZE = 20  # `first` when a connection field has no default of its own
PAGE_ARGUMENT = "first"
CACHE_SIZE = 1024


@dataclass
class _Walk:
    """One computation of a document's cost, with the request's variables."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    variable_defaults: dict[str, Any]
    used_variables: list[str] = field(default_factory=list)
    # A fragment's cost depends only on the page size around it: computed once, so that fragments
    # spreading others twice over cannot make the walk exponential.
    fragment_costs: dict[tuple[str, int | None], int] = field(default_factory=dict)

    def of_selections(self, parent: Any, selection_set: SelectionSetNode | None, page: int | None, path: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections or ():
            if isinstance(selection, FieldNode):
                total += self.of_field(parent, selection, page, path)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += self.of_selections(
                    self.schema.get_type(condition.name.value) if condition else parent, selection.selection_set, page, path
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self.of_fragment(selection.name.value, page, path)
        return total

    def of_fragment(self, name: str, page: int | None, path: frozenset[str]) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in path:  # a cycle: validation refuses it, and it must never loop here
            return 0
        if (name, page) not in self.fragment_costs:
            condition = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_costs[name, page] = self.of_selections(condition, fragment.selection_set, page, path | {name})
        return self.fragment_costs[name, page]

    def of_field(self, parent: Any, node: FieldNode, page: int | None, path: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0  # introspection reads no data; a union's only field is __typename
        definition = parent.fields.get(name)
        if definition is None or not is_composite_type(get_named_type(definition.type)):
            return 0
        own_page = self.page_size(node, definition)
        is_list = is_list_type(get_nullable_type(definition.type))
        # A connection's `first` counts the lists right under it (edges, nodes); a list with a
        # `first` of its own is counted that many times itself.
        inner = self.of_selections(get_named_type(definition.type), node.selection_set, None if is_list else own_page, path)
        if not is_list:
            return 1 + inner
        if own_page is None:
            own_page = self.list_argument_length(node)
        size = own_page if own_page is not None else page if page is not None else DEFAULT_LIST_SIZE
        return size * (1 + inner)

    def list_argument_length(self, node: FieldNode) -> int | None:
        """How many things a list field is asked for by a list argument (`nodes(ids:)`, `_entities(representations:)`)."""
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, ListValueNode):
                return len(value.values)
            if isinstance(value, VariableNode):
                self.used_variables.append(value.name.value)
                given = self.variables.get(value.name.value)
                if isinstance(given, list):
                    return len(given)
        return None

    def page_size(self, node: FieldNode, definition: Any) -> int | None:
        argument = definition.args.get(PAGE_ARGUMENT)
        if argument is None:
            return None
        default = argument.default_value if isinstance(argument.default_value, int) else DEFAULT_PAGE_SIZE
        value_node = next((arg.value for arg in node.arguments or () if arg.name.value == PAGE_ARGUMENT), None)
        if isinstance(value_node, IntValueNode):
            return max(int(value_node.value), 0)
        if isinstance(value_node, VariableNode):
            name = value_node.name.value
            self.used_variables.append(name)
            value = self.variables.get(name, self.variable_defaults.get(name))
            # Coercion takes 100.0 as the Int 100 (after this); anything else but a whole number is refused.
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return max(value, 0) if isinstance(value, int) and not isinstance(value, bool) else default
        return default


def _compute(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> tuple[int, tuple[str, ...]]:
    walk = _Walk(
        schema=schema,
        fragments={d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)},
        variables=variables,
        variable_defaults={
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        },
    )
    root = schema.get_root_type(operation.operation)
    cost = walk.of_selections(root, operation.selection_set, None, frozenset())
    return cost, tuple(dict.fromkeys(walk.used_variables))


class _Lru(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_recent(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


# The cost of a document depends on the variables that give a `first`, and on nothing else: the
# first cache says which those are, the second holds the cost for their values.
_page_variables = _Lru(CACHE_SIZE)
_costs = _Lru(CACHE_SIZE)


def _hashable(value: Any) -> Any:
    # With its type: True == 1 and 1.5 != 1 would otherwise share or split cache entries by accident.
    return (type(value).__name__, value if isinstance(value, (int, str, float, type(None))) else repr(value))


def requested_cost(
    schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> int:
    """The upper bound of a validated document's cost, cached per (document, values of its page-size variables)."""
    variables = variables or {}
    names = _page_variables.get_recent((query, operation_name))
    if names is not None:
        cost = _costs.get_recent((query, operation_name, tuple(_hashable(variables.get(name, Undefined)) for name in names)))
        if cost is not None:
            return cost
    operation = get_operation_ast(document, operation_name)
    assert operation is not None  # strawberry refuses a request without that operation before validation
    cost, names = _compute(schema, document, operation, variables)
    _page_variables.put((query, operation_name), names)
    _costs.put((query, operation_name, tuple(_hashable(variables.get(name, Undefined)) for name in names)), cost)
    return cost


def count_objects(data: Any) -> int:
    """The objects in a response's `data`, the root excluded: the query's actual cost."""
    count = 0
    pending = list(data.values()) if isinstance(data, dict) else []
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += 1
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def partner_bucket(settings: Any) -> Bucket:
    return Bucket(capacity=settings.partner_cost_capacity, rate=settings.partner_cost_per_second)


def budget_key(api_key: str) -> str:
    return f"partner-key:{api_key}"


async def cost_extension(context: Any, *, requested: int = 0, actual: int = 0, remaining: float | None = None) -> dict[str, Any]:
    """`extensions` of a partner's response: `{"cost": {requested, actual, remaining}}`; nothing for anyone else."""
    if not context.viewer.is_partner or context.api_key is None:
        return {}
    bucket = partner_bucket(context.settings)
    if remaining is None:
        remaining = bucket.capacity - await buckets.level(budget_key(context.api_key), bucket)
    return {"cost": {"requested": requested, "actual": actual, "remaining": max(math.floor(remaining), 0)}}


class QueryCost(SchemaExtension):
    """Refuses a query over CLUBGRAPH_MAX_QUERY_COST before it runs, and a document of several operations
    that names none; charges and refunds partners' budgets.

    It must come after the validation (ValidationCache) and after PartnerGuard: a document that
    does not validate has no cost, and a refused partner query is not charged.
    """

    requested = 0
    actual = 0
    remaining: float | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        operations = sum(isinstance(d, OperationDefinitionNode) for d in context.graphql_document.definitions)
        # Strawberry runs the first of several operations when none is named; one operation per
        # request means the request must say which (its private attribute: strawberry is pinned).
        if operations > 1 and context._provided_operation_name is None and not context.pre_execution_errors:
            context.pre_execution_errors = [
                GraphQLError(
                    f"The document holds {operations} operations: name the one to run in `operationName`",
                    extensions={"code": "BAD_USER_INPUT"},
                )
            ]
        if not context.pre_execution_errors:
            self.requested = requested_cost(
                context.schema._schema, context.graphql_document, context.query, context.operation_name, context.variables
            )
            limit = context.context.settings.max_query_cost
            if self.requested > limit:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"This query may cost {self.requested}, over the limit of {limit}: ask for fewer items (`first`) "
                        "or fewer nested lists",
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": self.requested, "limit": limit},
                    )
                ]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        if not request.viewer.is_partner or request.api_key is None or context.result is not None:
            yield
            return
        key, bucket = budget_key(request.api_key), partner_bucket(request.settings)
        charge = await buckets.charge(key, self.requested, bucket)
        if not charge.allowed:
            self.remaining = charge.remaining
            context.result = ExecutionResult(data=None, errors=[self._over_budget(charge)])
            request.response.status_code = 429
            if math.isfinite(charge.retry_after):
                request.response.headers["Retry-After"] = str(max(math.ceil(charge.retry_after), 1))
            yield
            return
        yield
        self.actual = count_objects(context.result.data if context.result is not None else None)
        unused = self.requested - self.actual
        level = await buckets.refund(key, unused) if unused > 0 else None
        self.remaining = bucket.capacity - (charge.level if level is None else level)

    def _over_budget(self, charge: buckets.Charge) -> GraphQLError:
        cost = {"requested": self.requested, "actual": 0, "remaining": max(math.floor(charge.remaining), 0)}
        if self.requested > charge.capacity:
            message = f"This query may cost {self.requested}, more than this API key's whole budget of {charge.capacity:g}"
        else:
            message = (
                f"This query may cost {self.requested} and this API key has {cost['remaining']} left: "
                "wait for the budget to refill (Retry-After)"
            )
        return GraphQLError(message, extensions={"code": "COST_BUDGET_EXCEEDED", "cost": cost})

    async def get_results(self) -> dict[str, Any]:
        return await cost_extension(
            self.execution_context.context, requested=self.requested, actual=self.actual, remaining=self.remaining
        )
