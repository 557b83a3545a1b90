"""rewardCreate and rewardUpdate: the club's own rewards, for reward managers."""

from __future__ import annotations

import pytest

from domain import models
from tests.factories import gid, gql, make_partner, make_pushed_item, make_reward, make_staff, make_tiers, staff_token

FIELDS = """id title description pointsPrice stock tierRestriction category imageUrl validityDays delivery
            partnerName isClubReward eligibleForMe"""
CREATE = f"""mutation($input: RewardCreateInput!) {{
  rewardCreate(input: $input) {{ reward {{ {FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""mutation($input: RewardUpdateInput!) {{
  rewardUpdate(input: $input) {{ reward {{ {FIELDS} }} errors {{ field code message }} }}
}}"""


def valid(**changes) -> dict:
    return {"title": "Club scarf", "pointsPrice": 800, "category": "merchandise", **changes}


async def manager_token() -> str:
    return staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))


async def test_a_reward_manager_creates_a_reward_that_shows_in_the_catalog(client):
    # given
    tiers = await make_tiers()
    token = await manager_token()
    # when
    result = await gql(
        client,
        CREATE,
        {"input": valid(
            title="  Club scarf ", description="Wool", stock=20, tierId=gid("Tier", tiers["Gold"].id),
            imageUrl="https://img.clubgraph.example/scarf.jpg", validityDays=30, delivery="FULFILMENT",
        )},
        token=token,
    )
    # then
    row = await models.Reward.get()
    assert result == {"data": {"rewardCreate": {"reward": {
        "id": gid("Reward", f"club:{row.id}"), "title": "Club scarf", "description": "Wool", "pointsPrice": 800,
        "stock": 20, "tierRestriction": "Gold", "category": "merchandise",
        "imageUrl": "https://img.clubgraph.example/scarf.jpg", "validityDays": 30, "delivery": "FULFILMENT",
        "partnerName": None, "isClubReward": True, "eligibleForMe": None,
    }, "errors": []}}}
    catalog = await gql(client, "{ rewards { edges { node { title stock } } } }")
    assert catalog == {"data": {"rewards": {"edges": [{"node": {"title": "Club scarf", "stock": 20}}]}}}


async def test_defaults_make_an_unlimited_voucher_for_every_tier_valid_90_days(client):
    # when
    result = await gql(client, CREATE, {"input": valid()}, token=await manager_token())
    # then
    reward = result["data"]["rewardCreate"]["reward"]
    assert (reward["stock"], reward["tierRestriction"], reward["validityDays"], reward["delivery"], reward["imageUrl"]) == (
        None, None, 90, "VOUCHER", None
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": "  "}, ("title", "REQUIRED", "This value is required")),
        ({"title": "x" * 201}, ("title", "TOO_LONG", "At most 200 characters")),
        ({"category": ""}, ("category", "REQUIRED", "This value is required")),
        ({"description": "bad\x00"}, ("description", "INVALID", "Control characters are not allowed")),
        ({"pointsPrice": 0}, ("pointsPrice", "INVALID", "The price must be between 1 and 10,000,000 points")),
        ({"pointsPrice": -5}, ("pointsPrice", "INVALID", "The price must be between 1 and 10,000,000 points")),
        ({"stock": -1}, ("stock", "INVALID", "The stock must be between 0 and 1,000,000, or null for unlimited")),
        ({"validityDays": 0}, ("validityDays", "INVALID", "A voucher must be valid for 1 to 3,650 days")),
        ({"validityDays": 3651}, ("validityDays", "INVALID", "A voucher must be valid for 1 to 3,650 days")),
        ({"imageUrl": "http://img.example/a.jpg"}, ("imageUrl", "INVALID", "The image must be an https:// URL of at most 500 characters, or null")),
        ({"imageUrl": "javascript:alert(1)"}, ("imageUrl", "INVALID", "The image must be an https:// URL of at most 500 characters, or null")),
        ({"tierId": gid("Tier", 999)}, ("tierId", "NOT_FOUND", "Tier not found")),
        ({"tierId": gid("Member", 1)}, ("tierId", "NOT_FOUND", "Tier not found")),
    ],
)
async def test_bad_values_are_refused_naming_the_field(client, changes, error):
    # when
    result = await gql(client, CREATE, {"input": valid(**changes)}, token=await manager_token())
    # then
    field, code, message = error
    assert result == {"data": {"rewardCreate": {"reward": None, "errors": [{"field": field, "code": code, "message": message}]}}}
    assert await models.Reward.all().count() == 0


