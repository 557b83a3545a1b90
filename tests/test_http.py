"""The HTTP edge: health, request ids, body and query limits, bad requests, error masking, production mode."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from unittest.mock import ANY

import httpx
import orjson
import pytest

import domain.members
from api.app import create_app
from api.logs import JsonFormatter
from api.settings import Settings
from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_tiers, member_token, staff_token

GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
MEMBERS = "{ members { edges { node { id } } } }"


@asynccontextmanager
async def client_of(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own, built like the `client` fixture's but with other settings."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield http


# --- health and readiness -------------------------------------------------------------------


async def test_health_answers_without_the_database(client):
    # when
    response = await client.get("/health")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_answers_when_the_database_does(client):
    # when
    response = await client.get("/ready")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


# --- request ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/graphql"])
async def test_a_request_id_given_by_the_caller_is_echoed(client, path):
    # when
    response = await client.post(path, json={"query": "{ __typename }"}, headers={"X-Request-ID": "pos-7.order_42"})
    # then
    assert response.headers["x-request-id"] == "pos-7.order_42"


async def test_a_request_id_is_generated_when_none_is_given(client):
    # when
    first = await client.post("/graphql", json={"query": "{ __typename }"})
    second = await client.post("/graphql", json={"query": "{ __typename }"})
    # then
    assert GENERATED_REQUEST_ID.match(first.headers["x-request-id"])
    assert GENERATED_REQUEST_ID.match(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("given", ["two words", "x" * 65, "a/b", "<script>", ""])
async def test_a_request_id_unfit_for_logs_is_replaced(client, given):
    # when
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": given})
    # then
    assert GENERATED_REQUEST_ID.match(response.headers["x-request-id"])


async def test_a_refused_token_still_carries_the_request_id(client):
    # when
    response = await client.post(
        "/graphql",
        json={"query": "{ me { __typename } }"},
        headers={"Authorization": "Bearer junk", "X-Request-ID": "r-401"},
    )
    # then
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "r-401"


# --- body size --------------------------------------------------------------------------------

TOO_LARGE = {
    "errors": [{"message": "The request body is larger than 256 bytes", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]
}


def _body_of_size(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes: `{ __typename }` padded with blanks."""
    empty = orjson.dumps({"query": "{ __typename }"})
    return orjson.dumps({"query": "{ __typename " + " " * (size - len(empty)) + "}"})


async def test_a_body_over_the_limit_is_refused_with_413(settings):
    # given
    async with client_of(replace(settings, max_body_bytes=256)) as small:
        # when
        response = await small.post(
            "/graphql",
            content=_body_of_size(257),
            headers={"Content-Type": "application/json", "X-Request-ID": "big-1"},
        )
    # then
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "big-1"
    assert response.json() == TOO_LARGE


async def test_a_chunked_body_over_the_limit_is_refused_with_413(settings):
    # given
    body = _body_of_size(300)

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must hold while the body streams in.
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    async with client_of(replace(settings, max_body_bytes=256)) as small:
        # when
        response = await small.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    # then
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_a_body_at_the_limit_is_served(settings):
    # given
    body = _body_of_size(256)
    async with client_of(replace(settings, max_body_bytes=256)) as small:
        # when
        response = await small.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    # then
    assert len(body) == 256
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


# --- query limits -----------------------------------------------------------------------------


async def test_a_query_deeper_than_the_limit_gets_a_graphql_error(client):
    # given
    deep = "query Deep { me { " + "a { " * 12 + "b" + " }" * 12 + " } }"
    # when
    response = await client.post("/graphql", json={"query": deep})
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {"message": "'Deep' exceeds maximum operation depth of 12", "locations": ANY},
            {"message": "Cannot query field 'a' on type 'Viewer'.", "locations": ANY},
        ],
    }


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        (30, {"data": {f"a{i}": "Query" for i in range(30)}}),
        (31, {"data": None, "errors": [{"message": "31 aliases found. Allowed: 30"}]}),
    ],
)
async def test_aliases_are_limited(client, aliases, expected):
    # given
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(aliases)) + " }"
    # when
    response = await client.post("/graphql", json={"query": query})
    # then
    assert response.status_code == 200
    assert response.json() == expected


async def test_a_document_of_too_many_tokens_gets_a_graphql_error(client):
    # given
    query = "{ __typename " + "__typename " * 4000 + "}"
    # when
    response = await client.post("/graphql", json={"query": query})
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {"message": "Syntax Error: Document contains more than 4000 tokens. Parsing aborted.", "locations": ANY}
        ],
    }


# --- malformed requests -----------------------------------------------------------------------


