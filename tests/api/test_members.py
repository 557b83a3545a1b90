"""The `members` list for staff, and `member(id:)`."""

import pytest
from strawberry.relay import to_base64

from domain import models
from tests.factories import (
    gid,
    gql,
    make_member,
    make_preference,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

MEMBERS = """
query($first: Int!, $after: String, $filter: MemberFilter) {
  members(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}
"""

MEMBER = """
query($id: ID!) {
  member(id: $id) {
    id name email tier { name } accountManager { name }
    preferences { value isPrivate }
  }
}
"""


async def list_members(client, token, first=20, after=None, **filter):
    return await gql(client, MEMBERS, {"first": first, "after": after, "filter": filter or None}, token=token)


def names(result):
    return [edge["node"]["name"] for edge in result["data"]["members"]["edges"]]


def summary(result):
    """Names, hasNextPage, hasPreviousPage and totalCount; checks the page's cursors match its edges."""
    page = result["data"]["members"]
    edges, info = page["edges"], page["pageInfo"]
    assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
    return names(result), info["hasNextPage"], info["hasPreviousPage"], page["totalCount"]


def end_cursor(result):
    return result["data"]["members"]["pageInfo"]["endCursor"]


async def test_staff_page_through_members_in_order_of_enrolment(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    for name in ["Anna", "Bo", "Chen", "Dora", "Emil"]:
        await make_member(name=name)
    # when
    first = await list_members(client, token, first=2)
    second = await list_members(client, token, first=2, after=end_cursor(first))
    last = await list_members(client, token, first=2, after=end_cursor(second))
    # then
    assert [summary(page) for page in (first, second, last)] == [
        (["Anna", "Bo"], True, False, 5),
        (["Chen", "Dora"], True, True, 5),
        (["Emil"], False, True, 5),
    ]


async def test_the_default_page_holds_twenty_members(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    for n in range(21):
        await make_member(name=f"Member {n:02d}")
    # when
    result = await gql(
        client, "{ members { totalCount pageInfo { hasNextPage } edges { node { name } } } }", token=token
    )
    # then
    assert names(result) == [f"Member {n:02d}" for n in range(20)]
    assert result["data"]["members"]["pageInfo"] == {"hasNextPage": True}
    assert result["data"]["members"]["totalCount"] == 21


@pytest.mark.parametrize("first", [101, -1])
async def test_a_page_size_out_of_bounds_is_refused(client, first):
    # given
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    await make_member()
    # when
    result = await list_members(client, token, first=first)
    # then
    assert result == refused("members", "BAD_USER_INPUT", "`first` must be between 0 and 100")


@pytest.mark.parametrize("after", ["not a cursor", to_base64("cursor", "abc"), to_base64("Member", "1")])
async def test_a_bad_cursor_is_refused(client, after):
    # given
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    await make_member()
    # when
    result = await list_members(client, token, after=after)
    # then
    assert result == refused(
        "members", "BAD_USER_INPUT", "The cursor in `after` is not valid; use an `endCursor` from this list"
    )


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("婉清", ["林婉清"]),
        (" 林 ", ["林婉清"]),
        ("müller", ["Anna Müller"]),
        ("EXAMPLE.ORG", ["Wang Lei"]),
        ("4455512", ["林婉清"]),
        ("+4179", ["Anna Müller", "Wang Lei"]),
        ("%", []),
        ("_", []),
        ("   ", ["林婉清", "Anna Müller", "Wang Lei"]),
    ],
)
async def test_search_matches_part_of_name_email_or_phone(client, search, expected):
    # given: a role that sees contacts in full
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    await make_member(name="林婉清", email="lin@example.com", phone="+41445551234")
    await make_member(name="Anna Müller", email="anna@club.test", phone="+41791112233")
    await make_member(name="Wang Lei", email="wang@example.org", phone="+41799998877")
    # when
    result = await list_members(client, token, search=search)
    # then
    assert names(result) == expected
    assert result["data"]["members"]["totalCount"] == len(expected)


@pytest.mark.parametrize("role", [models.StaffRole.FRONT_DESK, models.StaffRole.EVENT_MANAGER])
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("4455512", []),
        ("+41 (0)44 555 12 34", ["林婉清"]),
        ("EXAMPLE.ORG", []),
        ("Wang@Example.org", ["Wang Lei"]),
        ("müller", ["Anna Müller"]),
    ],
)
async def test_where_contacts_are_masked_search_takes_only_a_whole_email_or_phone(client, role, search, expected):
    # given: a partial match would reveal a masked phone or email a digit at a time
    token = staff_token(await make_staff(role))
    await make_member(name="林婉清", email="lin@example.com", phone="+41445551234")
    await make_member(name="Anna Müller", email="anna@club.test", phone="+41791112233")
    await make_member(name="Wang Lei", email="wang@example.org", phone="+41799998877")
    # when
    result = await list_members(client, token, search=search)
    # then
    assert names(result) == expected


