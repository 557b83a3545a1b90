"""partners and partner: the registry for partner managers, paginated; keys show no secret."""

from __future__ import annotations

from domain import models
from tests.factories import gid, gql, make_api_key, make_partner, make_staff, staff_token

PARTNERS = """
query($first: Int!, $after: String) {
  partners(first: $first, after: $after) {
    totalCount
    edges { node { name pointValue currency } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
PARTNER = "query($id: ID!) { partner(id: $id) { name apiKeys { prefix label lastUsedAt revokedAt } } }"


async def test_partners_are_listed_page_by_page_in_order_of_registration(client):
    # given
    for name in ("Alpha", "Bravo", "Charlie"):
        await make_partner(name)
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    # when
    first = await gql(client, PARTNERS, {"first": 2}, token=token)
    cursor = first["data"]["partners"]["pageInfo"]["endCursor"]
    second = await gql(client, PARTNERS, {"first": 2, "after": cursor}, token=token)
    # then
    assert [edge["node"]["name"] for edge in first["data"]["partners"]["edges"]] == ["Alpha", "Bravo"]
    assert first["data"]["partners"]["edges"][0]["node"] == {"name": "Alpha", "pointValue": "0.0100", "currency": "CHF"}
    assert (first["data"]["partners"]["totalCount"], first["data"]["partners"]["pageInfo"]["hasNextPage"]) == (3, True)
    assert [edge["node"]["name"] for edge in second["data"]["partners"]["edges"]] == ["Charlie"]
    assert second["data"]["partners"]["pageInfo"]["hasNextPage"] is False


async def test_partner_shows_its_keys_without_their_secrets(client):
    # given
    partner = await make_partner()
    api_key, _ = await make_api_key(partner, label="POS")
    token = staff_token(await make_staff(models.StaffRole.ADMINISTRATOR))
    # when
    result = await gql(client, PARTNER, {"id": gid("Partner", partner.id)}, token=token)
    # then
    assert result == {
        "data": {
            "partner": {
                "name": "Maison Laurent",
                "apiKeys": [{"prefix": api_key.prefix, "label": "POS", "lastUsedAt": None, "revokedAt": None}],
            }
        }
    }


async def test_the_api_key_type_has_no_field_for_the_secret(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.ADMINISTRATOR))
    # when
    result = await gql(client, '{ __type(name: "PartnerApiKey") { fields { name } } }', token=token)
    # then
    assert sorted(field["name"] for field in result["data"]["__type"]["fields"]) == [
        "createdAt",
        "id",
        "label",
        "lastUsedAt",
        "partner",
        "prefix",
        "revokedAt",
    ]
