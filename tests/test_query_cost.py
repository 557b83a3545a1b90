"""The computed query cost: how it is counted, the limit that refuses a query before it runs, and one
operation per request."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import parse

from api.app import create_app
from api.settings import Settings
from domain import models
from schema import build_schema
from schema.cost import requested_cost
from tests.factories import gql, make_member, make_staff, staff_token

SCHEMA = build_schema()._schema


def cost(query: str, variables: dict | None = None, operation_name: str | None = None) -> int:
    return requested_cost(SCHEMA, parse(query), query, operation_name, variables)


# --- how a document is counted --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 0),
        ('{ tier(id: "x") { name rank } }', 1),  # an object: 1, its scalars: 0
        ('{ tier(id: "x") { name benefits { name } } }', 1 + 10),  # a plain list: 10 of them
        ("{ tiers(first: 5) { totalCount edges { node { name } } } }", 1 + 5 * 2),  # edges and nodes, 5 times
        ("{ tiers { edges { cursor } pageInfo { hasNextPage } } }", 1 + 20 + 1),  # `first` defaults to 20
        ("{ tiers(first: 3) { edges { node { benefits { name } } } } }", 1 + 3 * (1 + 1 + 10)),
        ("{ tiers(first: 0) { edges { node { name } } } }", 1),
        ("{ __schema { types { fields { name } } } }", 0),  # introspection reads no data
        ('{ a: tier(id: "x") { name } b: tier(id: "y") { name } }', 2),
    ],
    ids=["typename", "object", "plain-list", "connection", "default-first", "nested", "first-0", "introspection", "aliases"],
)
def test_the_cost_of_a_document(query, expected):
    assert cost(query) == expected


def test_a_variable_first_counts_its_value_its_default_or_the_argument_default():
    query = "query($n: Int!) { tiers(first: $n) { edges { node { name } } } }"
    with_default = "query($n: Int! = 7) { tiers(first: $n) { edges { node { name } } } }"
    # then: the same document costs what its variables say, whatever was computed for it before
    assert cost(query, {"n": 50}) == 1 + 50 * 2
    assert cost(query, {"n": 2}) == 1 + 2 * 2
    assert cost(with_default, {}) == 1 + 7 * 2
    assert cost(with_default, {"n": 1}) == 1 + 1 * 2
    assert cost(query, {"n": "lots"}) == 1 + 20 * 2  # refused when variables are coerced; counted at the default


def test_a_whole_float_first_counts_at_its_value_as_coercion_takes_it_and_shares_no_cached_cost():
    query = "query($n: Int!) { tiers(first: $n) { edges { node { name } } } }"
    # when: the float first, then the int (a cached cost of one must never serve the other wrongly)
    as_float = cost(query, {"n": 100.0})
    as_int = cost(query, {"n": 100})
    # then
    assert as_float == as_int == 1 + 100 * 2


def test_nodes_and_entities_count_each_id_asked_for():
    by_literal = '{ nodes(ids: ["a", "b", "c"]) { id ... on Tier { benefits { name } } } }'
    by_variable = "query($ids: [GlobalID!]!) { nodes(ids: $ids) { ... on Tier { benefits { name } } } }"
    assert cost(by_literal) == 3 * (1 + 10)
    assert cost(by_variable, {"ids": ["a"] * 100}) == 100 * (1 + 10)
    assert cost(by_variable, {"ids": ["a"] * 2}) == 2 * (1 + 10)


def test_fragments_and_inline_fragments_count_where_they_are_spread():
    # given
    spread_twice = """{ a: tiers(first: 2) { ...Page } b: tiers(first: 3) { ...Page } }
        fragment Page on TierConnection { edges { node { ...Tier } } }
        fragment Tier on Tier { name benefits { name } }"""
    inline = '{ me { ... on Member { tier { name } } ... on Staff { name } } node(id: "x") { ... on Tier { benefits { name } } } }'
    # then
    assert cost(spread_twice) == (1 + 2 * (1 + 1 + 10)) + (1 + 3 * (1 + 1 + 10))
    assert cost(inline) == (1 + 1) + (1 + 10)


def test_a_fragment_cycle_ends_and_fragments_that_double_are_counted_once_each():
    # given: validation refuses the cycle before the cost is asked; the count must still end
    cycle = "fragment A on Query { ...B tier(id: \"x\") { name } } fragment B on Query { ...A } { ...A }"
    # and: every fragment spreads the next one twice, 2^30 times the tier at the bottom
    doubling = (
        "{ ...F0 } "
        + " ".join(f"fragment F{n} on Query {{ ...F{n + 1} x{n}: tiers(first: 1) {{ ...F{n + 1} }} }}" for n in range(30))
        + ' fragment F30 on Query { tier(id: "x") { name } }'
    )
    # when
    started = time.monotonic()
    doubled = cost(doubling)
    # then
    assert cost(cycle) == 1
    assert doubled > 2**30
    assert time.monotonic() - started < 0.5


# --- the limit ------------------------------------------------------------------------------------

# 100 members, each with 100 registrations and their events: 1 + 100 × (1 + 1 + 1 + 100 × 3)
COSTLY = "{ members(first: 100) { edges { node { eventRegistrations(first: 100) { edges { node { id event { id } } } } } } } }"


async def test_a_query_over_the_limit_is_refused_before_it_runs(client, sql):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    token = staff_token(manager)
    await make_member()
    sql.statements.clear()
    # when
    response = await client.post("/graphql", json={"query": COSTLY}, headers={"Authorization": f"Bearer {token}"})
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "This query may cost 30301, over the limit of 10000: ask for fewer items (`first`) or fewer "
                "nested lists",
                "extensions": {"code": "QUERY_TOO_COSTLY", "cost": 30301, "limit": 10000},
            }
        ],
    }
    assert sql.statements == []  # nothing was read


@pytest.fixture
async def limited(settings: Settings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose queries may cost 21: a page of 10 tiers with their nodes costs exactly that."""
    app = create_app(Settings(**{**_fields(settings), "max_query_cost": 21}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test") as http:
        yield http


def _fields(settings: Settings) -> dict:
    return {name: getattr(settings, name) for name in Settings.__dataclass_fields__}


PAGE = "query($first: Int!) { tiers(first: $first) { edges { node { name } } } }"


async def test_the_limit_is_inclusive_and_follows_the_variables(limited):
    # when
    at_limit = await gql(limited, PAGE, {"first": 10})
    over = await gql(limited, PAGE, {"first": 11})
    # then
    assert at_limit == {"data": {"tiers": {"edges": []}}}
    assert over == {
        "data": None,
        "errors": [
            {
                "message": "This query may cost 23, over the limit of 21: ask for fewer items (`first`) or fewer nested lists",
                "extensions": {"code": "QUERY_TOO_COSTLY", "cost": 23, "limit": 21},
            }
        ],
    }


async def test_a_mutation_over_the_limit_changes_nothing(limited):
    # given: the payload's errors count as a plain list, and each error's fields are scalars
    member = await make_member(password="member-password")
    mutation = """mutation($input: LoginInput!) { login(input: $input) { token viewer { ... on Member {
        tier { benefits { name } } accountManager { name } } } errors { code } } }"""
    # when
    result = await gql(limited, mutation, {"input": {"email": member.email, "password": "member-password"}})
    # then: 1 + (1 + (1 + 10) + 1) + 10
    assert result["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 24, "limit": 21}
    assert await models.AuthSession.filter(subject_kind="member", subject_id=member.id).count() == 0


# --- one operation per request --------------------------------------------------------------------


async def test_a_document_of_several_operations_must_name_the_one_to_run(client):
    # given
    document = "query A { __typename } query B { tiers { totalCount } }"
    # when
    unnamed = await gql(client, document)
    response = await client.post("/graphql", json={"query": document, "operationName": "B"})
    # then
    assert unnamed == {
        "data": None,
        "errors": [
            {
                "message": "The document holds 2 operations: name the one to run in `operationName`",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert response.json() == {"data": {"tiers": {"totalCount": 0}}}


async def test_a_batch_is_refused(client):
    # when
    response = await client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    # then
    assert response.status_code == 400
    assert response.text == "Batching is not enabled"
