"""The rewards catalog through the API: the club's own rewards merged with partners' items.

Partners here are push-only (their catalog is in the database), so no partner process is needed;
tests/partners/test_catalog_federation.py covers pulled catalogs, deadlines and the circuit breaker.
"""

from __future__ import annotations

import pytest

from domain import models
from tests.factories import (
    gid,
    gql,
    make_member,
    make_partner,
    make_pushed_item,
    make_reward,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

CATALOG = """
query($first: Int, $after: String, $filter: RewardFilter) {
  rewards(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id title pointsPrice } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    totalCount
  }
}
"""
TITLES = """
query($filter: RewardFilter) { rewards(first: 100, filter: $filter) { edges { node { title eligibleForMe } } } }
"""


def reward_id(key: str) -> str:
    return gid("Reward", key)


async def titles(client, filter: dict | None = None, *, token: str | None = None) -> list[str]:
    result = await gql(client, TITLES, {"filter": filter}, token=token)
    assert "errors" not in result, result
    return [edge["node"]["title"] for edge in result["data"]["rewards"]["edges"]]


async def test_a_reward_shows_every_field_of_the_club_and_of_a_partner(client):
    # given
    tiers = await make_tiers()
    scarf = await make_reward(
        "Club scarf", 800, description="Wool, club colours", stock=12, tier_id=tiers["Gold"].id,
        category="merchandise", image_url="https://img.clubgraph.example/scarf.jpg", validity_days=30,
        delivery=models.RewardDelivery.FULFILMENT,
    )
    cellier = await make_partner("Cellier Marceau")
    await make_pushed_item(
        cellier, "wine-gift-card-50", 1_000, title="Gift card", description="50 in store", stock=None,
        tier_restriction=None, category="gift card", image_url=None, validity_days=365,
    )
    fields = """id title description pointsPrice stock tierRestriction category imageUrl validityDays delivery
                partnerName isClubReward eligibleForMe"""
    # when
    result = await gql(client, f"{{ rewards {{ edges {{ node {{ {fields} }} }} }} }}")
    # then
    assert result == {"data": {"rewards": {"edges": [
        {"node": {
            "id": reward_id(f"club:{scarf.id}"), "title": "Club scarf", "description": "Wool, club colours",
            "pointsPrice": 800, "stock": 12, "tierRestriction": "Gold", "category": "merchandise",
            "imageUrl": "https://img.clubgraph.example/scarf.jpg", "validityDays": 30, "delivery": "FULFILMENT",
            "partnerName": None, "isClubReward": True, "eligibleForMe": None,
        }},
        {"node": {
            "id": reward_id(f"partner:{cellier.id}:wine-gift-card-50"), "title": "Gift card",
            "description": "50 in store", "pointsPrice": 1000, "stock": None, "tierRestriction": None,
            "category": "gift card", "imageUrl": None, "validityDays": 365, "delivery": "VOUCHER",
            "partnerName": "Cellier Marceau", "isClubReward": False, "eligibleForMe": None,
        }},
    ]}}}


async def test_inactive_rewards_and_suspended_partners_are_left_out(client):
    # given
    await make_reward("Shown", 100)
    await make_reward("Withdrawn", 100, active=False)
    await make_pushed_item(await make_partner("Active partner"), "shown", 200, title="Partner item")
    suspended = await make_partner("Suspended partner", status=models.PartnerStatus.SUSPENDED)
    await make_pushed_item(suspended, "hidden", 300, title="Hidden partner item")
    # when / then
    assert await titles(client) == ["Shown", "Partner item"]


async def test_pages_follow_price_then_key_across_club_and_partner_items(client):
    # given: ties at 500 points: the club's own first (by id), then partners' (by partner, then item id)
    first_partner = await make_partner("First partner")
    second_partner = await make_partner("Second partner")
    await make_pushed_item(second_partner, "b-item", 500, title="Second partner, 500")
    await make_pushed_item(first_partner, "z-item", 500, title="First partner z, 500")
    await make_pushed_item(first_partner, "a-item", 500, title="First partner a, 500")
    await make_pushed_item(first_partner, "cheap", 50, title="First partner, 50")
    await make_reward("Club, 500, older", 500)
    await make_reward("Club, 900", 900)
    await make_reward("Club, 500, newer", 500)
    await make_reward("Club, 10", 10)
    expected = [
        "Club, 10", "First partner, 50", "Club, 500, older", "Club, 500, newer", "First partner a, 500",
        "First partner z, 500", "Second partner, 500", "Club, 900",
    ]
    # when: walked three at a time
    seen, pages, after = [], [], None
    while True:
        result = await gql(client, CATALOG, {"first": 3, "after": after})
        connection = result["data"]["rewards"]
        seen += [edge["node"]["title"] for edge in connection["edges"]]
        pages.append((len(connection["edges"]), connection["pageInfo"]["hasNextPage"], connection["pageInfo"]["hasPreviousPage"]))
        assert connection["totalCount"] == 8
        assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    # then
    assert seen == expected
    assert pages == [(3, True, False), (3, True, True), (2, False, True)]


async def test_a_page_boundary_between_equal_prices_loses_and_repeats_nothing(client):
    # given
    partner = await make_partner("Partner")
    for n in range(5):
        await make_reward(f"Club {n}", 100)
        await make_pushed_item(partner, f"item-{n}", 100, title=f"Partner {n}")
    # when
    seen, after = [], None
    for _ in range(10):
        connection = (await gql(client, CATALOG, {"first": 1, "after": after}))["data"]["rewards"]
        seen += [edge["node"]["title"] for edge in connection["edges"]]
        after = connection["pageInfo"]["endCursor"]
    # then
    assert seen == [f"Club {n}" for n in range(5)] + [f"Partner {n}" for n in range(5)]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"after": "not-a-cursor"}, "The cursor in `after` is not valid; use an `endCursor` from this list"),
        ({"after": "Y3Vyc29yOjEyMw=="}, "The cursor in `after` is not valid; use an `endCursor` from this list"),
        ({"first": 101}, "`first` must be between 0 and 100"),
        ({"first": -1}, "`first` must be between 0 and 100"),
        ({"filter": {"maxPoints": -1}}, "`maxPoints` must be 0 or more"),
        ({"filter": {"clubOnly": True, "partnerId": gid("Partner", 1)}}, "Give either `partnerId` or `clubOnly`, not both"),
    ],
)
async def test_bad_arguments_are_refused(client, variables, message):
    # when
    result = await gql(client, CATALOG, variables)
    # then
    assert result == refused("rewards", "BAD_USER_INPUT", message)


