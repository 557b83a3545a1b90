"""partnerApiKeyRevoke: a revoked key is refused from the next request on; revocation happens once."""

from __future__ import annotations

from domain import models
from tests.factories import gid, gql, make_api_key, make_partner, make_staff, staff_token

REVOKE = """
mutation($input: PartnerApiKeyRevokeInput!) {
  partnerApiKeyRevoke(input: $input) {
    apiKey { id label revokedAt }
    errors { field code message }
  }
}
"""


async def test_a_revoked_key_no_longer_signs_in(client):
    # given
    partner = await make_partner()
    api_key, key = await make_api_key(partner, label="old POS")
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    # when
    result = await gql(client, REVOKE, {"input": {"apiKeyId": gid("PartnerApiKey", api_key.id)}}, token=token)
    # then
    row = await models.PartnerApiKey.get(id=api_key.id)
    assert row.revoked_at is not None
    assert result == {
        "data": {
            "partnerApiKeyRevoke": {
                "apiKey": {
                    "id": gid("PartnerApiKey", api_key.id),
                    "label": "old POS",
                    "revokedAt": row.revoked_at.isoformat(),
                },
                "errors": [],
            }
        }
    }
    response = await client.post("/graphql", json={"query": "{ me { __typename } }"}, headers={"X-Api-Key": key})
    assert response.status_code == 401


async def test_revoking_twice_or_an_unknown_key_is_refused(client):
    # given
    partner = await make_partner()
    api_key, _ = await make_api_key(partner)
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    await gql(client, REVOKE, {"input": {"apiKeyId": gid("PartnerApiKey", api_key.id)}}, token=token)
    revoked_at = (await models.PartnerApiKey.get(id=api_key.id)).revoked_at
    # when
    again = await gql(client, REVOKE, {"input": {"apiKeyId": gid("PartnerApiKey", api_key.id)}}, token=token)
    unknown = await gql(client, REVOKE, {"input": {"apiKeyId": gid("PartnerApiKey", api_key.id + 1)}}, token=token)
    # then
    assert again == {
        "data": {
            "partnerApiKeyRevoke": {
                "apiKey": None,
                "errors": [{"field": "apiKeyId", "code": "ALREADY_REVOKED", "message": "This key is revoked already"}],
            }
        }
    }
    assert unknown["data"]["partnerApiKeyRevoke"]["errors"] == [
        {"field": "apiKeyId", "code": "NOT_FOUND", "message": "API key not found"}
    ]
    assert (await models.PartnerApiKey.get(id=api_key.id)).revoked_at == revoked_at
