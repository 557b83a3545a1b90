"""Persisted operations: documents named by their SHA-256 hash, and the allow-list that member tokens
are held to in production."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import parse, validate
from strawberry import relay

from api import persisted
from api.app import create_app
from api.cli import main
from api.settings import Settings
from domain import models
from schema import build_schema
from tests.factories import make_api_key, make_member, make_partner, make_staff, member_token, staff_token

OPERATIONS = {operation.name: operation for operation in persisted.MANIFEST.values()}
APP_OPERATIONS = {
    "Login", "TokenRefresh", "Logout", "Me", "MemberUpdate", "MemberDataExport", "Rewards", "RewardRedeem", "Events",
    "EventRegister", "Vouchers", "PointsBalanceChanged", "RegistrationChanged",
}
ARBITRARY = "{ me { ... on Member { name pointsBalance } } }"


def hashed(name: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": OPERATIONS[name].sha256}}


async def post(http: httpx.AsyncClient, body: dict, token: str | None = None, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": f"ApiKey {key}"} if key else {}
    return await http.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def production(settings: Settings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    fields = {name: getattr(settings, name) for name in Settings.__dataclass_fields__}
    app = create_app(Settings(**{**fields, "env": "production"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test") as http:
        yield http


# --- the manifest ---------------------------------------------------------------------------------


def test_the_manifest_holds_the_member_apps_operations_each_valid_and_hashed_from_its_file():
    schema = build_schema()._schema
    assert set(OPERATIONS) == APP_OPERATIONS
    for path in persisted.FOLDER.glob("*.graphql"):
        text = path.read_text()
        operation = OPERATIONS[path.stem]
        assert operation.sha256 == hashlib.sha256(text.strip().encode()).hexdigest()
        assert validate(schema, parse(operation.document)) == []


def test_a_file_that_is_not_one_named_operation_stops_the_start_up(tmp_path):
    (tmp_path / "Two.graphql").write_text("query A { __typename } query B { __typename }")
    with pytest.raises(ValueError, match="Two.graphql must hold exactly one named operation"):
        persisted.load(tmp_path)


def test_the_cli_lists_hashes_and_names(capsys):
    assert main(["persisted"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{OPERATIONS[name].sha256}  {name}" for name in sorted(APP_OPERATIONS)]


# --- by hash --------------------------------------------------------------------------------------


async def test_a_known_hash_runs_its_document_with_the_variables(client):
    # given
    member = await make_member()
    # when
    response = await post(client, {"extensions": hashed("Vouchers"), "variables": {"first": 5}}, token=member_token(member))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": {"me": {"vouchers": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    }


async def test_an_unknown_hash_is_not_found(client):
    # when
    response = await post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}})
    # then: HTTP 200, as Apollo clients expect before they send the query with its hash
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}],
    }


async def test_a_query_sent_with_a_hash_must_match_it_and_a_mismatch_runs_nothing(client):
    # given
    member = await make_member(password="member-password")
    login = OPERATIONS["Login"].document
    variables = {"email": member.email, "password": "member-password"}
    # when
    mismatch = await post(client, {"query": login, "variables": variables, "extensions": hashed("Me")})
    matching = await post(client, {"query": login, "variables": variables, "extensions": hashed("Login")})
    # then
    assert mismatch.status_code == 400
    assert mismatch.json() == {
        "data": None,
        "errors": [
            {
                "message": "The query does not match extensions.persistedQuery.sha256Hash",
                "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
            }
        ],
    }
    assert matching.status_code == 200
    assert matching.json()["data"]["login"]["errors"] == []
    assert await models.AuthSession.filter(subject_kind="member", subject_id=member.id).count() == 1


@pytest.mark.parametrize(
    "persisted_query",
    [{"version": 2, "sha256Hash": "0" * 64}, {"version": 1}, {"version": 1, "sha256Hash": 42}, "abc"],
    ids=["version-2", "no-hash", "hash-not-a-string", "not-an-object"],
)
async def test_a_malformed_persisted_query_is_refused(client, persisted_query):
    # when
    response = await post(client, {"extensions": {"persistedQuery": persisted_query}})
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_a_partner_refused_by_hash_still_gets_extensions_cost(client):
    # given
    _, key = await make_api_key(await make_partner())
    # when
    response = await post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}, key=key)
    # then
    assert response.json()["extensions"] == {"cost": {"requested": 0, "actual": 0, "remaining": 1000}}


# --- the allow-list in production -----------------------------------------------------------------

NOT_ALLOWED = {
    "data": None,
    "errors": [
        {
            "message": "This operation is not one of the app's persisted operations: send a persisted operation's hash",
            "extensions": {"code": "OPERATION_NOT_ALLOWED"},
        }
    ],
}


async def test_in_production_a_member_token_may_run_only_persisted_operations(production):
    # given
    member = await make_member()
    token = member_token(member)
    # when
    arbitrary = await post(production, {"query": ARBITRARY}, token=token)
    by_hash = await post(production, {"extensions": hashed("Me")}, token=token)
    by_text = await post(production, {"query": OPERATIONS["Me"].document + "\n"}, token=token)
    # then
    assert (arbitrary.status_code, arbitrary.json()) == (400, NOT_ALLOWED)
    assert by_hash.status_code == by_text.status_code == 200
    assert by_hash.json()["data"]["me"]["pointsBalance"] == 0
    assert by_text.json() == by_hash.json()


async def test_in_production_a_member_cannot_pass_an_arbitrary_query_off_with_its_own_hash(production):
    # given
    member = await make_member()
    own_hash = hashlib.sha256(ARBITRARY.encode()).hexdigest()
    # when
    response = await post(
        production, {"query": ARBITRARY, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": own_hash}}},
        token=member_token(member),
    )
    # then
    assert (response.status_code, response.json()) == (400, NOT_ALLOWED)


async def test_in_production_staff_partners_and_anonymous_callers_may_send_any_document(production):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    _, key = await make_api_key(await make_partner())
    # when
    as_staff = await post(production, {"query": "{ me { ... on Staff { role } } }"}, token=staff_token(staff))
    as_partner = await post(production, {"query": "{ me { __typename } }"}, key=key)
    anonymous = await post(production, {"query": "{ tiers { totalCount } }"})
    # then
    assert as_staff.json() == {"data": {"me": {"role": "CLUB_MANAGER"}}}
    assert as_partner.json()["data"] == {"me": {"__typename": "Partner"}}
    assert anonymous.json() == {"data": {"tiers": {"totalCount": 0}}}


async def test_in_production_the_member_app_signs_in_and_reads_through_persisted_operations(production):
    # given
    member = await make_member(password="member-password")
    # when
    login = await post(
        production, {"extensions": hashed("Login"), "variables": {"email": member.email, "password": "member-password"}}
    )
    token = login.json()["data"]["login"]["token"]
    me = await post(production, {"extensions": hashed("Me")}, token=token)
    # then
    assert me.status_code == 200
    assert me.json()["data"]["me"]["name"] == member.name


async def test_outside_production_a_member_token_may_send_any_document(client):
    # given
    member = await make_member()
    # when
    response = await post(client, {"query": ARBITRARY}, token=member_token(member))
    # then
    assert response.json() == {"data": {"me": {"name": member.name, "pointsBalance": 0}}}


async def test_behind_a_gateway_the_subgraph_leaves_the_allow_list_to_the_gateway(settings, database):
    # given: CLUBGRAPH_PERSISTED_ONLY=0, as behind a federation gateway that builds `_entities` documents
    fields = {name: getattr(settings, name) for name in Settings.__dataclass_fields__}
    app = create_app(Settings(**{**fields, "env": "production", "persisted_only": False}))
    member = await make_member()
    # when
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test") as http:
        response = await post(http, {"query": ARBITRARY}, token=member_token(member))
    # then
    assert response.json() == {"data": {"me": {"name": member.name, "pointsBalance": 0}}}


async def test_in_production_a_member_exports_their_data_through_a_persisted_operation(production):
    # given
    member = await make_member()
    variables = {"id": str(relay.GlobalID("Member", str(member.id)))}
    # when
    response = await post(production, {"extensions": hashed("MemberDataExport"), "variables": variables}, token=member_token(member))
    # then
    assert response.status_code == 200
    assert response.json()["data"]["memberDataExport"]["data"]["profile"]["email"] == member.email