async def test_filters_by_category_in_any_case_max_points_partner_and_club_only(client):
    # given
    cellier = await make_partner("Cellier Marceau")
    thermes = await make_partner("Thermes Aurelia")
    await make_reward("Club wine glass", 300, category="Wine")
    await make_reward("Club scarf", 800, category="merchandise")
    await make_pushed_item(cellier, "chablis", 2_600, title="Chablis", category="wine")
    await make_pushed_item(cellier, "tasting", 1_800, title="Tasting", category="experience")
    await make_pushed_item(thermes, "day-pass", 1_200, title="Day pass", category="wellness")
    # when / then
    assert await titles(client, {"category": "WINE"}) == ["Club wine glass", "Chablis"]
    assert await titles(client, {"category": "win"}) == []
    assert await titles(client, {"maxPoints": 1_200}) == ["Club wine glass", "Club scarf", "Day pass"]
    assert await titles(client, {"maxPoints": 0}) == []
    assert await titles(client, {"partnerId": gid("Partner", cellier.id)}) == ["Tasting", "Chablis"]
    assert await titles(client, {"partnerId": gid("Partner", cellier.id), "maxPoints": 2_000}) == ["Tasting"]
    assert await titles(client, {"partnerId": gid("Member", cellier.id)}) == []
    assert await titles(client, {"clubOnly": True}) == ["Club wine glass", "Club scarf"]
    assert await titles(client, {"clubOnly": True, "category": "Merchandise"}) == ["Club scarf"]


async def _eligibility_club() -> tuple[dict[str, models.Tier], models.Member, models.Member]:
    tiers = await make_tiers()
    partner = await make_partner("Cellier Marceau")
    await make_reward("Club, any tier", 100)
    await make_reward("Club, Gold", 200, tier_id=tiers["Gold"].id)
    await make_reward("Club, Platinum", 300, tier_id=tiers["Platinum"].id)
    await make_reward("Club, sold out", 400, stock=0)
    await make_pushed_item(partner, "any", 500, title="Partner, any tier")
    await make_pushed_item(partner, "gold", 600, title="Partner, gold in lower case", tier_restriction="gold")
    await make_pushed_item(partner, "diamond", 700, title="Partner, Diamond", tier_restriction="Diamond")
    await make_pushed_item(partner, "unknown", 800, title="Partner, unknown tier", tier_restriction="Emerald")
    await make_pushed_item(partner, "sold-out", 900, title="Partner, sold out", stock=0)
    silver = await make_member(tier=tiers["Silver"])
    gold = await make_member(tier=tiers["Gold"])
    return tiers, silver, gold


