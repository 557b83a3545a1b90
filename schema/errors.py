"""Errors: payload errors for expected failures, top-level codes for refusals, masking for the rest."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from loaders import Loaders

logger = logging.getLogger("clubgraph.graphql")


class BadRequest(Exception):
    """The request is malformed in a way GraphQL validation cannot see (a bad cursor, a page too large)."""


def code_of(original: BaseException | None) -> str | None:
    """The top-level error code of an error clients are meant to see, or None for a bug."""
    if isinstance(original, NotAuthenticated):
        return "UNAUTHENTICATED"
    if isinstance(original, PermissionDenied):
        return "FORBIDDEN"
    if isinstance(original, (BadRequest, DomainError)):
        return "BAD_USER_INPUT"
    return None


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and code_of(original) is None


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "unexpected error in %s at %s",
                getattr(execution_context, "operation_name", None) or "anonymous operation",
                ".".join(map(str, error.path or [])),
                exc_info=error.original_error,
                extra={"request_id": request_id},
            )


class ClientErrors(MaskErrors):
    """Gives refusals a stable `extensions.code`; masks everything else, naming the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: True, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code = code_of(error.original_error)
        if error.original_error is None or isinstance(error.original_error, GraphQLError):
            return error
        if code is not None:
            return GraphQLError(
                str(error.original_error), nodes=error.nodes, path=error.path, extensions={**(error.extensions or {}), "code": code}
            )
        request_id = getattr(self.execution_context.context, "request_id", None)
        return GraphQLError(
            f"Unexpected error. Quote request id {request_id} when reporting it.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


def error_type(prefix: str, codes: type[Enum]) -> type:
    """The payload error type of one mutation: `<Prefix>Error { field code message }`."""
    namespace: dict[str, Any] = {
        "__annotations__": {"field": str | None, "code": codes, "message": str},
        "__doc__": "A reason the mutation did not happen; nothing was changed.",
        "codes": codes,
    }
    return strawberry.type(type(f"{prefix}Error", (), namespace))


P = TypeVar("P")


async def perform(info: Any, payload: type[P], error_class: type, action: Awaitable[dict[str, Any]]) -> P:
    """Run a domain action; its DomainError becomes the payload's typed error, anything else propagates.

    The request's DataLoaders start afresh first: an earlier mutation of the same request may have
    changed what they hold, and a payload must not show a balance or a profile from before it.

    The outcome goes to the audit trail (schema/audit/trail.py), which writes the mutation's row once
    the operation has run; a refusal raised before the action is recorded there too.
    """
    from schema.audit.trail import note_outcome  # the trail imports this module for the error codes

    info.context.loaders = Loaders()
    try:
        changed = await action
    except DomainError as error:
        code = error_class.codes[error.code]  # a code the enum lacks is a bug: let it be masked and logged
        note_outcome(info.path.key, error.code, None)
        return payload(errors=[error_class(field=error.field, code=code, message=error.message)])  # type: ignore[call-arg]
    member = changed.get("member")
    note_outcome(info.path.key, "ok", getattr(member, "id", None))
    return payload(errors=[], **changed)  # type: ignore[call-arg]
