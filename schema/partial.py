"""Partial results: errors a resolver reports while still answering, added to the response after execution.

A resolver that can answer without some of its sources (the catalog without a partner that did not
answer) keeps its `data` and calls `report_partial(...)`; `PartialErrors` appends what was reported to
the response's `errors` once execution is over. The list lives in a context variable set for each
request by the extension, so concurrent requests never see each other's errors. The errors have no
original exception: the error-masking extension (schema.errors.ClientErrors) leaves them as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

logger = logging.getLogger("clubgraph.graphql")

_reported: ContextVar[list[GraphQLError] | None] = ContextVar("clubgraph_partial_errors", default=None)


def report_partial(message: str, *, path: list[str | int], extensions: dict[str, Any]) -> None:
    """Add an error to the current response; its data stays. Outside a request (no extension) it is only logged.

    An error already reported at the same path is not repeated: twenty rewards of one silent partner
    asked for in one `nodes` field make one error, not twenty.
    """
    reported = _reported.get()
    error = GraphQLError(message, path=path, extensions=extensions)
    if reported is None:
        logger.warning("partial result outside a request: %s", message)
        return
    if any(seen.formatted == error.formatted for seen in reported):
        return
    reported.append(error)


class PartialErrors(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        reported: list[GraphQLError] = []
        token = _reported.set(reported)
        try:
            yield
        finally:
            _reported.reset(token)
        result = self.execution_context.result
        if reported and result is not None and hasattr(result, "errors"):
            result.errors = [*(result.errors or []), *reported]