async def test_eligible_for_me_goes_by_the_members_tier_rank_and_the_stock(client):
    # given
    _, silver, gold = await _eligibility_club()
    # when
    for_gold = await gql(client, TITLES, {"filter": {"eligibleForMe": True}}, token=member_token(gold))
    for_silver = await gql(client, TITLES, {"filter": {"eligibleForMe": True}}, token=member_token(silver))
    everything_for_gold = await gql(client, TITLES, token=member_token(gold))
    # then
    assert for_gold == {"data": {"rewards": {"edges": [
        {"node": {"title": title, "eligibleForMe": True}}
        for title in ["Club, any tier", "Club, Gold", "Partner, any tier", "Partner, gold in lower case"]
    ]}}}
    assert [edge["node"]["title"] for edge in for_silver["data"]["rewards"]["edges"]] == [
        "Club, any tier", "Partner, any tier"
    ]
    assert {edge["node"]["title"]: edge["node"]["eligibleForMe"] for edge in everything_for_gold["data"]["rewards"]["edges"]} == {
        "Club, any tier": True, "Club, Gold": True, "Club, Platinum": False, "Club, sold out": False,
        "Partner, any tier": True, "Partner, gold in lower case": True, "Partner, Diamond": False,
        "Partner, unknown tier": False, "Partner, sold out": False,
    }


async def test_eligible_for_me_is_for_members(client):
    # given
    await _eligibility_club()
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    anonymous = await gql(client, TITLES, {"filter": {"eligibleForMe": True}})
    staff = await gql(client, TITLES, {"filter": {"eligibleForMe": True}}, token=staff_token(manager))
    staff_unfiltered = await gql(client, TITLES, token=staff_token(manager))
    # then
    assert anonymous == refused("rewards", "UNAUTHENTICATED", "Sign in to see the rewards you may redeem")
    assert staff == refused("rewards", "BAD_USER_INPUT", "`eligibleForMe` is for members: staff see every reward")
    assert {edge["node"]["eligibleForMe"] for edge in staff_unfiltered["data"]["rewards"]["edges"]} == {None}


REWARD = "query($id: ID!) { reward(id: $id) { title eligibleForMe } node(id: $id) { ... on Reward { title } } }"


async def test_a_reward_by_id_and_as_a_node(client):
    # given
    tiers, silver, _ = await _eligibility_club()
    gold_reward = await models.Reward.get(title="Club, Gold")
    withdrawn = await make_reward("Withdrawn", 100, active=False)
    partner = await models.Partner.get(name="Cellier Marceau")
    token = member_token(silver)
    # when / then
    assert await gql(client, REWARD, {"id": reward_id(f"club:{gold_reward.id}")}, token=token) == {
        "data": {"reward": {"title": "Club, Gold", "eligibleForMe": False}, "node": {"title": "Club, Gold"}}
    }
    assert await gql(client, REWARD, {"id": reward_id(f"partner:{partner.id}:any")}, token=token) == {
        "data": {"reward": {"title": "Partner, any tier", "eligibleForMe": True}, "node": {"title": "Partner, any tier"}}
    }
    for missing in (f"club:{withdrawn.id}", "club:999999", f"partner:{partner.id}:nothing", "partner:99999:any",
                    "garbage", "club:99999999999999999999"):
        assert await gql(client, REWARD, {"id": reward_id(missing)}) == {"data": {"reward": None, "node": None}}
    assert await gql(client, "query($id: ID!) { reward(id: $id) { title } }", {"id": gid("Member", silver.id)}) == {
        "data": {"reward": None}
    }


async def test_nodes_of_several_rewards_come_in_order(client):
    # given
    await _eligibility_club()
    partner = await models.Partner.get(name="Cellier Marceau")
    club = await models.Reward.get(title="Club, any tier")
    ids = [reward_id(f"partner:{partner.id}:gold"), reward_id(f"club:{club.id}"), reward_id("club:0")]
    # when
    result = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Reward { title } } }", {"ids": ids})
    # then
    assert result == {"data": {"nodes": [{"title": "Partner, gold in lower case"}, {"title": "Club, any tier"}, None]}}


async def test_a_suspended_partners_reward_is_null(client):
    # given
    partner = await make_partner("Cellier Marceau", status=models.PartnerStatus.SUSPENDED)
    await make_pushed_item(partner, "chablis", 2_600)
    # when
    result = await gql(client, REWARD, {"id": reward_id(f"partner:{partner.id}:chablis")})
    # then
    assert result == {"data": {"reward": None, "node": None}}
