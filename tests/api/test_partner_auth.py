"""A partner's system signs in with an API key, optionally HMAC-signed, and sees itself and nothing else."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from unittest.mock import ANY

import pytest

from domain import models
from domain.signatures import signature_headers
from tests.factories import (
    gid,
    make_api_key,
    make_member,
    make_partner,
    make_staff,
    partner_gql,
)

ME = "{ me { __typename ... on Partner { id name slug apiKeys { prefix label revokedAt } } } }"
UNAUTHENTICATED = {"message": "The API key is invalid or has been revoked", "extensions": {"code": "UNAUTHENTICATED"}}

# A partner's `me`, with its cost: 1 asked and used, out of the default budget of 1,000.
PARTNER_ME = {"data": {"me": {"__typename": "Partner"}}, "extensions": {"cost": {"requested": 1, "actual": 1, "remaining": 999}}}


async def test_a_partner_key_signs_in_and_me_is_the_partner(client):
    # given
    partner = await make_partner()
    api_key, key = await make_api_key(partner, label="POS")
    # when
    result = await partner_gql(client, ME, key=key)
    # then
    assert result == {
        "data": {
            "me": {
                "__typename": "Partner",
                "id": gid("Partner", partner.id),
                "name": "Maison Laurent",
                "slug": "maison-laurent",
                "apiKeys": [{"prefix": api_key.prefix, "label": "POS", "revokedAt": None}],
            }
        }
    }
    assert (await models.PartnerApiKey.get(id=api_key.id)).last_used_at is not None


async def test_the_key_may_come_in_x_api_key(client):
    # given
    partner = await make_partner()
    _, key = await make_api_key(partner)
    # when
    response = await client.post("/graphql", json={"query": "{ me { __typename } }"}, headers={"X-Api-Key": key})
    # then
    assert (response.status_code, response.json()) == (200, PARTNER_ME)


@pytest.mark.parametrize("change", ["revoked", "suspended", "wrong secret", "unknown prefix", "no dot"])
async def test_a_key_that_does_not_hold_is_refused_with_401(client, change):
    # given
    partner = await make_partner()
    api_key, key = await make_api_key(partner)
    if change == "revoked":
        await models.PartnerApiKey.filter(id=api_key.id).update(revoked_at=datetime.now(timezone.utc))
    elif change == "suspended":
        await models.Partner.filter(id=partner.id).update(status=models.PartnerStatus.SUSPENDED)
    elif change == "wrong secret":
        key = key + "x"
    elif change == "unknown prefix":
        key = "pk_0000000000." + key.partition(".")[2]
    else:
        key = key.replace(".", "")
    # when
    response = await client.post(
        "/graphql", json={"query": "{ me { __typename } }"}, headers={"Authorization": f"ApiKey {key}"}
    )
    # then
    assert (response.status_code, response.json()) == (401, {"errors": [UNAUTHENTICATED]})
    assert response.headers["www-authenticate"] == "ApiKey"


# --- signatures ---------------------------------------------------------------------------


def _body(query: str) -> bytes:
    return json.dumps({"query": query}).encode()


async def _post(client, body: bytes, key: str, headers: dict[str, str] | None = None):
    return await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"ApiKey {key}", "Content-Type": "application/json", **(headers or {})},
    )


async def test_a_partner_that_must_sign_passes_with_a_fresh_signature_of_the_body(client):
    # given
    partner = await make_partner(require_signature=True, signing_secret="s3cret")
    _, key = await make_api_key(partner)
    body = _body("{ me { __typename } }")
    # when
    response = await _post(client, body, key, signature_headers("s3cret", body))
    # then
    assert (response.status_code, response.json()) == (200, PARTNER_ME)


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ("unsigned", "Sign the request: X-Clubgraph-Timestamp and X-Clubgraph-Signature are required"),
        ("stale", "The timestamp is more than 300 seconds from our clock"),
        ("other body", "The signature does not match the body"),
        ("other secret", "The signature does not match the body"),
    ],
)
async def test_a_partner_that_must_sign_is_refused_without_a_good_signature(client, signing, message):
    # given
    partner = await make_partner(require_signature=True, signing_secret="s3cret")
    _, key = await make_api_key(partner)
    body = _body("{ me { __typename } }")
    headers = {
        "unsigned": {},
        "stale": signature_headers("s3cret", body, now=time.time() - 301),
        "other body": signature_headers("s3cret", _body("{ __typename }")),
        "other secret": signature_headers("not-the-secret", body),
    }[signing]
    # when
    response = await _post(client, body, key, headers)
    # then
    assert (response.status_code, response.json()) == (
        401,
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
    )


async def test_a_partner_that_must_sign_may_not_use_get(client):
    # given
    partner = await make_partner(require_signature=True)
    _, key = await make_api_key(partner)
    # when
    response = await client.get("/graphql", params={"query": "{ me { __typename } }"}, headers={"X-Api-Key": key})
    # then
    assert (response.status_code, response.json()) == (
        401,
        {"errors": [{"message": "Signed requests must be POSTs", "extensions": {"code": "UNAUTHENTICATED"}}]},
    )


async def test_a_partner_that_need_not_sign_may_sign_anyway_or_not(client):
    # given
    partner = await make_partner(require_signature=False)
    _, key = await make_api_key(partner)
    body = _body("{ me { __typename } }")
    # when
    unsigned = await _post(client, body, key)
    # then
    assert (unsigned.status_code, unsigned.json()) == (200, PARTNER_ME)


# --- nothing else ------------------------------------------------------------------------------


def _forbidden(field: str) -> dict:
    return {
        "data": None,
        "errors": [
            {
                "message": f"A partner's API key may not use `{field}`",
                "locations": ANY,
                "path": [field],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        ("query($id: ID!) { node(id: $id) { id ... on Member { name } } }", "member", "node"),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", "members", "nodes"),
        ("query($id: ID!) { member(id: $id) { name } }", "member", "member"),
        ("{ members { edges { node { name } } } }", None, "members"),
        ("{ partners { edges { node { name } } } }", None, "partners"),
        ("query($id: ID!) { partner(id: $id) { name } }", "partner", "partner"),
        ("{ events { edges { node { title } } } }", None, "events"),
        ("{ tiers { totalCount } }", None, "tiers"),
        ("{ me { __typename } ... on Query { members { totalCount } } }", None, "members"),
        ("fragment F on Query { staffMembers: members { totalCount } } { ...F }", None, "members"),
        (
            'mutation($id: ID!) { memberUpdate(input: {memberId: $id, name: "Mallory"}) { errors { code } } }',
            "member",
            "memberUpdate",
        ),
        (
            'mutation($id: ID!) { partnerApiKeyCreate(input: {partnerId: $id, label: "mine"}) { key } }',
            "partner",
            "partnerApiKeyCreate",
        ),
    ],
)
async def test_a_partner_may_call_nothing_but_me(client, document, variables, field):
    # given
    partner = await make_partner()
    _, key = await make_api_key(partner)
    member = await make_member(name="Mia Member")
    await make_staff(models.StaffRole.ADMINISTRATOR)
    values = {
        None: {},
        "member": {"id": gid("Member", member.id)},
        "members": {"ids": [gid("Member", member.id)]},
        "partner": {"id": gid("Partner", partner.id)},
    }[variables]
    # when
    result = await partner_gql(client, document, values, key=key)
    # then
    expected = _forbidden(field)
    if "staffMembers" in document:
        expected["errors"][0]["path"] = ["staffMembers"]
    assert result == expected
    assert (await models.Member.get(id=member.id)).name == "Mia Member"
    assert await models.PartnerApiKey.filter(partner_id=partner.id).count() == 1
