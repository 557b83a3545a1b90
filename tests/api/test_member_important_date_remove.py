"""memberImportantDateRemove: forget an important date."""

from datetime import date

import pytest

from domain import models
from tests.factories import gid, gql, make_important_date, make_member, make_staff, member_token, refused, staff_token

IMPORTANT_DATE_REMOVE = """
mutation($input: MemberImportantDateRemoveInput!) {
  memberImportantDateRemove(input: $input) {
    removedImportantDateId
    member { id importantDates { label } }
    errors { field code message }
  }
}
"""


@pytest.mark.parametrize(
    "caller",
    ["member", models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR],
)
async def test_a_date_is_forgotten(client, caller):
    # given
    staff = None if caller == "member" else await make_staff(caller)
    member = await make_member(account_manager_id=staff.id if caller == models.StaffRole.ACCOUNT_MANAGER else None)
    wedding = await make_important_date(member, label="Wedding anniversary")
    await make_important_date(member, kind=models.ImportantDateKind.CUSTOM, label="First visit", date=date(2019, 4, 1))
    token = member_token(member) if staff is None else staff_token(staff)
    # when
    result = await gql(
        client, IMPORTANT_DATE_REMOVE, {"input": {"importantDateId": gid("ImportantDate", wedding.id)}}, token=token
    )
    # then
    assert result == {
        "data": {
            "memberImportantDateRemove": {
                "removedImportantDateId": gid("ImportantDate", wedding.id),
                "member": {"id": gid("Member", member.id), "importantDates": [{"label": "First visit"}]},
                "errors": [],
            }
        }
    }
    assert await models.ImportantDate.filter(member_id=member.id).values_list("label", flat=True) == ["First visit"]


@pytest.mark.parametrize("case", ["another member's", "deleted"])
async def test_member_cannot_remove_a_date_that_is_not_theirs(client, case):
    # given
    member = await make_member()
    others = await make_important_date(await make_member())
    gone = await make_important_date(member)
    await gone.delete()
    target = others if case == "another member's" else gone
    # when
    result = await gql(
        client,
        IMPORTANT_DATE_REMOVE,
        {"input": {"importantDateId": gid("ImportantDate", target.id)}},
        token=member_token(member),
    )
    # then
    assert result == {
        "data": {
            "memberImportantDateRemove": {
                "removedImportantDateId": None,
                "member": None,
                "errors": [{"field": "importantDateId", "code": "NOT_FOUND", "message": "Important date not found"}],
            }
        }
    }
    assert await models.ImportantDate.filter(id=others.id).exists()


@pytest.mark.parametrize(
    ("role", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN", None),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.ACCOUNT_MANAGER, "FORBIDDEN", "Only the member's own account manager may change this record"),
    ],
)
async def test_callers_without_permission_are_refused(client, role, code, message):
    # given
    member = await make_member(account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    important_date = await make_important_date(member)
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(
        client,
        IMPORTANT_DATE_REMOVE,
        {"input": {"importantDateId": gid("ImportantDate", important_date.id)}},
        token=token,
    )
    # then
    assert result == refused("memberImportantDateRemove", code, message)
    assert await models.ImportantDate.filter(id=important_date.id).exists()


@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), (models.StaffRole.FRONT_DESK, "FORBIDDEN")])
async def test_callers_without_permission_are_refused_even_for_an_unknown_date(client, role, code):
    # given
    gone = await make_important_date(await make_member())
    await gone.delete()
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(
        client, IMPORTANT_DATE_REMOVE, {"input": {"importantDateId": gid("ImportantDate", gone.id)}}, token=token
    )
    # then
    assert result == refused("memberImportantDateRemove", code)
