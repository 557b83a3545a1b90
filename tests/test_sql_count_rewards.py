"""N+1 pinned away for the catalog: a page of 50 rewards, of the club and of partners, each with its
tier restriction and eligibility, costs the statements of a page of 1."""

from __future__ import annotations

from domain import models
from tests.factories import gid, gql, make_member, make_partner, make_pushed_item, make_reward, make_tiers, member_token

PAGE = 50
CATALOG = """
query($first: Int!, $filter: RewardFilter) {
  rewards(first: $first, filter: $filter) {
    edges { node { id title pointsPrice stock tierRestriction partnerName isClubReward eligibleForMe } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def fifty_of_each() -> models.Member:
    """50 club rewards, every other one for Gold, every third sold out, and two push-only partners with 25 items each."""
    tiers = await make_tiers()
    for n in range(PAGE):
        await make_reward(f"Club {n:02d}", 100 + n, tier_id=tiers["Gold"].id if n % 2 else None, stock=n % 3)
    for partner_name in ("Cellier Marceau", "Thermes Aurelia"):
        partner = await make_partner(partner_name)
        for n in range(PAGE // 2):
            await make_pushed_item(partner, f"item-{n:02d}", 100 + 2 * n, tier_restriction="Platinum" if n % 2 else None)
    return await make_member(tier=tiers["Gold"])


async def costs(client, sql, variables: dict, token: str) -> tuple[int, dict]:
    sql.statements.clear()
    one = await gql(client, CATALOG, {"first": 1, **variables}, token=token)
    for_one = list(sql.statements)
    sql.statements.clear()
    many = await gql(client, CATALOG, {"first": PAGE, **variables}, token=token)
    assert len(sql.statements) == len(for_one), "\n".join(sql.statements)
    assert len(one["data"]["rewards"]["edges"]) == 1
    return len(for_one), many


async def test_a_page_of_fifty_costs_as_much_as_a_page_of_one(client, sql):
    # given
    member = await fifty_of_each()
    # when
    statements, many = await costs(client, sql, {}, member_token(member))
    # then: tiers, the member's tier, the club's page, the partners, their pushed items
    assert statements == 5
    nodes = [edge["node"] for edge in many["data"]["rewards"]["edges"]]
    assert len(nodes) == PAGE
    assert {node["isClubReward"] for node in nodes} == {True, False}
    assert [node["pointsPrice"] for node in nodes] == sorted(node["pointsPrice"] for node in nodes)


async def test_a_page_of_fifty_club_rewards_costs_as_much_as_a_page_of_one(client, sql):
    # given
    member = await fifty_of_each()
    # when
    statements, many = await costs(client, sql, {"filter": {"clubOnly": True, "eligibleForMe": True}}, member_token(member))
    # then
    assert statements == 3
    titles = [edge["node"]["title"] for edge in many["data"]["rewards"]["edges"]]
    assert titles == [f"Club {n:02d}" for n in range(PAGE) if n % 3]


async def test_a_page_of_nodes_costs_as_much_as_one_node(client, sql):
    # given
    member = await fifty_of_each()
    ids = [gid("Reward", f"club:{pk}") for pk in await models.Reward.all().order_by("id").values_list("id", flat=True)]
    document = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Reward { title tierRestriction eligibleForMe } } }"
    # when
    sql.statements.clear()
    await gql(client, document, {"ids": ids[:1]}, token=member_token(member))
    for_one = len(sql.statements)
    sql.statements.clear()
    many = await gql(client, document, {"ids": ids}, token=member_token(member))
    # then
    assert len(sql.statements) == for_one, "\n".join(sql.statements)
    assert len([node for node in many["data"]["nodes"] if node]) == PAGE
