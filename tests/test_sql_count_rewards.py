"""N+1 pinned away for the catalog: a page of 50 rewards, of the club and of partners, each with its
tier restriction and eligibility, costs the statements of a page of 1; so do 20 partner rewards asked
by id (`nodes`, `_entities`), pushed ones and ones pulled from a real reference partner, of any mix
of partners."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from partners.catalogs import WINE
from tests.factories import gid, gql, make_member, make_partner, make_pushed_item, make_reward, make_tiers, member_token
from tests.partners.reference import SECRET, PartnerProcess, partner_server

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


# --- partner rewards by id ---------------------------------------------------------------------------

BY_ID = 20
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Reward { id title partnerName eligibleForMe } } }"
ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Reward { id title partnerName eligibleForMe } }
}"""


@pytest.fixture(scope="module")
def wine(tmp_path_factory) -> Iterator[PartnerProcess]:
    with partner_server(tmp_path_factory.mktemp("wine") / "wine.sqlite3", catalog="wine") as running:
        yield running


async def twenty_partner_rewards(wine: PartnerProcess) -> tuple[models.Member, list[tuple[str, str]]]:
    """(global id, title) of 20 partner rewards of four partners: 5 pulled from the reference wine
    merchant, 5 each of two push-only partners, 5 of a partner with an endpoint that pushed just now
    (served from the push, so its unreachable endpoint is never called)."""
    tiers = await make_tiers()
    rewards: list[tuple[str, str]] = []
    puller = await make_partner("Cellier Marceau", base_url=wine.url, signing_secret=SECRET)
    rewards += [(gid("Reward", f"partner:{puller.id}:{item.id}"), item.title) for item in WINE]
    pushers = [
        await make_partner("Fleurs du Lac"),
        await make_partner("Librairie Payot"),
        await make_partner("Thermes Aurelia", base_url="http://127.0.0.1:9"),
    ]
    a_moment_ago = datetime.now(timezone.utc) - timedelta(seconds=5)
    for partner in pushers:
        for n in range(5):
            item = await make_pushed_item(partner, f"item-{n}", 100 + n, pushed_at=a_moment_ago)
            rewards.append((gid("Reward", f"partner:{partner.id}:{item.item_id}"), item.title))
    assert len(rewards) == BY_ID
    return await make_member(tier=tiers["Gold"]), rewards


async def test_twenty_partner_nodes_cost_as_much_as_one(client, sql, wine):
    # given
    member, rewards = await twenty_partner_rewards(wine)
    ids = [reward_id for reward_id, _ in rewards]
    # when
    sql.statements.clear()
    one = await gql(client, NODES, {"ids": ids[:1]}, token=member_token(member))
    for_one = list(sql.statements)
    sql.statements.clear()
    twenty = await gql(client, NODES, {"ids": ids}, token=member_token(member))
    # then: tiers, the member, the partners, their pushed items
    assert len(sql.statements) == len(for_one) == 4, "\n".join(sql.statements)
    assert one == {"data": {"nodes": [twenty["data"]["nodes"][0]]}}
    assert [(node["id"], node["title"]) for node in twenty["data"]["nodes"]] == rewards
    assert {node["partnerName"] for node in twenty["data"]["nodes"]} == {
        "Cellier Marceau", "Fleurs du Lac", "Librairie Payot", "Thermes Aurelia"
    }


async def test_twenty_partner_entities_cost_as_much_as_one(client, sql, wine):
    # given
    member, rewards = await twenty_partner_rewards(wine)
    representations = [{"__typename": "Reward", "id": reward_id} for reward_id, _ in rewards]
    # when
    sql.statements.clear()
    one = await gql(client, ENTITIES, {"representations": representations[:1]}, token=member_token(member))
    for_one = list(sql.statements)
    sql.statements.clear()
    twenty = await gql(client, ENTITIES, {"representations": representations}, token=member_token(member))
    # then
    assert len(sql.statements) == len(for_one) == 4, "\n".join(sql.statements)
    assert one == {"data": {"_entities": [twenty["data"]["_entities"][0]]}}
    assert [(entity["id"], entity["title"]) for entity in twenty["data"]["_entities"]] == rewards


async def test_club_and_partner_nodes_together_cost_one_statement_more(client, sql, wine):
    # given: the 20 partner rewards and 20 of the club's own
    member, rewards = await twenty_partner_rewards(wine)
    club = [await make_reward(f"Club {n:02d}", 100 + n) for n in range(BY_ID)]
    ids = [gid("Reward", f"club:{reward.id}") for reward in club] + [reward_id for reward_id, _ in rewards]
    # when
    sql.statements.clear()
    forty = await gql(client, NODES, {"ids": ids}, token=member_token(member))
    # then: the club's rewards in one more query
    assert len(sql.statements) == 5, "\n".join(sql.statements)
    assert [node["title"] for node in forty["data"]["nodes"]] == [reward.title for reward in club] + [
        title for _, title in rewards
    ]
