"""The audit trail of one request: sensitive reads and mutation outcomes noted while it runs, written in one INSERT after.

Resolvers note what they disclose (`note_read`) and `perform` notes how a mutation ended
(`note_outcome`) in a context variable that `AuditTrail` sets for each request, as schema/partial.py
does for partial errors. After execution the extension adds a row for every top-level mutation field,
refused ones included (their outcome is the refusal's code), and appends everything at once: a page
of fifty members' phones costs one statement, not fifty. The rows come after the change they describe
has committed, not in its transaction: a redemption spans several transactions and a partner call.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, value_from_ast_untyped
from strawberry import relay
from strawberry.extensions import SchemaExtension

from domain import audit
from domain.audit import AuditRecord
from domain.models import AuditKind
from schema.base import root_fields
from schema.errors import code_of

logger = logging.getLogger("clubgraph.audit")


@dataclass
class Trail:
    reads: dict[tuple[str, int | None], dict[str, Any] | None] = field(default_factory=dict)  # (action, member): detail
    outcomes: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # response key: (outcome, member id)


_trail: ContextVar[Trail | None] = ContextVar("clubgraph_audit_trail", default=None)


def note_read(action: str, member_id: int | None, detail: dict[str, Any] | None = None) -> None:
    """Something sensitive was disclosed in full, e.g. a member's phone; the same one twice in a request is one row."""
    trail = _trail.get()
    if trail is not None:
        trail.reads.setdefault((action, member_id), detail)


def note_outcome(response_key: str, outcome: str, member_id: int | None) -> None:
    """How the mutation at this response key ended: "ok" or its payload error code, and the member it changed."""
    trail = _trail.get()
    if trail is not None:
        trail.outcomes[response_key] = (outcome, member_id)


class AuditTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        # A subscription's events are executed after `on_execute` has returned (strawberry wraps only
        # the start of a subscription in it): their reads are noted here, and written per event below.
        self.events_trail = Trail()
        token = _trail.set(self.events_trail)
        try:
            yield
        finally:
            _trail.reset(token)

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        """A subscription's event: its reads written before it is sent, or no event (as for a query)."""
        trail, self.events_trail = self.events_trail, Trail()
        context = self.execution_context.context
        reads = [
            AuditRecord(AuditKind.READ, action, member_id=member_id, detail=detail)
            for (action, member_id), detail in trail.reads.items()
        ]
        if reads:
            try:
                await audit.record(context.viewer, reads, request_id=context.request_id)
            except Exception as error:
                logger.exception("audit rows not written", extra={"request_id": context.request_id})
                result.data = None
                result.errors = [GraphQLError("Audit log unavailable", original_error=error)]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        trail = Trail()
        token = _trail.set(trail)
        try:
            yield
        finally:
            _trail.reset(token)
        context = self.execution_context.context
        reads = [
            AuditRecord(AuditKind.READ, action, member_id=member_id, detail=detail)
            for (action, member_id), detail in trail.reads.items()
        ]
        records = [*reads, *self._writes(trail)]
        try:
            await audit.record(context.viewer, records, request_id=context.request_id)
        except Exception as error:
            # No audit row, no answer: the client learns the request failed, and nothing sensitive leaves.
            logger.exception("audit rows not written", extra={"request_id": context.request_id})
            result = self.execution_context.result
            if result is not None and hasattr(result, "errors"):
                result.data = None
                result.errors = [GraphQLError("Audit log unavailable", original_error=error)]

    def _writes(self, trail: Trail) -> list[AuditRecord]:
        """A row for every mutation field of the operation, however it ended."""
        context = self.execution_context
        if context.graphql_document is None:
            return []
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is None or operation.operation is not OperationType.MUTATION:
            return []
        refusals = _refusals(getattr(context.result, "errors", None) or [])
        viewer = context.context.viewer
        records = []
        # Fragments included: `mutation { ...F }` runs the mutations spread from F.
        for node in root_fields(context.graphql_document, operation.selection_set):
            if node.name.value.startswith("__"):
                continue
            key = node.alias.value if node.alias else node.name.value
            arguments = {arg.name.value: value_from_ast_untyped(arg.value, context.variables) for arg in node.arguments}
            named = _arguments(arguments)
            members = _member_ids(arguments)
            outcome, changed_member = trail.outcomes.get(key, (refusals.get(key, refusals.get("", "ok")), None))
            member_id = members[0] if members else changed_member
            if member_id is None and viewer.is_member:
                member_id = viewer.id
            detail: dict[str, Any] = {"arguments": named}
            if len(members) > 1:
                detail["otherMembers"] = [str(relay.GlobalID("Member", str(pk))) for pk in members[1:]]
            records.append(AuditRecord(AuditKind.WRITE, node.name.value, member_id=member_id, outcome=outcome, detail=detail))
        return records


def _refusals(errors: list[GraphQLError]) -> dict[str, str]:
    """{response key: code} of the top-level fields that failed: a refusal, a bad input or a bug.

    An error with no path refused the whole operation before it ran (e.g. a partner's cost budget):
    under the key "" its code stands for every field.
    """
    failed: dict[str, str] = {}
    for error in errors:
        code = code_of(error.original_error) or (error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR"
        if not error.path:
            failed[""] = code
        elif len(error.path) == 1 and isinstance(error.path[0], str):
            failed[error.path[0]] = code
    return failed


def _arguments(arguments: dict[str, Any]) -> list[str]:
    """The names of what was sent, never the values (passwords, tokens): the fields of `input`, or the arguments."""
    names: set[str] = set()
    for name, value in arguments.items():
        names |= set(value) if name == "input" and isinstance(value, dict) else {name}
    return sorted(names)


def _member_ids(arguments: dict[str, Any]) -> list[int]:
    """Member ids named by `…Id`/`…Ids` arguments, in the order given.

    A walk with its own stack, not recursion: a hostile variable nested a thousand deep must not
    overflow Python's stack. Inputs of ours nest a few levels; anything deeper names no member.
    """
    found: list[int] = []
    stack: list[tuple[str, Any, int]] = [(key, value, 0) for key, value in reversed(arguments.items())]
    while stack:
        name, value, depth = stack.pop()
        if depth > _MAX_INPUT_DEPTH:
            continue
        if isinstance(value, dict):
            stack.extend((key, item, depth + 1) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((name, item, depth + 1) for item in reversed(value))
        elif isinstance(value, str) and name.endswith(("Id", "Ids")):
            pk = _member_pk(value)
            if pk is not None:
                found.append(pk)
    return found


_MAX_INPUT_DEPTH = 8


def _member_pk(value: str) -> int | None:
    try:
        global_id = relay.GlobalID.from_id(value)
    except Exception:  # not a global ID at all: the mutation itself says so
        return None
    if global_id.type_name == "Member" and global_id.node_id.isdigit() and len(global_id.node_id) < 10:
        return int(global_id.node_id)
    return None
