"""N+1 pinned away: the statements a member page costs do not grow with the number of members on it."""

from __future__ import annotations

from domain import models
from tests.factories import gid, gql, make_member, make_preference, make_staff, make_tiers, staff_token

PAGE = """
query($first: Int!) {
  members(first: $first) {
    edges {
      node {
        id
        name
        tier { name benefits { code quota } }
        accountManager { name }
        preferences { value notedBy { name } }
      }
    }
  }
}
"""

# Through strawberry, one statement per loader: the page, tiers, benefits, account managers,
# preferences, and the staff who noted the preferences (a second batch of the staff loader).
STATEMENTS_PER_PAGE = 6
# Through the compiled path (schema/compiled/): the page with its tiers and account managers joined,
# the benefits, and the preferences with the staff who noted them joined.
COMPILED_STATEMENTS_PER_PAGE = 3

TIERS = ("Silver", "Gold", "Platinum", "Diamond")
BENEFITS = {
    "Silver": [{"code": "points_multiplier", "quota": None}],
    "Gold": [{"code": "points_multiplier", "quota": None}, {"code": "guest_pass", "quota": 4}],
    "Platinum": [{"code": "points_multiplier", "quota": None}, {"code": "guest_pass", "quota": 6}],
    "Diamond": [{"code": "points_multiplier", "quota": None}, {"code": "guest_pass", "quota": 12}],
}
MANAGERS = ("Anna Manager", "Ben Manager", "Cleo Manager")
DESK = ("Dora Desk", "Emil Desk")


def _tier(i: int) -> str:
    return TIERS[i % len(TIERS)]


def _manager(i: int) -> str | None:
    return None if i % 7 == 6 else MANAGERS[i % len(MANAGERS)]


async def make_fifty_members() -> list[models.Member]:
    """Members over all tiers and account managers (some without), each with a preference they
    stated themselves and one the front desk noted."""
    tiers = await make_tiers()
    managers = {name: await make_staff(models.StaffRole.ACCOUNT_MANAGER, name=name) for name in MANAGERS}
    desk = [await make_staff(models.StaffRole.FRONT_DESK, name=name) for name in DESK]
    members = []
    for i in range(50):
        manager = _manager(i)
        member = await make_member(
            name=f"Member {i:02d}",
            tier=tiers[_tier(i)],
            account_manager_id=managers[manager].id if manager else None,
        )
        await make_preference(member, value="Still water")
        await make_preference(member, value=f"Table {i}", noted_by_id=desk[i % len(desk)].id)
        members.append(member)
    return members


def expected_edge(i: int, member: models.Member) -> dict:
    manager = _manager(i)
    return {
        "node": {
            "id": gid("Member", member.id),
            "name": f"Member {i:02d}",
            "tier": {"name": _tier(i), "benefits": BENEFITS[_tier(i)]},
            "accountManager": {"name": manager} if manager else None,
            "preferences": [
                {"value": "Still water", "notedBy": None},
                {"value": f"Table {i}", "notedBy": {"name": DESK[i % len(DESK)]}},
            ],
        }
    }


async def pages_of_one_and_fifty(client, sql, token: str, members: list[models.Member]) -> tuple[int, int]:
    """The statements of a page of one member, then of fifty, after checking both answers."""
    counts = []
    for first in (1, 50):
        sql.statements.clear()
        page = await gql(client, PAGE, {"first": first}, token=token)
        counts.append(len(sql.statements))
        edges = [expected_edge(i, member) for i, member in enumerate(members[:first])]
        assert page == {"data": {"members": {"edges": edges}}}, "\n".join(sql.statements)
    return counts[0], counts[1]


async def test_a_page_of_fifty_members_costs_as_many_statements_as_a_page_of_one(strawberry_client, sql):
    # given
    members = await make_fifty_members()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    for_one, for_fifty = await pages_of_one_and_fifty(strawberry_client, sql, token, members)
    # then
    assert for_one == for_fifty == STATEMENTS_PER_PAGE


async def test_the_compiled_page_costs_three_statements_for_one_member_or_fifty(client, sql):
    # given
    members = await make_fifty_members()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    await gql(client, PAGE, {"first": 1}, token=token)  # strawberry answers it, and the document is compiled
    # when
    for_one, for_fifty = await pages_of_one_and_fifty(client, sql, token, members)
    # then
    assert for_one == for_fifty == COMPILED_STATEMENTS_PER_PAGE


NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    id
    ... on Member { tier { name } }
  }
}
"""


async def test_nodes_cost_one_statement_per_type_and_loader_however_many_ids(client, sql):
    # given
    tiers = await make_tiers()
    members = [await make_member(tier=tiers["Gold"]) for _ in range(10)]
    staff = [await make_staff(models.StaffRole.FRONT_DESK) for _ in range(10)]
    preferences = [await make_preference(member) for member in members]
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # Interleaved types, so that the answer's order shows it follows the ids' order.
    ids = [
        id_
        for member, colleague, preference in zip(members, staff, preferences, strict=True)
        for id_ in (gid("Member", member.id), gid("Staff", colleague.id), gid("MemberPreference", preference.id))
    ]
    # when
    sql.statements.clear()
    three = await gql(client, NODES, {"ids": ids[:3]}, token=token)
    statements_for_three = list(sql.statements)
    sql.statements.clear()
    thirty = await gql(client, NODES, {"ids": ids}, token=token)
    statements_for_thirty = list(sql.statements)
    # then
    def expected(id_: str) -> dict:
        type_name = "Member" if id_ in ids[0::3] else "Staff" if id_ in ids[1::3] else "MemberPreference"
        return {"__typename": type_name, "id": id_, **({"tier": {"name": "Gold"}} if type_name == "Member" else {})}

    assert three == {"data": {"nodes": [expected(id_) for id_ in ids[:3]]}}
    assert thirty == {"data": {"nodes": [expected(id_) for id_ in ids]}}
    # members, staff, preferences, and the members' tiers
    assert len(statements_for_thirty) == len(statements_for_three) == 4, "\n".join(statements_for_thirty)
