"""Hostile input against a real uvicorn process: every request gets a 4xx or a GraphQL error within
2 seconds, never a 5xx or a hang, and the server still answers afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from unittest.mock import ANY

import httpx
import pytest

from domain import buckets
from domain.buckets import Bucket
from schema.cost import budget_key
from tests.factories import make_api_key, make_partner
from tests.servers import ServerProcess, serve

DEADLINE = 2.0  # seconds, for each answer; also the client's timeout, so that a hang fails the test
JSON = {"Content-Type": "application/json"}
MAX_BODY_BYTES = 1_000_000  # CLUBGRAPH_MAX_BODY_BYTES's default
DEEPLY = 5000  # past any JSON parser's nesting limit


@pytest.fixture(scope="module")
def server(database_url: str, database: str) -> Iterator[ServerProcess]:
    """One server for the whole module; `database` first, so that the schema is migrated."""
    # A partner budget that hardly refills during the module, so that a spent one stays spent.
    with serve(database_url, env={"CLUBGRAPH_PARTNER_COST_CAPACITY": "100", "CLUBGRAPH_PARTNER_COST_PER_SECOND": "0.001"}) as running:
        yield running


@pytest.fixture(scope="module")
def production(database_url: str, database: str) -> Iterator[ServerProcess]:
    env = {"CLUBGRAPH_ENV": "production", "CLUBGRAPH_SECRET_KEY": "hostile-input-production-secret-" + "p" * 32}
    with serve(database_url, env=env) as running:
        yield running


async def _send(server: ServerProcess, method: str = "POST", **kwargs) -> tuple[httpx.Response, float]:
    """The answer to one request, on a connection of its own, and the seconds it took."""
    async with httpx.AsyncClient(base_url=server.url, timeout=DEADLINE) as http:
        started = time.monotonic()
        response = await http.request(method, "/graphql", **kwargs)
        return response, time.monotonic() - started


def _errors(*messages: str) -> dict:
    return {"data": None, "errors": [{"message": message, "locations": ANY} for message in messages]}


def _nested(depth: int, opening: str, closing: str, inner: str) -> str:
    return opening * depth + inner + closing * depth


# --- documents ----------------------------------------------------------------------------------

# A registration's event, that event's registration of mine, its event... 50 levels deep.
DEEP_FIELDS = (
    "query Deep { me { ... on Member { eventRegistrations { edges { node { "
    + _nested(23, "event { myRegistration { ", "} } ", "id ")
    + "} } } } } }"
)
# The same depth, reached through a chain of named fragments.
DEEP_FRAGMENTS = (
    "query Deep { me { ... on Member { eventRegistrations { edges { node { ...F0 } } } } } } "
    + " ".join(f"fragment F{n} on EventRegistration {{ event {{ myRegistration {{ ...F{n + 1} }} }} }}" for n in range(23))
    + " fragment F23 on EventRegistration { id }"
)


@pytest.mark.parametrize("document", [DEEP_FIELDS, DEEP_FRAGMENTS], ids=["fields", "fragments"])
async def test_a_query_50_levels_deep_is_refused(server, document):
    # when
    response, seconds = await _send(server, json={"query": document})
    # then
    assert response.status_code == 200
    assert response.json() == _errors("'Deep' exceeds maximum operation depth of 12")
    assert seconds < DEADLINE


async def test_an_alias_flood_is_refused(server):
    # given: 5,000 aliases are 15,000 tokens, so the token limit answers before the alias limit
    flood = "{ " + " ".join(f"a{n}: __typename" for n in range(5000)) + " }"
    # when
    response, seconds = await _send(server, json={"query": flood})
    # then
    assert response.status_code == 200
    assert response.json() == _errors("Syntax Error: Document contains more than 4000 tokens. Parsing aborted.")
    assert seconds < DEADLINE


async def test_an_alias_flood_within_the_token_limit_is_refused(server):
    # given: 1,000 aliases, 3,002 tokens
    flood = "{ " + " ".join(f"a{n}: __typename" for n in range(1000)) + " }"
    # when
    response, seconds = await _send(server, json={"query": flood})
    # then
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{"message": "1000 aliases found. Allowed: 30"}]}
    assert seconds < DEADLINE


async def test_a_token_flood_is_refused(server):
    # given: 80,000 fields, under the body limit
    flood = "{ " + "__typename " * 80_000 + "}"
    # when
    response, seconds = await _send(server, json={"query": flood})
    # then
    assert len(flood) < MAX_BODY_BYTES
    assert response.status_code == 200
    assert response.json() == _errors("Syntax Error: Document contains more than 4000 tokens. Parsing aborted.")
    assert seconds < DEADLINE


async def test_a_fragment_cycle_is_refused(server):
    # given
    cycle = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"
    # when
    response, seconds = await _send(server, json={"query": cycle})
    # then
    assert response.status_code == 200
    assert response.json() == _errors("Cannot spread fragment 'A' within itself via 'B'.")
    assert seconds < DEADLINE


@pytest.mark.parametrize(
    "document",
    [
        "{ nodes(ids: " + _nested(2000, "[", "]", '"x"') + ") { id } }",
        "mutation { login(input: " + _nested(2000, "{email: ", "}", '"x"') + ") { token } }",
    ],
    ids=["list", "object"],
)
async def test_a_deeply_nested_argument_literal_is_refused(server, document):
    # when
    response, seconds = await _send(server, json={"query": document})
    # then
    assert response.status_code == 200
    assert response.json() == _errors("Syntax Error: Document is nested too deeply. Parsing aborted.")
    assert seconds < DEADLINE


# --- variables ------------------------------------------------------------------------------------

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token } }"


def _body(query: str, variables: str) -> bytes:
    return f'{{"query": "{query}", "variables": {variables}}}'.encode()


@pytest.mark.parametrize(
    "variables",
    [_nested(DEEPLY, "[", "]", "1"), _nested(DEEPLY, '{"email": ', "}", "1")],
    ids=["list", "object"],
)
async def test_variables_nested_past_the_json_parser_limit_get_400(server, variables):
    # when
    response, seconds = await _send(server, content=_body(LOGIN, f'{{"input": {variables}}}'), headers=JSON)
    # then: the json module would recurse until a RecursionError, a 500; orjson refuses them
    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"
    assert seconds < DEADLINE


async def test_variables_nested_past_the_json_parser_limit_get_400_over_get_too(server):
    # when
    response, seconds = await _send(
        server, "GET", params={"query": NODES, "variables": f'{{"ids": {_nested(DEEPLY, "[", "]", "1")}}}'}
    )
    # then
    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"
    assert seconds < DEADLINE


async def test_a_deeply_nested_list_variable_gets_a_graphql_error(server):
    # when
    response, seconds = await _send(server, content=_body(NODES, f'{{"ids": {_nested(900, "[", "]", "1")}}}'), headers=JSON)
    # then
    assert response.status_code == 200
    assert response.json() == _errors("Variable '$ids' has invalid value at [0]: ID cannot represent value: [[[...]]]")
    assert seconds < DEADLINE


async def test_a_deeply_nested_object_variable_gets_a_graphql_error(server):
    # when
    nested = _nested(900, '{"email": ', "}", "1")
    variables = f'{{"input": {nested}}}'
    response, seconds = await _send(server, content=_body(LOGIN, variables), headers=JSON)
    # then
    assert response.status_code == 200
    assert response.json() == _errors(
        "Variable '$input' has invalid value at .email: String cannot represent a non string value: "
        "{'email': {'email': {...}}}",
        "Variable '$input' has invalid value: Expected value of type 'LoginInput' to include required field "
        "'password', found: {'email': {'email': {...}}}.",
    )
    assert seconds < DEADLINE


# --- malformed requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_kwargs", "status", "text"),
    [
        ({"content": b'{"query": "{ me', "headers": JSON}, 400, "Unable to parse request body as JSON"),
        ({"content": b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]', "headers": JSON}, 400, "Batching is not enabled"),
        ({"content": b"[1, 2, 3]", "headers": JSON}, 400, "Batching is not enabled"),
        ({"content": b"42", "headers": JSON}, 400, "The request body must be a JSON object"),
        ({"content": b'"{ __typename }"', "headers": JSON}, 400, "The request body must be a JSON object"),
        ({"content": b"null", "headers": JSON}, 400, "The request body must be a JSON object"),
        ({"json": {"variables": {}}}, 400, "No GraphQL query found in the request"),
        ({"json": {"query": 42}}, 400, "The GraphQL operation's `query` must be a string or null, if provided."),
        ({"json": {"query": "{ __typename }", "variables": [1]}}, 400, "The GraphQL operation's `variables` must be an object or null, if provided."),
        ({"json": {"query": "{ __typename }", "variables": "{}"}}, 400, "The GraphQL operation's `variables` must be an object or null, if provided."),
        ({"content": b'{"query": "{ __typename }"}', "headers": {"Content-Type": "text/plain"}}, 400, "Unsupported content type"),
        ({"content": b"query=%7B__typename%7D", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400, "Unsupported content type"),
    ],
    ids=[
        "malformed-json",
        "batch",
        "array-of-numbers",
        "number",
        "string",
        "null",
        "missing-query",
        "non-string-query",
        "variables-array",
        "variables-string",
        "text-plain",
        "form",
    ],
)
async def test_a_malformed_request_gets_400(server, request_kwargs, status, text):
    # when
    response, seconds = await _send(server, **request_kwargs)
    # then
    assert response.status_code == status
    assert response.text == text
    assert seconds < DEADLINE


async def test_a_body_over_the_limit_gets_413(server):
    # given
    body = b'{"query": "{ __typename ' + b" " * MAX_BODY_BYTES + b'}"}'
    # when
    response, seconds = await _send(server, content=body, headers=JSON)
    # then
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {"message": f"The request body is larger than {MAX_BODY_BYTES} bytes", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}
        ]
    }
    assert seconds < DEADLINE


async def test_a_mutation_over_get_is_refused(server):
    # given
    mutation = 'mutation { login(input: {email: "mia@example.com", password: "guess"}) { token } }'
    # when
    response, seconds = await _send(server, "GET", params={"query": mutation})
    # then: 405, as the GraphQL-over-HTTP spec asks
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.text == "mutations are not allowed when using GET"
    assert seconds < DEADLINE


# --- cost ----------------------------------------------------------------------------------------


async def test_a_query_over_the_cost_limit_is_refused(server):
    # given: 100 members with 100 registrations each, and their events
    costly = "{ members(first: 100) { edges { node { eventRegistrations(first: 100) { edges { node { event { id } } } } } } } }"
    # when
    response, seconds = await _send(server, json={"query": costly})
    # then
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 30301, "limit": 10000}
    assert seconds < DEADLINE


async def test_a_partner_over_its_budget_is_refused(server):
    # given: a key that has spent 95 of its 100
    _, key = await make_api_key(await make_partner())
    await buckets.charge(budget_key(key.partition(".")[0]), 95, Bucket(capacity=100, rate=0.001))
    query = '{ voucherValidate(code: "X") { voucher { title } errors { code } } }'
    # when
    response, seconds = await _send(server, json={"query": query}, headers={"Authorization": f"ApiKey {key}"})
    # then
    assert response.status_code == 429
    assert response.json()["errors"][0]["extensions"]["code"] == "COST_BUDGET_EXCEEDED"
    assert response.json()["extensions"] == {"cost": {"requested": 12, "actual": 0, "remaining": 5}}
    assert seconds < DEADLINE


# --- production mode ------------------------------------------------------------------------------

INTROSPECTION_DISABLED = "GraphQL introspection has been disabled, but the requested query contained the field"


async def test_production_refuses_introspection(production):
    # when
    response, seconds = await _send(production, json={"query": "{ __schema { types { name } } }"})
    # then
    assert response.status_code == 200
    assert response.json() == _errors(f"{INTROSPECTION_DISABLED} '__schema'.", f"{INTROSPECTION_DISABLED} 'types'.")
    assert seconds < DEADLINE


# --- afterwards -----------------------------------------------------------------------------------


async def test_the_server_still_answers_after_all_of_it(server, production):
    # when
    answers = [await _send(running, json={"query": "{ __typename }"}) for running in (server, production)]
    # then
    for response, seconds in answers:
        assert response.status_code == 200
        assert response.json() == {"data": {"__typename": "Query"}}
        assert seconds < DEADLINE
    for running in (server, production):
        assert running.process.poll() is None
        assert "Traceback" not in running.output()
        assert " 500 " not in running.output()