async def test_malformed_json_gets_400(client):
    # when
    response = await client.post("/graphql", content=b'{"query": "{ me', headers={"Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"


async def test_a_mutation_over_get_is_refused_with_405_and_changes_nothing(client):
    # given
    member = await make_member()
    mutation = (
        f'mutation {{ memberPreferenceAdd(input: {{memberId: "{gid("Member", member.id)}", category: DRINK, '
        'value: "Oolong tea"}) { errors { code } } }'
    )
    # when
    response = await client.get(
        "/graphql", params={"query": mutation}, headers={"Authorization": f"Bearer {member_token(member)}"}
    )
    # then: GET is for queries only; the GraphQL-over-HTTP spec asks for 405, and HTTP for the Allow header
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.text == "mutations are not allowed when using GET"
    assert await models.MemberPreference.filter(member_id=member.id).count() == 0


async def test_a_query_over_get_is_served(client):
    # when
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


# --- unexpected errors ------------------------------------------------------------------------


def _break_member_query(monkeypatch) -> None:
    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(domain.members, "member_query", broken)


def _masked(request_id: str) -> dict:
    return {
        "data": None,
        "errors": [
            {
                "message": f"Unexpected error. Quote request id {request_id} when reporting it.",
                "locations": ANY,
                "path": ["members"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
    }


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(client, monkeypatch, caplog):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    _break_member_query(monkeypatch)
    caplog.set_level(logging.ERROR, logger="clubgraph.graphql")
    # when
    response = await client.post(
        "/graphql",
        json={"query": f"query ListMembers {MEMBERS}"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"},
    )
    # then
    assert response.status_code == 200
    assert response.json() == _masked("req-42")
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    records = [record for record in caplog.records if record.name == "clubgraph.graphql"]
    assert [(record.levelname, record.getMessage(), record.request_id) for record in records] == [
        ("ERROR", "unexpected error in ListMembers at members", "req-42")
    ]
    line = orjson.loads(JsonFormatter().format(records[0]))
    assert (line["level"], line["logger"], line["request_id"]) == ("error", "clubgraph.graphql", "req-42")
    assert "RuntimeError: secret detail" in line["exception"]


async def test_concurrent_unexpected_errors_are_each_masked_with_their_own_request_id(client, monkeypatch):
    # given
    await make_tiers()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    _break_member_query(monkeypatch)
    # `tiers` waits for the database, so that both requests are in flight at once.
    query = "{ tiers { edges { node { name } } } members { edges { node { id } } } }"

    async def request(request_id: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        return await client.post("/graphql", json={"query": query}, headers=headers)

    # when
    responses = await asyncio.gather(*(request(f"req-{n}") for n in range(4)))
    # then
    for n, response in enumerate(responses):
        assert "secret detail" not in response.text
        assert response.json()["errors"] == _masked(f"req-{n}")["errors"]


async def test_a_refusal_is_not_masked(client):
    # given
    member = await make_member()
    # when
    result = await gql(client, MEMBERS, token=member_token(member))
    # then
    assert result == {
        "data": None,
        "errors": [
            {
                "message": "You are not allowed to do this",
                "locations": ANY,
                "path": ["members"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }


# --- production mode --------------------------------------------------------------------------


INTROSPECTION_DISABLED = "GraphQL introspection has been disabled, but the requested query contained the field"


def _production(settings: Settings) -> Settings:
    return replace(settings, env="production", secret_key="production-secret-" + "z" * 40)


async def test_production_disables_introspection(settings):
    # given
    async with client_of(_production(settings)) as production, client_of(settings) as development:
        # when
        refused = await production.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        served = await development.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    # then
    assert refused.status_code == 200
    assert refused.json() == {
        "data": None,
        "errors": [
            {"message": f"{INTROSPECTION_DISABLED} '__schema'.", "locations": ANY},
            {"message": f"{INTROSPECTION_DISABLED} 'types'.", "locations": ANY},
        ],
    }
    assert {"name": "Member"} in served.json()["data"]["__schema"]["types"]


async def test_production_gives_no_field_suggestions(settings):
    # given
    async with client_of(_production(settings)) as production:
        # when
        response = await production.post("/graphql", json={"query": "{ membr(id: 1) { id } }"})
    # then
    assert response.json() == {
        "data": None,
        "errors": [{"message": "Cannot query field 'membr' on type 'Query'.", "locations": ANY}],
    }


async def test_production_serves_no_graphiql(settings):
    # given
    async with client_of(_production(settings)) as production, client_of(settings) as development:
        # when
        refused = await production.get("/graphql", headers={"Accept": "text/html"})
        served = await development.get("/graphql", headers={"Accept": "text/html"})
    # then
    assert refused.status_code == 404
    assert not refused.headers["content-type"].startswith("text/html")
    assert "graphiql" not in refused.text.lower()
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/html")
    assert "graphiql" in served.text.lower()
