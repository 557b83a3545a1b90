"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): the answer's media type from the
request's Accept, and the status code a GraphQL answer gets under it.

- `application/graphql-response+json`: 200 when execution ran (data present, even with field errors);
  a request error (the document does not parse or validate, variables do not fit, the query costs too
  much...) is 400 with no `data` entry; a status set before (401, 413, 429) stays.
- `application/json` (also for no Accept, or only wildcards): 200 for every GraphQL answer, with
  `"data": null` for request errors, as strawberry answers.
"""

from __future__ import annotations

from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# JSON is UTF-8 by definition; the spec's examples still name the charset of the new type.
CONTENT_TYPES = {GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8", JSON: JSON}


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither.

    The highest q wins. Each type's q is that of the most specific range naming it (the type, then
    `application/*`, then `*/*`). On a tie, the new type wins when named outright, JSON otherwise: a
    client that sends only `*/*` (or nothing) gets `application/json`, as the spec asks for legacy clients.
    """
    if accept is None or not accept.strip():
        return JSON
    best = {GRAPHQL_RESPONSE_JSON: (-1, 0.0), JSON: (-1, 0.0)}  # (specificity of the range, its q)
    for part in accept.split(","):
        media, _, parameters = part.partition(";")
        media = media.strip().lower()
        q = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:  # also NaN
                    q = 0.0
        for candidate, (specificity, _) in best.items():
            rank = 2 if media == candidate else 1 if media == "application/*" else 0 if media == "*/*" else -1
            if rank > specificity:
                best[candidate] = (rank, q)
    new_rank, new_q = best[GRAPHQL_RESPONSE_JSON]
    _, json_q = best[JSON]
    if new_q > json_q or (new_q == json_q > 0 and new_rank == 2):
        return GRAPHQL_RESPONSE_JSON
    return JSON if json_q > 0 else None


def is_request_error(result: ExecutionResult) -> bool:
    """The request failed before execution: no data, and no error from a field (those carry a path).

    Parse and validation errors, variables that do not fit, and our own refusals before execution
    (the query cost, a persisted operation's hash) are such; a field's refusal (FORBIDDEN) is not.
    """
    return result.data is None and bool(result.errors) and all(error.path is None for error in result.errors)


def request_error_status(result: ExecutionResult, status: int | None) -> int:
    """The status of a request error under `application/graphql-response+json`: the one set already when
    it is an error status (429 for a spent budget), 500 for our own failure, 400 for the client's."""
    if status is not None and status >= 400:
        return status
    if any((error.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for error in result.errors or ()):
        return 500
    return 400
