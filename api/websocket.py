"""GraphQL over WebSocket (graphql-transport-ws), for subscriptions only: the token of `connection_init` and the handler."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from api import persisted
from loaders import Loaders

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
ONLY_SUBSCRIPTIONS = "Only subscriptions run over WebSocket: send queries and mutations over HTTP"
SUBSCRIPTIONS_OVER_WEBSOCKET = "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws), not over HTTP"
MAX_TOKENS = 10_000  # a document parsed here before the schema's own limits (4000 tokens) refuse it properly


def _operation_type(query: object, operation_name: str | None) -> OperationType | None:
    """The type of the operation a document runs; None when the schema is to answer (no string, bad syntax)."""
    if not isinstance(query, str):
        return None
    try:
        operation = get_operation_ast(parse(query, max_tokens=MAX_TOKENS), operation_name)
    except GraphQLSyntaxError:
        return None
    return operation.operation if operation is not None else None


def is_subscription(query: object, operation_name: str | None) -> bool:
    """Whether an HTTP request asks for a subscription; parsed only when the word appears, so queries pay nothing."""
    if not isinstance(query, str) or "subscription" not in query:
        return False
    return _operation_type(query, operation_name) is OperationType.SUBSCRIPTION


def credential_of(params: dict[str, object]) -> str | None:
    """The `Authorization` value a `connection_init` payload carries: `{"Authorization": "Bearer <token>"}`
    (any case of the key), or `{"token": "<token>"}`; None when it carries neither."""
    for key, value in params.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    token = params.get("token")
    if isinstance(token, str):
        return f"Bearer {token}"
    return None


class _SubscriptionsOnly:
    """The schema as the WebSocket handler sees it: subscriptions only, each with its own context.

    Queries and mutations stay on HTTP, where the rate limit, persisted operations and status codes
    apply. Every subscription gets a copy of the connection's context with its own DataLoaders, which
    it renews before each event, so that one subscription's loads never serve another's.
    """

    def __init__(self, schema: Any, *, listed_only: bool) -> None:
        self._schema = schema
        self._listed_only = listed_only

    async def stream(self, query: str, *, context_value: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        refusal = self._refusal(query, kwargs.get("operation_name"), context_value)
        if refusal is not None:
            return _refused(refusal)
        context = dataclasses.replace(context_value, loaders=Loaders())
        return await self._schema.stream(
            query, context_value=context, allowed_operation_types=(StrawberryOperationType.SUBSCRIPTION,), **kwargs
        )

    def _refusal(self, query: str, operation_name: str | None, context: Any) -> GraphQLError | None:
        if not isinstance(query, str):
            return None  # the schema answers it
        try:
            persisted.document_of(query, None, listed_only=self._listed_only and context.viewer.is_member)
        except persisted.Refusal as refusal:
            return GraphQLError(str(refusal), extensions={"code": refusal.code})
        kind = _operation_type(query, operation_name)
        if kind is not None and kind is not OperationType.SUBSCRIPTION:
            return GraphQLError(ONLY_SUBSCRIPTIONS, extensions={"code": "BAD_USER_INPUT"})
        return None


async def _refused(error: GraphQLError) -> AsyncGenerator[Any, None]:
    yield PreExecutionError(data=None, errors=[error])


class LiveHandler(BaseGraphQLTransportWSHandler):
    """strawberry's graphql-transport-ws handler, for subscriptions only (see `_SubscriptionsOnly`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.view.settings
        self.schema = _SubscriptionsOnly(self.schema, listed_only=settings.production and settings.persisted_only)
