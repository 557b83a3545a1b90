"""partnerApiKeyCreate: a key shown once, stored hashed; two live keys at most, for rotation."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from domain import models
from tests.factories import gid, gql, make_api_key, make_partner, make_staff, partner_gql, staff_token

CREATE_KEY = """
mutation($input: PartnerApiKeyCreateInput!) {
  partnerApiKeyCreate(input: $input) {
    apiKey { id prefix label lastUsedAt revokedAt partner { name } }
    key
    errors { field code message }
  }
}
"""


async def test_the_key_is_shown_once_and_kept_as_a_hash_and_it_signs_in(client):
    # given
    partner = await make_partner()
    manager = await make_staff(models.StaffRole.PARTNER_MANAGER)
    # when
    result = await gql(
        client, CREATE_KEY, {"input": {"partnerId": gid("Partner", partner.id), "label": " POS 2026 "}}, token=staff_token(manager)
    )
    # then
    row = await models.PartnerApiKey.get(partner_id=partner.id)
    key = result["data"]["partnerApiKeyCreate"]["key"]
    assert result == {
        "data": {
            "partnerApiKeyCreate": {
                "apiKey": {
                    "id": gid("PartnerApiKey", row.id),
                    "prefix": row.prefix,
                    "label": "POS 2026",
                    "lastUsedAt": None,
                    "revokedAt": None,
                    "partner": {"name": "Maison Laurent"},
                },
                "key": key,
                "errors": [],
            }
        }
    }
    prefix, _, secret = key.partition(".")
    assert prefix == row.prefix and len(prefix) == 13 and prefix.startswith("pk_")
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in row.secret_hash
    assert row.created_by_id == manager.id
    assert await partner_gql(client, "{ me { ... on Partner { name } } }", key=key) == {
        "data": {"me": {"name": "Maison Laurent"}}
    }


async def test_a_third_live_key_is_refused_until_one_is_revoked(client):
    # given
    partner = await make_partner()
    first, _ = await make_api_key(partner, label="old")
    await make_api_key(partner, label="new")
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    variables = {"input": {"partnerId": gid("Partner", partner.id), "label": "third"}}
    # when
    refused = await gql(client, CREATE_KEY, variables, token=token)
    await models.PartnerApiKey.filter(id=first.id).update(revoked_at=datetime.now(timezone.utc))
    allowed = await gql(client, CREATE_KEY, variables, token=token)
    # then
    assert refused == {
        "data": {
            "partnerApiKeyCreate": {
                "apiKey": None,
                "key": None,
                "errors": [
                    {
                        "field": "partnerId",
                        "code": "TOO_MANY_KEYS",
                        "message": "This partner has 2 live keys already: revoke one first",
                    }
                ],
            }
        }
    }
    assert allowed["data"]["partnerApiKeyCreate"]["errors"] == []
    assert await models.PartnerApiKey.filter(partner_id=partner.id).order_by("id").values_list("label", flat=True) == [
        "old",
        "new",
        "third",
    ]


async def test_a_blank_label_or_an_unknown_partner_is_refused(client):
    # given
    partner = await make_partner()
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    # when
    blank = await gql(client, CREATE_KEY, {"input": {"partnerId": gid("Partner", partner.id), "label": " "}}, token=token)
    unknown = await gql(
        client, CREATE_KEY, {"input": {"partnerId": gid("Partner", partner.id + 1), "label": "POS"}}, token=token
    )
    # then
    assert blank["data"]["partnerApiKeyCreate"]["errors"] == [
        {"field": "label", "code": "REQUIRED", "message": "This value is required"}
    ]
    assert unknown["data"]["partnerApiKeyCreate"]["errors"] == [
        {"field": "partnerId", "code": "NOT_FOUND", "message": "Partner not found"}
    ]
    assert await models.PartnerApiKey.all().count() == 0
