"""partnerCatalogPush: a partner replaces its pushed catalog, all of it or nothing."""

from datetime import datetime, timezone

import pytest

from domain import catalog, ledger, models
from tests.factories import (
    gql,
    make_api_key,
    make_earning,
    make_member,
    make_partner,
    make_staff,
    make_tiers,
    member_token,
    partner_gql,
    refused,
    reward_gid,
    staff_token,
)

PUSH = """
mutation($input: PartnerCatalogPushInput!) {
  partnerCatalogPush(input: $input) {
    summary { itemCount added removed pushedAt }
    errors { field code message }
  }
}
"""


def item(item_id: str, **fields) -> dict:
    values = {
        "id": item_id,
        "title": f"Reward {item_id}",
        "pointsPrice": 500,
        "category": "wine",
        "validityDays": 60,
    }
    return {**values, **fields}


def push(*items: dict) -> dict:
    return {"input": {"items": list(items)}}


async def _partner_with_key(name: str = "Maison Laurent") -> tuple[models.Partner, str]:
    partner = await make_partner(name)
    _, key = await make_api_key(partner)
    return partner, key


async def _catalog(partner: models.Partner) -> list[tuple]:
    rows = await models.PartnerCatalogItem.filter(partner_id=partner.id).order_by("item_id")
    return [(row.item_id, row.title, row.points_price, row.stock, row.tier_restriction, str(row.delivery)) for row in rows]


async def test_a_push_stores_the_items_as_the_catalog_reads_them(client):
    # given
    await make_tiers()
    partner, key = await _partner_with_key()
    barolo = item(
        "barolo",
        title="Barolo vertical",
        description="Five vintages",
        pointsPrice=9500,
        stock=6,
        tierRestriction="Gold",
        imageUrl="https://img.example/barolo.jpg",
        validityDays=30,
        delivery="fulfilment",
    )
    # when
    result = await partner_gql(client, PUSH, push(barolo, item("tasting")), key=key)
    # then
    payload = result["data"]["partnerCatalogPush"]
    pushed_at = payload["summary"]["pushedAt"]
    assert payload == {"summary": {"itemCount": 2, "added": 2, "removed": 0, "pushedAt": pushed_at}, "errors": []}
    rows = await models.PartnerCatalogItem.filter(partner_id=partner.id).order_by("item_id")
    assert [catalog.from_pushed(row) for row in rows] == [
        catalog.CatalogItem(
            key=f"partner:{partner.id}:barolo",
            partner_id=partner.id,
            item_id="barolo",
            title="Barolo vertical",
            description="Five vintages",
            points_price=9500,
            stock=6,
            tier_restriction="Gold",
            category="wine",
            image_url="https://img.example/barolo.jpg",
            validity_days=30,
            delivery=models.RewardDelivery.FULFILMENT,
        ),
        catalog.CatalogItem(
            key=f"partner:{partner.id}:tasting",
            partner_id=partner.id,
            item_id="tasting",
            title="Reward tasting",
            description="",
            points_price=500,
            stock=None,
            tier_restriction=None,
            category="wine",
            image_url=None,
            validity_days=60,
            delivery=models.RewardDelivery.VOUCHER,
        ),
    ]
    assert {row.pushed_at for row in rows} == {datetime.fromisoformat(pushed_at)}


async def test_a_new_push_replaces_the_previous_one_and_leaves_other_partners_alone(client):
    # given
    partner, key = await _partner_with_key("Maison Laurent")
    other, other_key = await _partner_with_key("Spa Lumen")
    await partner_gql(client, PUSH, push(item("a"), item("b")), key=key)
    await partner_gql(client, PUSH, push(item("massage")), key=other_key)
    # when
    result = await partner_gql(client, PUSH, push(item("b", pointsPrice=700), item("c")), key=key)
    # then
    summary = result["data"]["partnerCatalogPush"]["summary"]
    assert (summary["itemCount"], summary["added"], summary["removed"]) == (2, 1, 1)
    assert await _catalog(partner) == [
        ("b", "Reward b", 700, None, None, "voucher"),
        ("c", "Reward c", 500, None, None, "voucher"),
    ]
    assert await _catalog(other) == [("massage", "Reward massage", 500, None, None, "voucher")]


async def test_an_empty_push_empties_the_catalog(client):
    # given
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(item("a")), key=key)
    # when
    result = await partner_gql(client, PUSH, push(), key=key)
    # then
    summary = result["data"]["partnerCatalogPush"]["summary"]
    assert (summary["itemCount"], summary["added"], summary["removed"]) == (0, 0, 1)
    assert await _catalog(partner) == []


async def test_every_problem_is_named_by_item_and_field_and_nothing_changes(client):
    # given
    await make_tiers()
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(item("kept")), key=key)
    items = [
        item("ok"),
        item("bad-price", pointsPrice=0),
        item("ok"),
        item("bad-title", title="  "),
        item("bad-tier", tierRestriction="Golden"),
        item("bad-delivery", delivery="drone"),
        item("x" * 101),
        item("bad-stock", stock=-1),
        item("bad-days", validityDays=0),
    ]
    # when
    result = await partner_gql(client, PUSH, push(*items), key=key)
    # then
    assert result == {
        "data": {
            "partnerCatalogPush": {
                "summary": None,
                "errors": [
                    {"field": "items.1.pointsPrice", "code": "INVALID", "message": "pointsPrice must be a whole number of at least 1"},
                    {"field": "items.2.id", "code": "DUPLICATE_ID", "message": "Item id 'ok' is already used by items.0"},
                    {"field": "items.3.title", "code": "INVALID", "message": "title must be a text of 1 to 200 characters"},
                    {
                        "field": "items.4.tierRestriction",
                        "code": "UNKNOWN_TIER",
                        "message": "No tier is named 'Golden'; the tiers are Diamond, Gold, Platinum, Silver",
                    },
                    {"field": "items.5.delivery", "code": "INVALID", "message": "delivery must be voucher or fulfilment"},
                    {"field": "items.6.id", "code": "INVALID", "message": "id must be a text of 1 to 100 characters"},
                    {"field": "items.7.stock", "code": "INVALID", "message": "stock must be a whole number of at least 0"},
                    {"field": "items.8.validityDays", "code": "INVALID", "message": "validityDays must be a whole number of at least 1"},
                ],
            }
        }
    }
    assert [row[0] for row in await _catalog(partner)] == ["kept"]


