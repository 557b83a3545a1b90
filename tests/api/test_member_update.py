"""memberUpdate: members change their own contact fields, staff change more."""

from datetime import date, timedelta

import pytest

from domain import models
from domain.members import today
from tests.factories import gid, gql, make_member, make_staff, member_token, refused, staff_token

MEMBER_UPDATE = """
mutation($input: MemberUpdateInput!) {
  memberUpdate(input: $input) {
    member { id name gender phone email birthday status }
    errors { field code message }
  }
}
"""

PROFILE = ("name", "gender", "phone", "email", "birthday", "status")


def error(field, code, message):
    return {"data": {"memberUpdate": {"member": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def profile(member):
    return await models.Member.filter(id=member.id).values_list(*PROFILE)


async def test_member_changes_own_contact_fields(client):
    # given
    member = await make_member(name="林婉清", email="lin@example.com", phone="+41791234567", birthday=date(1988, 2, 3))
    variables = {
        "input": {"memberId": gid("Member", member.id), "phone": "+86 138 0013 8000", "email": " Lin.WQ@Example.com"}
    }
    # when
    result = await gql(client, MEMBER_UPDATE, variables, token=member_token(member))
    # then
    assert result == {
        "data": {
            "memberUpdate": {
                "member": {
                    "id": gid("Member", member.id),
                    "name": "林婉清",
                    "gender": "UNDISCLOSED",
                    "phone": "+8613800138000",
                    "email": "lin.wq@example.com",
                    "birthday": "1988-02-03",
                    "status": "ACTIVE",
                },
                "errors": [],
            }
        }
    }
    assert await profile(member) == [
        (
            "林婉清",
            models.Gender.UNDISCLOSED,
            "+8613800138000",
            "lin.wq@example.com",
            date(1988, 2, 3),
            models.MemberStatus.ACTIVE,
        )
    ]


async def test_member_may_resubmit_own_email_in_another_case(client):
    # given
    member = await make_member(email="lin@example.com")
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "email": "LIN@example.com"}},
        token=member_token(member),
    )
    # then
    assert result["data"]["memberUpdate"]["errors"] == []
    assert result["data"]["memberUpdate"]["member"]["email"] == "lin@example.com"


@pytest.mark.parametrize(
    "role", [models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR]
)
async def test_staff_change_every_profile_field(client, role):
    # given
    staff = await make_staff(role)
    member = await make_member(account_manager_id=staff.id if role == models.StaffRole.ACCOUNT_MANAGER else None)
    variables = {
        "input": {
            "memberId": gid("Member", member.id),
            "name": "王磊",
            "gender": "MALE",
            "phone": "+41 44 555 12 34",
            "email": "wang@example.com",
            "birthday": "1979-11-30",
            "status": "SUSPENDED",
        }
    }
    # when
    result = await gql(client, MEMBER_UPDATE, variables, token=staff_token(staff))
    # then
    assert result == {
        "data": {
            "memberUpdate": {
                "member": {
                    "id": gid("Member", member.id),
                    "name": "王磊",
                    "gender": "MALE",
                    "phone": "+41445551234",
                    "email": "wang@example.com",
                    "birthday": "1979-11-30",
                    "status": "SUSPENDED",
                },
                "errors": [],
            }
        }
    }
    assert await profile(member) == [
        (
            "王磊",
            models.Gender.MALE,
            "+41445551234",
            "wang@example.com",
            date(1979, 11, 30),
            models.MemberStatus.SUSPENDED,
        )
    ]


async def test_null_clears_phone_and_birthday_and_leaves_the_rest(client):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(name="Anna", phone="+41791234567", birthday=date(1990, 5, 6))
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "phone": None, "birthday": None}},
        token=staff_token(staff),
    )
    # then
    assert result["data"]["memberUpdate"]["errors"] == []
    assert await profile(member) == [
        ("Anna", models.Gender.UNDISCLOSED, None, member.email, None, models.MemberStatus.ACTIVE)
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("name", "New Name"), ("gender", "FEMALE"), ("birthday", "1990-01-01"), ("status", "RESIGNED")]
)
async def test_member_cannot_change_fields_reserved_to_staff(client, field, value):
    # given
    member = await make_member()
    before = await profile(member)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), field: value}},
        token=member_token(member),
    )
    # then
    assert result == error(field, "NOT_EDITABLE", "You cannot change this field")
    assert await profile(member) == before


