"""What the HTTP layer's metrics and logs need to know of the operation a request runs: its name and type.

The HTTP layer (api/metrics.py) puts a fresh `Operation` in `current_operation` for each request;
`ObservedParserCache` fills it as soon as the document is parsed, so that lines logged while the
operation runs can name it too. It is strawberry's ParserCache with that one addition: a hook of its own
would cost every request a few per cent (strawberry wraps each extension's hooks per request).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from strawberry.extensions import ParserCache
from strawberry.types import ExecutionContext


@dataclass(slots=True)
class Operation:
    name: str | None = None  # as the request or the document names it; None: anonymous (or never known)
    type: str | None = None  # "query", "mutation" or "subscription"; None: the document did not parse
    known: bool = False  # the request named its operation, or its document parsed


current_operation: ContextVar[Operation | None] = ContextVar("clubgraph_operation", default=None)


class ObservedParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        finally:
            _note(self.execution_context)


def _note(context: ExecutionContext) -> None:
    operation = current_operation.get()
    if operation is None:
        return
    name = context.operation_name
    if context.graphql_document is None and name is None:
        return  # a document that does not parse: nothing tells what it was
    operation.known = True
    operation.name = name
    if context.graphql_document is not None:
        try:
            operation.type = context.operation_type.value
        except Exception:  # noqa: BLE001 - an operation name the document lacks: the request fails anyway
            operation.type = None
