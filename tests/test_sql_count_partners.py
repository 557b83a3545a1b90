"""N+1 pinned away for the partner registry: a page of 20 partners with their keys costs what a page of 1 does."""

from __future__ import annotations

from domain import models
from tests.factories import gql, make_api_key, make_partner, make_staff, staff_token

PAGE = 20
PARTNERS = """
query($first: Int!) {
  partners(first: $first) { edges { node { name apiKeys { prefix partner { name } } } } }
}
"""


async def test_a_page_of_twenty_partners_with_their_keys_costs_as_much_as_a_page_of_one(client, sql):
    # given
    for n in range(PAGE):
        partner = await make_partner(f"Partner {n:02d}")
        await make_api_key(partner, label="old")
        await make_api_key(partner, label="new")
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    # when
    sql.statements.clear()
    one = await gql(client, PARTNERS, {"first": 1}, token=token)
    for_one = list(sql.statements)
    sql.statements.clear()
    many = await gql(client, PARTNERS, {"first": PAGE}, token=token)
    # then
    assert len(sql.statements) == len(for_one), "\n".join(sql.statements)
    assert len(one["data"]["partners"]["edges"]) == 1
    edges = many["data"]["partners"]["edges"]
    assert len(edges) == PAGE and all(len(edge["node"]["apiKeys"]) == 2 for edge in edges)