async def test_one_field_not_editable_refuses_the_whole_change(client):
    # given
    member = await make_member()
    before = await profile(member)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "phone": "+41445551234", "status": "RESIGNED"}},
        token=member_token(member),
    )
    # then
    assert result == error("status", "NOT_EDITABLE", "You cannot change this field")
    assert await profile(member) == before


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"name": " "}, "name", "REQUIRED", "This value is required"),
        ({"name": None}, "name", "REQUIRED", "This value is required"),
        ({"gender": None}, "gender", "REQUIRED", "This value is required"),
        ({"status": None}, "status", "REQUIRED", "This value is required"),
        ({"name": "x" * 201}, "name", "TOO_LONG", "At most 200 characters"),
        ({"email": "anna@"}, "email", "INVALID", "Enter a valid email address"),
        ({"email": None}, "email", "REQUIRED", "This value is required"),
        (
            {"phone": "0791234567"},
            "phone",
            "INVALID",
            "Enter the phone number in international form, e.g. +41445551234",
        ),
        ({"birthday": "1899-12-31"}, "birthday", "INVALID", "Enter a birthday between 1900 and today"),
    ],
)
async def test_invalid_values_change_nothing(client, fields, field, code, message):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member()
    before = await profile(member)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "name": "Valid", **fields}},
        token=staff_token(staff),
    )
    # then
    assert result == error(field, code, message)
    assert await profile(member) == before


async def test_a_birthday_in_the_future_is_refused(client):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member()
    before = await profile(member)
    tomorrow = today() + timedelta(days=1)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "birthday": tomorrow.isoformat()}},
        token=staff_token(staff),
    )
    # then
    assert result == error("birthday", "INVALID", "Enter a birthday between 1900 and today")
    assert await profile(member) == before


@pytest.mark.parametrize("owner", ["member", "staff"])
async def test_an_email_registered_to_someone_else_is_refused(client, owner):
    # given
    if owner == "member":
        await make_member(email="taken@example.com")
    else:
        await make_staff(models.StaffRole.FRONT_DESK, email="taken@example.com")
    member = await make_member()
    before = await profile(member)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "email": "Taken@Example.com"}},
        token=member_token(member),
    )
    # then
    assert result == error("email", "EMAIL_TAKEN", "This email address is already registered")
    assert await profile(member) == before


async def test_member_acting_on_another_member_is_told_it_does_not_exist(client):
    # given
    member = await make_member()
    other = await make_member()
    before = await profile(other)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", other.id), "phone": "+41445551234"}},
        token=member_token(member),
    )
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await profile(other) == before


@pytest.mark.parametrize("type_name", ["Member", "Tier"])
async def test_an_unknown_member_is_not_found(client, type_name):
    # given
    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    gone = await make_member()
    await gone.delete()
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid(type_name, gone.id), "name": "Ghost"}},
        token=staff_token(staff),
    )
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN"),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN"),
    ],
)
async def test_callers_without_permission_are_refused(client, role, code):
    # given
    member = await make_member()
    before = await profile(member)
    token = staff_token(await make_staff(role)) if role else None
    # when
    result = await gql(
        client, MEMBER_UPDATE, {"input": {"memberId": gid("Member", member.id), "name": "Changed"}}, token=token
    )
    # then
    assert result == refused("memberUpdate", code)
    assert await profile(member) == before


async def test_account_manager_cannot_change_another_managers_member(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    other_manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=other_manager.id)
    before = await profile(member)
    # when
    result = await gql(
        client,
        MEMBER_UPDATE,
        {"input": {"memberId": gid("Member", member.id), "name": "Changed"}},
        token=staff_token(manager),
    )
    # then
    assert result == refused(
        "memberUpdate", "FORBIDDEN", "Only the member's own account manager may change this record"
    )
    assert await profile(member) == before