async def test_an_account_manager_searches_part_of_contacts_of_their_own_members_only(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await make_member(name="Own", email="own@example.com", phone="+41445551234", account_manager_id=manager.id)
    await make_member(name="Other", email="other@example.com", phone="+41445551299")
    # when
    partial = await list_members(client, staff_token(manager), search="4455512")
    whole = await list_members(client, staff_token(manager), search="+41445551299")
    # then
    assert names(partial) == ["Own"]
    assert names(whole) == ["Other"]


async def test_filters_by_tier_account_manager_and_status_all_hold(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    tiers = await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await make_member(name="Gold, managed", tier=tiers["Gold"], account_manager_id=manager.id)
    await make_member(name="Gold, suspended", tier=tiers["Gold"], status=models.MemberStatus.SUSPENDED)
    await make_member(
        name="Silver, managed, suspended",
        tier=tiers["Silver"],
        account_manager_id=manager.id,
        status=models.MemberStatus.SUSPENDED,
    )
    gold, staff_id = gid("Tier", tiers["Gold"].id), gid("Staff", manager.id)
    # when
    by_tier = await list_members(client, token, tierId=gold)
    by_manager = await list_members(client, token, accountManagerId=staff_id)
    by_status = await list_members(client, token, status="SUSPENDED")
    combined = await list_members(client, token, tierId=gold, status="SUSPENDED")
    wrong_type = await list_members(client, token, tierId=staff_id)
    # then
    assert names(by_tier) == ["Gold, managed", "Gold, suspended"]
    assert names(by_manager) == ["Gold, managed", "Silver, managed, suspended"]
    assert names(by_status) == ["Gold, suspended", "Silver, managed, suspended"]
    assert names(combined) == ["Gold, suspended"]
    assert (names(wrong_type), wrong_type["data"]["members"]["totalCount"]) == ([], 0)


@pytest.mark.parametrize(
    ("caller", "code"),
    [(None, "UNAUTHENTICATED"), ("member", "FORBIDDEN"), (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN")],
)
async def test_the_list_is_for_staff_who_read_members(client, caller, code):
    # given
    member = await make_member()
    token = None
    if caller == "member":
        token = member_token(member)
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await list_members(client, token)
    # then
    assert result == refused("members", code)


async def test_staff_read_one_member_with_private_notes(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="周敏")
    member = await make_member(name="林婉清", email="lin@example.com", account_manager_id=manager.id)
    await make_preference(member, value="Window seat")
    await make_preference(member, value="Allergic to shellfish", is_private=True)
    token = staff_token(manager)  # their own account manager: full access to notes (domain/privacy.py)
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=token)
    # then
    assert result == {
        "data": {
            "member": {
                "id": gid("Member", member.id),
                "name": "林婉清",
                "email": "lin@example.com",
                "tier": {"name": "Silver"},
                "accountManager": {"name": "周敏"},
                "preferences": [
                    {"value": "Window seat", "isPrivate": False},
                    {"value": "Allergic to shellfish", "isPrivate": True},
                ],
            }
        }
    }


async def test_member_reads_own_record_without_private_notes(client):
    # given
    member = await make_member(name="Anna", email="anna@example.com")
    await make_preference(member, value="Window seat")
    await make_preference(member, value="Tips poorly", is_private=True)
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=member_token(member))
    # then
    assert result == {
        "data": {
            "member": {
                "id": gid("Member", member.id),
                "name": "Anna",
                "email": "anna@example.com",
                "tier": {"name": "Silver"},
                "accountManager": None,
                "preferences": [{"value": "Window seat", "isPrivate": False}],
            }
        }
    }


@pytest.mark.parametrize(
    "case", ["anonymous", "another member", "partner manager", "deleted member", "not a member id"]
)
async def test_member_is_null_when_not_yours_to_see(client, case):
    # given
    member = await make_member()
    other = await make_member()
    gone = await make_member()
    await gone.delete()
    token = {
        "anonymous": None,
        "another member": member_token(other),
        "partner manager": staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER)),
    }.get(case, staff_token(await make_staff(models.StaffRole.CLUB_MANAGER)))
    member_id = {"deleted member": gid("Member", gone.id), "not a member id": gid("Tier", member.tier_id)}.get(
        case, gid("Member", member.id)
    )
    # when
    result = await gql(client, MEMBER, {"id": member_id}, token=token)
    # then
    assert result == {"data": {"member": None}}
