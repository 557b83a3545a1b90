"""The compiled path: hot query documents answered without strawberry's per-field execution.

Strawberry resolves every field of an answer through graphql-core: a coroutine, a resolve-info and
a completion step per field, about 13 µs each, so a page of fifty members (about 1,400 fields) spends
most of its time there rather than in SQL. Here a document strawberry has answered once without errors
is compiled into a plan (shapes.py): the columns, joins and child statements it needs, and the order of
its answer's keys. The next requests of that document run the plan: a few statements that select just
those columns, rows read as tuples, and the answer built as plain dicts, by a function generated per
object selected (shapes.py), with the same rules as the resolvers (entities.py): the privacy matrix,
the audit of full reads, permissions.

A document is compiled only when everything it asks for is registered (entities.py, roots.py), and a
request runs its plan only when nothing in it needs strawberry: a partner (cost budgets), a refusal,
a bad argument, a filter. Otherwise, or when a plan gives up half-way (`Fallback`, before anything is
written), strawberry answers as before. Validation needs no repeating: a plan exists only for a
document that passed it, and it does not depend on variables, which are coerced per request.
`CLUBGRAPH_COMPILED_QUERIES=0` turns the path off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType, parse
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.types import ExecutionResult

from domain import audit
from schema.compiled.entities import Run
from schema.compiled.roots import Root, compile_root
from schema.compiled.shapes import Compiler, Fallback, NotCompilable, dialect
from schema.cost import _Lru, requested_cost
from schema.observe import current_operation

logger = logging.getLogger("clubgraph.compiled")
audit_logger = logging.getLogger("clubgraph.audit")

CACHE_SIZE = 1024
_NOT_SEEN = object()


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    roots: list[Root]


def compile_plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Plan:
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        raise NotCompilable("not a query")
    fragments = {definition.name.value: definition for definition in document.definitions if hasattr(definition, "type_condition")}
    compiler = Compiler(schema, fragments)  # type: ignore[arg-type]
    query_type = schema.query_type
    assert query_type is not None
    grouped = compiler.collect(query_type, [operation.selection_set])
    return Plan(document, operation, [compile_root(compiler, query_type, key, nodes) for key, nodes in grouped.items()])


class CompiledQueries:
    """Plans by (document, operation name): None for a document the compiled path does not answer."""

    def __init__(self, schema: GraphQLSchema, *, max_cost: int) -> None:
        self.schema = schema
        self.max_cost = max_cost
        self.plans = _Lru(CACHE_SIZE)

    def learn(self, query: str | None, operation_name: str | None, result: Any) -> None:
        """After strawberry answered: compile the document if it answered without errors, once."""
        if not query or self.plans.get((query, operation_name), _NOT_SEEN) is not _NOT_SEEN:
            return
        if getattr(result, "errors", None) or getattr(result, "data", None) is None:
            return  # perhaps a bad document: strawberry keeps it until it answers one without errors
        try:
            plan: Plan | None = compile_plan(self.schema, parse(query), operation_name)
        except NotCompilable:
            plan = None
        self.plans.put((query, operation_name), plan)

    async def execute(self, query: str | None, operation_name: str | None, variables: dict[str, Any] | None, context: Any) -> ExecutionResult | None:
        """The answer through the plan, or None when strawberry must answer."""
        if not query or context.viewer.is_partner:
            return None  # a partner's cost budget and field guard are strawberry extensions
        plan = self.plans.get_recent((query, operation_name))
        if plan is None:
            return None
        coerced = get_variable_values(self.schema, plan.operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            return None  # strawberry reports the variables' errors
        if requested_cost(self.schema, plan.document, query, operation_name, variables) > self.max_cost:
            return None
        run = Run(context.viewer)
        database = dialect()
        try:
            data = {root.key: await root.resolve(run, coerced, database) for root in plan.roots}
        except Fallback:
            return None
        except Exception:
            # Nothing was written: strawberry answers, with its masked error if it fails the same way.
            logger.warning("compiled plan failed; strawberry answers", exc_info=True, extra={"request_id": context.request_id})
            return None
        _name_operation(plan, operation_name)
        if run.reads:
            try:
                await audit.record_reads(context.viewer, run.reads, request_id=context.request_id)
            except Exception as error:  # as schema/audit/trail.py: no audit row, no answer
                audit_logger.exception("audit rows not written", extra={"request_id": context.request_id})
                return ExecutionResult(data=None, errors=[_unexpected(context.request_id)])
        return ExecutionResult(data=data, errors=None)


def _unexpected(request_id: str) -> GraphQLError:
    """The masked error schema/errors.py's ClientErrors gives strawberry's answers."""
    message = f"Unexpected error. Quote request id {request_id} when reporting it."
    return GraphQLError(message, extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id})


def _name_operation(plan: Plan, operation_name: str | None) -> None:
    """For the metrics and logs, as schema/observe.py does when strawberry parses the document."""
    operation = current_operation.get()
    if operation is not None:
        operation.known = True
        operation.name = operation_name or (plan.operation.name.value if plan.operation.name else None)
        operation.type = "query"