async def test_more_than_a_thousand_items_are_refused(client):
    # given
    partner, key = await _partner_with_key()
    # when
    result = await partner_gql(client, PUSH, push(*(item(f"i{n}") for n in range(1001))), key=key)
    # then
    assert result == {
        "data": {
            "partnerCatalogPush": {
                "summary": None,
                "errors": [{"field": "items", "code": "TOO_MANY", "message": "Push at most 1,000 items at once, not 1,001"}],
            }
        }
    }
    assert await _catalog(partner) == []


async def _statements_of_push(client, sql, key: str, items: list[dict]) -> int:
    sql.statements.clear()
    result = await partner_gql(client, PUSH, push(*items), key=key)
    assert result["data"]["partnerCatalogPush"]["errors"] == []
    return len(sql.statements)


async def test_a_thousand_items_cost_one_statement_more_than_one_item(client, sql):
    # given: a partner whose key was used already (its first use is recorded once)
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(), key=key)
    # when: one new item, then it again (kept), then 1,000 new ones, then the same 1,000 changed
    one_new = await _statements_of_push(client, sql, key, [item("one")])
    one_kept = await _statements_of_push(client, sql, key, [item("one", pointsPrice=600)])
    many_new = await _statements_of_push(client, sql, key, [item(f"i{n}") for n in range(1000)])
    many_kept = await _statements_of_push(client, sql, key, [item(f"i{n}", pointsPrice=600) for n in range(1000)])
    # then: 500 rows per INSERT or UPDATE; replacing "one" by 1,000 new items also deletes it
    assert (many_new, many_kept) == (one_new + 2, one_kept + 1)
    rows = await models.PartnerCatalogItem.filter(partner_id=partner.id)
    assert len(rows) == 1000 and {row.points_price for row in rows} == {600}


async def test_an_item_kept_from_the_previous_push_keeps_its_row(client):
    # given: a redemption in flight holds the row of "a" by its id
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(item("a", stock=5), item("b")), key=key)
    row = await models.PartnerCatalogItem.get(partner_id=partner.id, item_id="a")
    # when
    await partner_gql(client, PUSH, push(item("a", stock=3, title="New title"), item("c")), key=key)
    # then
    again = await models.PartnerCatalogItem.get(partner_id=partner.id, item_id="a")
    assert (again.id, again.stock, again.title) == (row.id, 3, "New title")


@pytest.mark.parametrize("role", [models.StaffRole.PARTNER_MANAGER, models.StaffRole.ADMINISTRATOR])
async def test_staff_do_not_push_a_partners_catalog(client, role):
    # given
    token = staff_token(await make_staff(role))
    # when
    result = await gql(client, PUSH, push(item("a")), token=token)
    # then
    assert result == refused("partnerCatalogPush", "FORBIDDEN")
    assert await models.PartnerCatalogItem.all().count() == 0


async def test_stock_as_of_takes_off_what_the_club_issued_since_the_partners_count(client):
    # given: 10 boxes pushed; the partner counts (still 10: it does not know), then a member redeems 3
    await make_tiers()
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(item("box", stock=10, pointsPrice=10)), key=key)
    counted = ledger.utcnow()
    member = await make_member()
    await make_earning(member, 1_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    redeemed = await gql(
        client,
        """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) { redemption { status } errors { code } } }""",
        {"input": {"rewardId": reward_gid(f"partner:{partner.id}:box"), "quantity": 3, "idempotencyKey": "k"}},
        token=member_token(member),
    )
    assert redeemed == {"data": {"rewardRedeem": {"redemption": {"status": "COMPLETED"}, "errors": []}}}
    # when: the partner pushes its count with the moment it counted
    result = await partner_gql(
        client, PUSH, {"input": {"items": [item("box", stock=10, pointsPrice=10)], "stockAsOf": counted.isoformat()}}, key=key
    )
    # then
    assert result["data"]["partnerCatalogPush"]["errors"] == []
    assert await _catalog(partner) == [("box", "Reward box", 10, 7, None, "voucher")]


async def test_a_stock_as_of_in_the_future_is_refused(client):
    # given
    partner, key = await _partner_with_key()
    await partner_gql(client, PUSH, push(item("box", stock=10)), key=key)
    # when
    result = await partner_gql(
        client, PUSH, {"input": {"items": [item("box", stock=3)], "stockAsOf": "2999-01-01T00:00:00Z"}}, key=key
    )
    # then
    [error] = result["data"]["partnerCatalogPush"]["errors"]
    assert (result["data"]["partnerCatalogPush"]["summary"], error["field"], error["code"]) == (None, "stockAsOf", "INVALID")
    assert error["message"].startswith("stockAsOf is 2999-01-01T00:00:00+00:00, later than now (")
    assert await _catalog(partner) == [("box", "Reward box", 500, 10, None, "voucher")]
