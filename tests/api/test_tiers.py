"""The tier ladder: `tiers`, `tier(id:)` and `node` on Tier and Benefit, open to anyone."""

from decimal import Decimal

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_tiers, member_token

LADDER = """
{
  tiers {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    edges { node { name rank benefits { code quota quotaPeriod value } } }
  }
}
"""

TIER_PAGE = """
query($first: Int!, $after: String) {
  tiers(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { name } } }
}
"""


async def test_tiers_come_lowest_rank_first_with_their_benefits(client):
    # given
    gold = await models.Tier.create(name="Gold", rank=2, description="Gold tier")
    await models.Tier.create(name="Silver", rank=1)
    await models.Benefit.create(tier=gold, code="points_multiplier", name="Points multiplier", value=Decimal("1.25"))
    await models.Benefit.create(
        tier=gold, code="guest_pass", name="Guest pass", quota=4, quota_period=models.QuotaPeriod.YEAR
    )
    # when
    result = await gql(client, LADDER)
    # then
    assert result == {
        "data": {
            "tiers": {
                "totalCount": 2,
                "pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
                "edges": [
                    {"node": {"name": "Silver", "rank": 1, "benefits": []}},
                    {
                        "node": {
                            "name": "Gold",
                            "rank": 2,
                            "benefits": [
                                {"code": "points_multiplier", "quota": None, "quotaPeriod": None, "value": "1.25"},
                                {"code": "guest_pass", "quota": 4, "quotaPeriod": "YEAR", "value": None},
                            ],
                        }
                    },
                ],
            }
        }
    }


async def test_tiers_page_by_rank(client):
    # given
    await make_tiers()
    # when
    first = await gql(client, TIER_PAGE, {"first": 3})
    rest = await gql(client, TIER_PAGE, {"first": 3, "after": first["data"]["tiers"]["pageInfo"]["endCursor"]})
    # then
    assert [edge["node"]["name"] for edge in first["data"]["tiers"]["edges"]] == ["Silver", "Gold", "Platinum"]
    assert [edge["node"]["name"] for edge in rest["data"]["tiers"]["edges"]] == ["Diamond"]
    assert (first["data"]["tiers"]["pageInfo"]["hasNextPage"], rest["data"]["tiers"]["pageInfo"]["hasNextPage"]) == (
        True,
        False,
    )


async def test_one_tier_by_id(client):
    # given
    gold = (await make_tiers())["Gold"]
    # when
    result = await gql(
        client, "query($id: ID!) { tier(id: $id) { id name rank description } }", {"id": gid("Tier", gold.id)}
    )
    # then
    assert result == {
        "data": {"tier": {"id": gid("Tier", gold.id), "name": "Gold", "rank": 2, "description": "Gold tier"}}
    }


@pytest.mark.parametrize("case", ["deleted tier", "member id"])
async def test_tier_is_null_for_an_unknown_id(client, case):
    # given
    member = await make_member()
    gone = await models.Tier.create(name="Obsidian", rank=9)
    await gone.delete()
    tier_id = gid("Tier", gone.id) if case == "deleted tier" else gid("Member", member.id)
    # when
    result = await gql(client, "query($id: ID!) { tier(id: $id) { name } }", {"id": tier_id})
    # then
    assert result == {"data": {"tier": None}}


@pytest.mark.parametrize("signed_in", [False, True])
async def test_node_finds_tiers_and_benefits_for_anyone(client, signed_in):
    # given
    gold = (await make_tiers())["Gold"]
    guest_pass = await models.Benefit.get(tier_id=gold.id, code="guest_pass")
    token = member_token(await make_member()) if signed_in else None
    query = """
    query($tier: ID!, $benefit: ID!) {
      tier: node(id: $tier) { id ... on Tier { name } }
      benefit: node(id: $benefit) { id ... on Benefit { code quota quotaPeriod } }
    }
    """
    # when
    result = await gql(
        client, query, {"tier": gid("Tier", gold.id), "benefit": gid("Benefit", guest_pass.id)}, token=token
    )
    # then
    assert result == {
        "data": {
            "tier": {"id": gid("Tier", gold.id), "name": "Gold"},
            "benefit": {"id": gid("Benefit", guest_pass.id), "code": "guest_pass", "quota": 4, "quotaPeriod": "YEAR"},
        }
    }
