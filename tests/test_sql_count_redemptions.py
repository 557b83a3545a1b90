"""N+1 pinned away for redemptions: a page of 20 members with their redemptions (each with its voucher
and partner) and their vouchers costs the statements of a page of 1; so does a member's page of 50."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from domain import models
from domain.viewer import member_viewer
from partners import redemption
from tests.factories import gql, make_club_reward, make_earning, make_member, make_partner, make_staff, make_tiers, member_token, staff_token

PAGE = 20


async def _redeem(member: models.Member, key: str, reward_key: str) -> None:
    await redemption.redeem(
        viewer=member_viewer(member.id), reward_key=reward_key, quantity=1, idempotency_key=key,
        items=None, client=None,
    )


async def twenty_members_with_redemptions() -> list[models.Member]:
    """Twenty members, each with a club voucher and a voucher of a push-only partner."""
    await make_tiers()
    partner = await make_partner("Maison Laurent")
    await models.PartnerCatalogItem.create(
        partner_id=partner.id, item_id="box", title="Truffle box", points_price=10, stock=None,
        category="food", pushed_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    reward = await make_club_reward(points_price=10, stock=None)
    members = []
    for n in range(PAGE):
        member = await make_member(name=f"Member {n:02d}")
        await make_earning(member, 1_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        await _redeem(member, "a", f"club:{reward.id}")
        await _redeem(member, "b", f"partner:{partner.id}:box")
        members.append(member)
    return members


async def costs(client, sql, query: str, token: str) -> tuple[int, int, dict, dict]:
    sql.statements.clear()
    one = await gql(client, query, {"first": 1}, token=token)
    for_one = list(sql.statements)
    sql.statements.clear()
    many = await gql(client, query, {"first": PAGE}, token=token)
    assert len(sql.statements) == len(for_one), "\n".join(sql.statements)
    return len(for_one), len(sql.statements), one, many


MEMBERS = """
query($first: Int!) {
  members(first: $first) {
    edges { node { name
      redemptions(first: 5) { edges { node { title status partnerName voucher { code partnerName } } } }
      vouchers(first: 5) { edges { node { title partnerName } } } } }
  }
}
"""


async def test_a_page_of_twenty_members_with_their_redemptions_costs_as_much_as_a_page_of_one(client, sql):
    # given
    await twenty_members_with_redemptions()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    for_one, for_many, one, many = await costs(client, sql, MEMBERS, staff_token(boss))
    # then
    nodes = [edge["node"] for edge in many["data"]["members"]["edges"]]
    assert len(nodes) == PAGE
    for node in nodes:
        assert [edge["node"]["title"] for edge in node["redemptions"]["edges"]] == ["Truffle box", "Cellar tour"]
        assert [edge["node"]["partnerName"] for edge in node["vouchers"]["edges"]] == ["Maison Laurent", None]
        codes = [edge["node"]["voucher"]["code"] for edge in node["redemptions"]["edges"]]
        assert all(re.fullmatch(r"CLUB-\*{4}-\*{4}-[A-Z2-9]{4}", code) for code in codes), codes  # staff: masked
    assert one["data"]["members"]["edges"] == many["data"]["members"]["edges"][:1]
    # the members; redemption ids and rows; voucher ids and rows; vouchers by redemption; partners
    assert for_one == for_many == 7


MINE = """
query($first: Int!) { me { ... on Member {
  redemptions(first: $first) { edges { node { title voucher { code } } } pageInfo { hasNextPage } }
  vouchers(first: $first) { edges { node { code } } } } } }
"""


async def test_a_members_page_of_fifty_costs_as_much_as_a_page_of_one(client, sql):
    # given
    await make_tiers()
    member = await make_member()
    await make_earning(member, 10_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    reward = await make_club_reward(points_price=10, stock=None)
    for n in range(60):
        await _redeem(member, f"k{n}", f"club:{reward.id}")
    # when
    sql.statements.clear()
    one = await gql(client, MINE, {"first": 1}, token=member_token(member))
    for_one = len(sql.statements)
    sql.statements.clear()
    fifty = await gql(client, MINE, {"first": 50}, token=member_token(member))
    # then
    assert len(sql.statements) == for_one
    redemptions = fifty["data"]["me"]["redemptions"]
    assert (len(redemptions["edges"]), redemptions["pageInfo"]["hasNextPage"]) == (50, True)
    ids = [row.id for row in await models.Redemption.filter(member_id=member.id).order_by("-id").limit(50)]
    codes = dict(await models.Voucher.filter(redemption_id__in=ids).values_list("redemption_id", "code"))
    assert [edge["node"]["voucher"]["code"] for edge in redemptions["edges"]] == [codes[pk] for pk in ids]
    assert [edge["node"]["code"] for edge in fifty["data"]["me"]["vouchers"]["edges"]] == [codes[pk] for pk in ids]
    assert one["data"]["me"]["redemptions"]["edges"] == redemptions["edges"][:1]
