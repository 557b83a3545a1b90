"""memberImportantDateAdd: remember a date for the care calendar."""

from datetime import date

import pytest

from domain import models
from domain.members import today
from tests.factories import gid, gql, make_important_date, make_member, make_staff, member_token, refused, staff_token

IMPORTANT_DATE_ADD = """
mutation($input: MemberImportantDateAddInput!) {
  memberImportantDateAdd(input: $input) {
    importantDate { id kind label date }
    member { id importantDates { label date } }
    errors { field code message }
  }
}
"""


def error(field, code, message):
    return {
        "data": {
            "memberImportantDateAdd": {
                "importantDate": None,
                "member": None,
                "errors": [{"field": field, "code": code, "message": message}],
            }
        }
    }


def add(member, **fields):
    return {
        "input": {
            "memberId": gid("Member", member.id),
            "kind": "CUSTOM",
            "label": "First visit",
            "date": "2019-04-01",
            **fields,
        }
    }


@pytest.mark.parametrize(
    "caller",
    ["member", models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR],
)
async def test_a_date_is_remembered_in_calendar_order(client, caller):
    # given
    staff = None if caller == "member" else await make_staff(caller)
    member = await make_member(account_manager_id=staff.id if caller == models.StaffRole.ACCOUNT_MANAGER else None)
    await make_important_date(member, label="Wedding anniversary", date=date(2021, 9, 9))
    token = member_token(member) if staff is None else staff_token(staff)
    # when
    result = await gql(
        client,
        IMPORTANT_DATE_ADD,
        add(member, kind="ANNIVERSARY", label=" 入会纪念日 ", date="2019-04-01"),
        token=token,
    )
    # then
    row = await models.ImportantDate.get(member_id=member.id, label="入会纪念日")
    assert result == {
        "data": {
            "memberImportantDateAdd": {
                "importantDate": {
                    "id": gid("ImportantDate", row.id),
                    "kind": "ANNIVERSARY",
                    "label": "入会纪念日",
                    "date": "2019-04-01",
                },
                "member": {
                    "id": gid("Member", member.id),
                    "importantDates": [
                        {"label": "入会纪念日", "date": "2019-04-01"},
                        {"label": "Wedding anniversary", "date": "2021-09-09"},
                    ],
                },
                "errors": [],
            }
        }
    }
    assert (row.kind, row.date) == (models.ImportantDateKind.ANNIVERSARY, date(2019, 4, 1))


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"label": "  "}, "label", "REQUIRED", "This value is required"),
        ({"label": "x" * 201}, "label", "TOO_LONG", "At most 200 characters"),
        ({"label": "line\rbreak"}, "label", "INVALID", "Control characters are not allowed"),
        ({"date": "1899-12-31"}, "date", "INVALID", "Enter a date between 1900 and a hundred years from now"),
        (
            {"date": f"{today().year + 101}-01-01"},
            "date",
            "INVALID",
            "Enter a date between 1900 and a hundred years from now",
        ),
    ],
)
async def test_an_invalid_date_or_label_records_nothing(client, fields, field, code, message):
    # given
    member = await make_member()
    # when
    result = await gql(client, IMPORTANT_DATE_ADD, add(member, **fields), token=member_token(member))
    # then
    assert result == error(field, code, message)
    assert await models.ImportantDate.all().count() == 0


async def test_member_acting_on_another_member_is_told_it_does_not_exist(client):
    # given
    member = await make_member()
    other = await make_member()
    # when
    result = await gql(client, IMPORTANT_DATE_ADD, add(other), token=member_token(member))
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await models.ImportantDate.all().count() == 0


async def test_an_unknown_member_is_not_found(client):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    gone = await make_member()
    await gone.delete()
    # when
    result = await gql(client, IMPORTANT_DATE_ADD, add(gone), token=staff_token(staff))
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await models.ImportantDate.all().count() == 0


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
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(client, IMPORTANT_DATE_ADD, add(member), token=token)
    # then
    assert result == refused("memberImportantDateAdd", code, message)
    assert await models.ImportantDate.all().count() == 0
