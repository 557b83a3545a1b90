"""memberAssignAccountManager: club managers give a member an account manager, or take it away."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, member_token, refused, staff_token

ASSIGN = """
mutation($input: MemberAssignAccountManagerInput!) {
  memberAssignAccountManager(input: $input) {
    member { id accountManager { id name role } }
    errors { field code message }
  }
}
"""


def error(field, code, message):
    return {
        "data": {
            "memberAssignAccountManager": {
                "member": None,
                "errors": [{"field": field, "code": code, "message": message}],
            }
        }
    }


async def manager_of(member):
    return (await models.Member.get(id=member.id)).account_manager_id


@pytest.mark.parametrize("role", [models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR])
async def test_club_manager_assigns_an_account_manager(client, role):
    # given
    boss = await make_staff(role)
    previous = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="周敏")
    member = await make_member(account_manager_id=previous.id)
    # when
    result = await gql(
        client,
        ASSIGN,
        {"input": {"memberId": gid("Member", member.id), "accountManagerId": gid("Staff", manager.id)}},
        token=staff_token(boss),
    )
    # then
    assert result == {
        "data": {
            "memberAssignAccountManager": {
                "member": {
                    "id": gid("Member", member.id),
                    "accountManager": {"id": gid("Staff", manager.id), "name": "周敏", "role": "ACCOUNT_MANAGER"},
                },
                "errors": [],
            }
        }
    }
    assert await manager_of(member) == manager.id


async def test_null_leaves_the_member_unassigned(client):
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    # when
    result = await gql(
        client,
        ASSIGN,
        {"input": {"memberId": gid("Member", member.id), "accountManagerId": None}},
        token=staff_token(boss),
    )
    # then
    assert result == {
        "data": {
            "memberAssignAccountManager": {
                "member": {"id": gid("Member", member.id), "accountManager": None},
                "errors": [],
            }
        }
    }
    assert await manager_of(member) is None


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("deleted member", "memberId", "Member not found"),
        ("deleted staff", "accountManagerId", "Account manager not found"),
        ("member id as staff id", "accountManagerId", "Staff not found"),
    ],
)
async def test_unknown_member_or_staff_is_not_found(client, case, field, message):
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=manager.id)
    gone_member = await make_member()
    await gone_member.delete()
    gone_staff = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await gone_staff.delete()
    member_id, staff_id = {
        "deleted member": (gid("Member", gone_member.id), gid("Staff", manager.id)),
        "deleted staff": (gid("Member", member.id), gid("Staff", gone_staff.id)),
        "member id as staff id": (gid("Member", member.id), gid("Member", member.id)),
    }[case]
    # when
    result = await gql(
        client, ASSIGN, {"input": {"memberId": member_id, "accountManagerId": staff_id}}, token=staff_token(boss)
    )
    # then
    assert result == error(field, "NOT_FOUND", message)
    assert await manager_of(member) == manager.id


@pytest.mark.parametrize(
    ("role", "active"), [(models.StaffRole.EVENT_MANAGER, True), (models.StaffRole.ACCOUNT_MANAGER, False)]
)
async def test_only_an_active_account_manager_can_be_assigned(client, role, active):
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    candidate = await make_staff(role, is_active=active)
    member = await make_member()
    # when
    result = await gql(
        client,
        ASSIGN,
        {"input": {"memberId": gid("Member", member.id), "accountManagerId": gid("Staff", candidate.id)}},
        token=staff_token(boss),
    )
    # then
    assert result == error(
        "accountManagerId", "NOT_AN_ACCOUNT_MANAGER", "This staff member is not an active account manager"
    )
    assert await manager_of(member) is None


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (None, "UNAUTHENTICATED"),
        ("member", "FORBIDDEN"),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN"),
        (models.StaffRole.ACCOUNT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN"),
    ],
)
async def test_callers_without_permission_are_refused(client, caller, code):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member()
    token = None
    if caller == "member":
        token = member_token(member)
    elif caller == models.StaffRole.ACCOUNT_MANAGER:
        token = staff_token(manager)
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await gql(
        client,
        ASSIGN,
        {"input": {"memberId": gid("Member", member.id), "accountManagerId": gid("Staff", manager.id)}},
        token=token,
    )
    # then
    assert result == refused("memberAssignAccountManager", code)
    assert await manager_of(member) is None