async def test_an_update_changes_only_what_is_given_and_clears_stock_and_tier(client):
    # given
    tiers = await make_tiers()
    reward = await make_reward("Club scarf", 800, stock=3, tier_id=tiers["Gold"].id, image_url="https://img.example/a.jpg")
    # when
    result = await gql(
        client,
        UPDATE,
        {"input": {"rewardId": gid("Reward", f"club:{reward.id}"), "pointsPrice": 900, "stock": None, "tierId": None,
                   "imageUrl": None}},
        token=await manager_token(),
    )
    # then
    assert result == {"data": {"rewardUpdate": {"reward": {
        "id": gid("Reward", f"club:{reward.id}"), "title": "Club scarf", "description": "Club scarf, from the club shop",
        "pointsPrice": 900, "stock": None, "tierRestriction": None, "category": "merchandise", "imageUrl": None,
        "validityDays": 90, "delivery": "VOUCHER", "partnerName": None, "isClubReward": True, "eligibleForMe": None,
    }, "errors": []}}}


async def test_a_deactivated_reward_leaves_the_catalog_and_comes_back_when_reactivated(client):
    # given
    reward = await make_reward("Club scarf", 800)
    token = await manager_token()
    reward_id = gid("Reward", f"club:{reward.id}")
    # when
    await gql(client, UPDATE, {"input": {"rewardId": reward_id, "active": False}}, token=token)
    hidden = await gql(client, "{ rewards { edges { node { title } } } }")
    await gql(client, UPDATE, {"input": {"rewardId": reward_id, "active": True}}, token=token)
    shown = await gql(client, "{ rewards { edges { node { title } } } }")
    # then
    assert hidden == {"data": {"rewards": {"edges": []}}}
    assert shown == {"data": {"rewards": {"edges": [{"node": {"title": "Club scarf"}}]}}}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": None}, ("title", "REQUIRED", "This value cannot be cleared")),
        ({"pointsPrice": None}, ("pointsPrice", "REQUIRED", "This value cannot be cleared")),
        ({"active": None}, ("active", "REQUIRED", "This value cannot be cleared")),
        ({"stock": -3}, ("stock", "INVALID", "The stock must be between 0 and 1,000,000, or null for unlimited")),
        ({"validityDays": 4000}, ("validityDays", "INVALID", "A voucher must be valid for 1 to 3,650 days")),
    ],
)
async def test_bad_updates_are_refused_and_change_nothing(client, changes, error):
    # given
    reward = await make_reward("Club scarf", 800, stock=3)
    # when
    result = await gql(
        client, UPDATE, {"input": {"rewardId": gid("Reward", f"club:{reward.id}"), **changes}}, token=await manager_token()
    )
    # then
    field, code, message = error
    assert result == {"data": {"rewardUpdate": {"reward": None, "errors": [{"field": field, "code": code, "message": message}]}}}
    row = await models.Reward.get(id=reward.id)
    assert (row.title, row.points_price, row.stock, row.validity_days, row.active) == ("Club scarf", 800, 3, 90, True)


async def test_only_the_clubs_own_rewards_can_be_updated(client):
    # given
    partner = await make_partner("Cellier Marceau")
    await make_pushed_item(partner, "chablis", 2_600)
    not_found = {"field": "rewardId", "code": "NOT_FOUND", "message": "Reward not found"}
    token = await manager_token()
    # when / then
    for reward_id in (gid("Reward", f"partner:{partner.id}:chablis"), gid("Reward", "club:12345"), gid("Event", 1),
                      gid("Reward", "club:x")):
        result = await gql(client, UPDATE, {"input": {"rewardId": reward_id, "title": "Renamed"}}, token=token)
        assert result == {"data": {"rewardUpdate": {"reward": None, "errors": [not_found]}}}
