"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): the media type from Accept, and the
status codes of `application/graphql-response+json` beside today's `application/json` behaviour."""

from __future__ import annotations

from unittest.mock import ANY

import pytest

from api.graphql_http import negotiate
from domain import models
from tests.factories import gid, make_member, member_token

NEW = "application/graphql-response+json"
NEW_CONTENT_TYPE = "application/graphql-response+json; charset=utf-8"
ACCEPT_NEW = {"Accept": NEW}
ACCEPT_JSON = {"Accept": "application/json"}

VALID = {"query": "{ __typename }"}
INVALID = {"query": "{ nope }"}
UNPARSEABLE = {"query": "{ __typename"}
BAD_VARIABLES = {"query": "query($first: Int) { tiers(first: $first) { totalCount } }", "variables": {"first": "many"}}
INVALID_ERROR = {"message": "Cannot query field 'nope' on type 'Query'. Did you mean 'node', 'nodes', or 'nps'?", "locations": ANY}
UNPARSEABLE_ERROR = {"message": "Syntax Error: Expected Name, found <EOF>.", "locations": ANY}
VARIABLES_ERROR = {"message": "Variable '$first' has invalid value: Int cannot represent non-integer value: 'many'", "locations": ANY}


# --- negotiation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        (NEW, NEW),
        (f"{NEW}, application/json;q=0.9", NEW),
        (f"application/json, {NEW}", NEW),
        (f"application/json;q=0.9, {NEW}", NEW),
        (f"{NEW};q=0.5, application/json", "application/json"),
        (f"{NEW};q=0, */*", "application/json"),
        (f"{NEW};charset=utf-8", NEW),
        (f"text/html, {NEW};q=0.8, */*;q=0.1", NEW),
        ("APPLICATION/JSON", "application/json"),
        ("text/html", None),
        ("image/png, text/*", None),
        ("application/json;q=0", None),
        ("application/json;q=2", None),
        ("application/json;q=nope", None),
    ],
)
def test_the_media_type_follows_accept_and_its_q_values(accept, chosen):
    assert negotiate(accept) == chosen


# --- status codes under both media types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "accept", "status", "content_type", "answer"),
    [
        (VALID, ACCEPT_NEW, 200, NEW_CONTENT_TYPE, {"data": {"__typename": "Query"}}),
        (VALID, ACCEPT_JSON, 200, "application/json", {"data": {"__typename": "Query"}}),
        (VALID, {}, 200, "application/json", {"data": {"__typename": "Query"}}),
        (INVALID, ACCEPT_NEW, 400, NEW_CONTENT_TYPE, {"errors": [INVALID_ERROR]}),
        (INVALID, ACCEPT_JSON, 200, "application/json", {"data": None, "errors": [INVALID_ERROR]}),
        (UNPARSEABLE, ACCEPT_NEW, 400, NEW_CONTENT_TYPE, {"errors": [UNPARSEABLE_ERROR]}),
        (UNPARSEABLE, ACCEPT_JSON, 200, "application/json", {"data": None, "errors": [UNPARSEABLE_ERROR]}),
        (BAD_VARIABLES, ACCEPT_NEW, 400, NEW_CONTENT_TYPE, {"errors": [VARIABLES_ERROR]}),
        (BAD_VARIABLES, ACCEPT_JSON, 200, "application/json", {"data": None, "errors": [VARIABLES_ERROR]}),
    ],
    ids=["valid-new", "valid-json", "valid-no-accept", "invalid-new", "invalid-json", "unparseable-new", "unparseable-json", "variables-new", "variables-json"],
)
async def test_a_request_error_is_400_without_data_only_under_the_new_media_type(client, body, accept, status, content_type, answer):
    # when
    response = await client.post("/graphql", json=body, headers=accept)
    # then
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert response.json() == answer


@pytest.mark.parametrize("accept", [ACCEPT_NEW, ACCEPT_JSON])
async def test_field_errors_with_data_are_200_under_both_media_types(client, accept):
    # when: anonymous, so `members` is refused while `__typename` runs; `members` is non-null, so data is null
    response = await client.post("/graphql", json={"query": "{ __typename members(first: 1) { totalCount } }"}, headers=accept)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [{"message": "Sign in to do this", "locations": ANY, "path": ["members"], "extensions": {"code": "UNAUTHENTICATED"}}],
    }


async def test_a_query_over_the_cost_limit_is_400_under_the_new_media_type(client):
    # given
    costly = "{ members(first: 100) { edges { node { eventRegistrations(first: 100) { edges { node { event { id } } } } } } } }"
    # when
    response = await client.post("/graphql", json={"query": costly}, headers=ACCEPT_NEW)
    # then
    assert response.status_code == 400
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 30301, "limit": 10000}


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"content": b'{"query": "{ me', "headers": {"Content-Type": "application/json"}}, "Unable to parse request body as JSON"),
        ({"json": {"variables": {}}}, "No GraphQL query found in the request"),
        ({"json": {"query": "{ __typename }", "variables": [1]}}, "The GraphQL operation's `variables` must be an object or null, if provided."),
    ],
    ids=["malformed-json", "missing-query", "variables-array"],
)
async def test_a_malformed_request_is_400_as_json_under_the_new_media_type_and_plain_text_otherwise(client, request_kwargs, message):
    # given
    headers = request_kwargs.pop("headers", {})
    # when
    new = await client.post("/graphql", headers={**headers, **ACCEPT_NEW}, **request_kwargs)
    legacy = await client.post("/graphql", headers={**headers, **ACCEPT_JSON}, **request_kwargs)
    # then
    assert (new.status_code, new.headers["content-type"]) == (400, NEW_CONTENT_TYPE)
    assert new.json() == {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}
    assert (legacy.status_code, legacy.text) == (400, message)


async def test_a_refused_token_keeps_its_401_in_the_new_media_type(client):
    # when
    response = await client.post("/graphql", json={"query": "{ me { __typename } }"}, headers={**ACCEPT_NEW, "Authorization": "Bearer junk"})
    # then
    assert response.status_code == 401
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("accept", ["text/html", "image/png", "application/json;q=0"])
async def test_a_request_that_accepts_neither_json_type_gets_406(client, accept):
    # when
    response = await client.post("/graphql", json=VALID, headers={"Accept": accept})
    # then
    assert response.status_code == 406
    assert response.text == f"Accept {NEW} or application/json"


async def test_graphiql_is_still_served_to_a_browser(client):
    # when
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --- GET is for queries -------------------------------------------------------------------------


async def test_a_query_over_get_is_served_in_the_new_media_type(client):
    # when
    response = await client.get("/graphql", params=VALID, headers=ACCEPT_NEW)
    # then
    assert (response.status_code, response.headers["content-type"]) == (200, NEW_CONTENT_TYPE)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_over_get_gets_405_with_allow_under_the_new_media_type_and_changes_nothing(client):
    # given
    member = await make_member()
    mutation = (
        f'mutation {{ memberPreferenceAdd(input: {{memberId: "{gid("Member", member.id)}", category: DRINK, '
        'value: "Oolong tea"}) { errors { code } } }'
    )
    # when
    response = await client.get(
        "/graphql", params={"query": mutation}, headers={**ACCEPT_NEW, "Authorization": f"Bearer {member_token(member)}"}
    )
    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert response.json() == {
        "errors": [{"message": "mutations are not allowed when using GET", "extensions": {"code": "METHOD_NOT_ALLOWED"}}]
    }
    assert await models.MemberPreference.filter(member_id=member.id).count() == 0
