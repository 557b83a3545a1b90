"""memberPreferenceRemove: forget a preference."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_preference, make_staff, member_token, refused, staff_token

PREFERENCE_REMOVE = """
mutation($input: MemberPreferenceRemoveInput!) {
  memberPreferenceRemove(input: $input) {
    removedPreferenceId
    member { id preferences { value } }
    errors { field code message }
  }
}
"""

NOT_FOUND = {
    "data": {
        "memberPreferenceRemove": {
            "removedPreferenceId": None,
            "member": None,
            "errors": [{"field": "preferenceId", "code": "NOT_FOUND", "message": "Preference not found"}],
        }
    }
}


async def test_member_forgets_own_preference(client):
    # given
    member = await make_member()
    tea = await make_preference(member, value="Green tea")
    await make_preference(member, value="Window seat")
    # when
    result = await gql(
        client,
        PREFERENCE_REMOVE,
        {"input": {"preferenceId": gid("MemberPreference", tea.id)}},
        token=member_token(member),
    )
    # then
    assert result == {
        "data": {
            "memberPreferenceRemove": {
                "removedPreferenceId": gid("MemberPreference", tea.id),
                "member": {"id": gid("Member", member.id), "preferences": [{"value": "Window seat"}]},
                "errors": [],
            }
        }
    }
    assert await models.MemberPreference.filter(member_id=member.id).values_list("value", flat=True) == ["Window seat"]


@pytest.mark.parametrize(
    "role",
    [
        models.StaffRole.FRONT_DESK,
        models.StaffRole.ACCOUNT_MANAGER,
        models.StaffRole.CLUB_MANAGER,
        models.StaffRole.ADMINISTRATOR,
    ],
)
async def test_staff_forget_a_private_note(client, role):
    # given
    staff = await make_staff(role)
    member = await make_member(account_manager_id=staff.id if role == models.StaffRole.ACCOUNT_MANAGER else None)
    note = await make_preference(member, value="Prefers Mr. Li as waiter", is_private=True, noted_by_id=staff.id)
    # when
    result = await gql(
        client,
        PREFERENCE_REMOVE,
        {"input": {"preferenceId": gid("MemberPreference", note.id)}},
        token=staff_token(staff),
    )
    # then
    assert result == {
        "data": {
            "memberPreferenceRemove": {
                "removedPreferenceId": gid("MemberPreference", note.id),
                "member": {"id": gid("Member", member.id), "preferences": []},
                "errors": [],
            }
        }
    }
    assert await models.MemberPreference.all().count() == 0


@pytest.mark.parametrize("case", ["private note", "another member's", "deleted"])
async def test_member_cannot_remove_what_is_not_theirs_to_see(client, case):
    # given
    member = await make_member()
    other = await make_preference(await make_member())
    private = await make_preference(member, is_private=True)
    gone = await make_preference(member)
    await gone.delete()
    preference_id = {
        "private note": gid("MemberPreference", private.id),
        "another member's": gid("MemberPreference", other.id),
        "deleted": gid("MemberPreference", gone.id),
    }[case]
    # when
    result = await gql(
        client, PREFERENCE_REMOVE, {"input": {"preferenceId": preference_id}}, token=member_token(member)
    )
    # then
    assert result == NOT_FOUND
    assert await models.MemberPreference.all().count() == 2


@pytest.mark.parametrize(
    ("role", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.ACCOUNT_MANAGER, "FORBIDDEN", "Only the member's own account manager may change this record"),
    ],
)
async def test_callers_without_permission_are_refused(client, role, code, message):
    # given
    member = await make_member(account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    preference = await make_preference(member)
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(
        client, PREFERENCE_REMOVE, {"input": {"preferenceId": gid("MemberPreference", preference.id)}}, token=token
    )
    # then
    assert result == refused("memberPreferenceRemove", code, message)
    assert await models.MemberPreference.filter(id=preference.id).exists()


@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), (models.StaffRole.EVENT_MANAGER, "FORBIDDEN")])
async def test_callers_without_permission_are_refused_even_for_an_unknown_preference(client, role, code):
    # given
    gone = await make_preference(await make_member())
    await gone.delete()
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(
        client, PREFERENCE_REMOVE, {"input": {"preferenceId": gid("MemberPreference", gone.id)}}, token=token
    )
    # then
    assert result == refused("memberPreferenceRemove", code)
