"""memberCreate: staff enrol a new member."""

from datetime import timedelta

import pytest

from domain import models
from domain.members import today
from domain.passwords import verify_password
from tests.factories import gid, gql, make_member, make_staff, make_tiers, member_token, refused, staff_token

MEMBER_CREATE = """
mutation($input: MemberCreateInput!) {
  memberCreate(input: $input) {
    member {
      id name email phone gender birthday joinedOn status referralCode
      tier { name }
      accountManager { name }
    }
    errors { field code message }
  }
}
"""

ENROLLING_ROLES = [
    models.StaffRole.FRONT_DESK,
    models.StaffRole.ACCOUNT_MANAGER,
    models.StaffRole.CLUB_MANAGER,
    models.StaffRole.ADMINISTRATOR,
]


def error(field, code, message):
    return {"data": {"memberCreate": {"member": None, "errors": [{"field": field, "code": code, "message": message}]}}}


@pytest.mark.parametrize("role", ENROLLING_ROLES)
async def test_staff_enrols_a_member_in_the_lowest_tier(client, role):
    # given
    await make_tiers()
    staff = await make_staff(role)
    # when
    result = await gql(
        client, MEMBER_CREATE, {"input": {"name": "林婉清", "email": "lin@example.com"}}, token=staff_token(staff)
    )
    # then
    member = await models.Member.get(email="lin@example.com")
    assert result == {
        "data": {
            "memberCreate": {
                "member": {
                    "id": gid("Member", member.id),
                    "name": "林婉清",
                    # The front desk sees contacts masked (domain/privacy.py), even of a member it enrolled.
                    "email": "l•••@example.com" if role == models.StaffRole.FRONT_DESK else "lin@example.com",
                    "phone": None,
                    "gender": "UNDISCLOSED",
                    "birthday": None,
                    "joinedOn": today().isoformat(),
                    "status": "ACTIVE",
                    "referralCode": member.referral_code,
                    "tier": {"name": "Silver"},
                    "accountManager": {"name": staff.name} if role == models.StaffRole.ACCOUNT_MANAGER else None,
                },
                "errors": [],
            }
        }
    }
    assert len(member.referral_code) == 8
    assert member.password_hash is None
    changes = await models.TierChange.filter(member_id=member.id).values(
        "from_tier_id", "to_tier__name", "source", "reason", "changed_by_id"
    )
    assert changes == [
        {
            "from_tier_id": None,
            "to_tier__name": "Silver",
            "source": models.TierChangeSource.ENROLMENT,
            "reason": "Enrolment",
            "changed_by_id": staff.id,
        }
    ]


async def test_enrolment_takes_tier_account_manager_and_normalises_contacts(client):
    # given
    gold = (await make_tiers())["Gold"]
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Chen Jie")
    front_desk = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {
        "input": {
            "name": "  Anna Müller ",
            "email": " Anna.Mueller@Example.COM ",
            "phone": "+41 (44) 555-12.34",
            "gender": "FEMALE",
            "birthday": "1985-03-14",
            "tierId": gid("Tier", gold.id),
            "accountManagerId": gid("Staff", manager.id),
        }
    }
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(front_desk))
    # then: what the front desk typed is stored normalised, and shown back masked (domain/privacy.py)
    member = await models.Member.get(email="anna.mueller@example.com")
    assert result["data"]["memberCreate"] == {
        "member": {
            "id": gid("Member", member.id),
            "name": "Anna Müller",
            "email": "a•••@example.com",
            "phone": "+41 •• ••• •• 34",
            "gender": "FEMALE",
            "birthday": None,
            "joinedOn": today().isoformat(),
            "status": "ACTIVE",
            "referralCode": member.referral_code,
            "tier": {"name": "Gold"},
            "accountManager": {"name": "Chen Jie"},
        },
        "errors": [],
    }
    assert (member.tier_id, member.account_manager_id, member.phone) == (gold.id, manager.id, "+41445551234")
    assert await models.TierChange.filter(member_id=member.id, to_tier_id=gold.id).count() == 1


async def test_enrolment_with_a_password_stores_only_its_hash(client):
    # given
    await make_tiers()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {"input": {"name": "Wang Lei", "email": "wang@example.com", "password": "long enough secret"}}
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(staff))
    # then
    assert result["data"]["memberCreate"]["errors"] == []
    member = await models.Member.get(email="wang@example.com")
    assert member.password_hash != "long enough secret"
    assert verify_password(member.password_hash, "long enough secret")


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"name": "   "}, "name", "REQUIRED", "This value is required"),
        ({"name": "x" * 201}, "name", "TOO_LONG", "At most 200 characters"),
        ({"name": "Bad\x00name"}, "name", "INVALID", "Control characters are not allowed"),
        ({"email": "not-an-email"}, "email", "INVALID", "Enter a valid email address"),
        (
            {"phone": "044 555 12 34"},
            "phone",
            "INVALID",
            "Enter the phone number in international form, e.g. +41445551234",
        ),
        ({"birthday": "1899-12-31"}, "birthday", "INVALID", "Enter a birthday between 1900 and today"),
        ({"password": "short"}, "password", "INVALID", "The password must have 8 to 256 characters"),
    ],
)
async def test_invalid_input_enrols_no_one(client, fields, field, code, message):
    # given
    await make_tiers()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(
        client,
        MEMBER_CREATE,
        {"input": {"name": "Anna", "email": "anna@example.com", **fields}},
        token=staff_token(staff),
    )
    # then
    assert result == error(field, code, message)
    assert await models.Member.all().count() == 0
    assert await models.TierChange.all().count() == 0


async def test_a_birthday_in_the_future_is_refused(client):
    # given
    await make_tiers()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    tomorrow = today() + timedelta(days=1)
    # when
    result = await gql(
        client,
        MEMBER_CREATE,
        {"input": {"name": "Anna", "email": "anna@example.com", "birthday": tomorrow.isoformat()}},
        token=staff_token(staff),
    )
    # then
    assert result == error("birthday", "INVALID", "Enter a birthday between 1900 and today")
    assert await models.Member.all().count() == 0


@pytest.mark.parametrize("owner", ["member", "staff"])
async def test_an_email_already_registered_is_refused_whatever_its_case(client, owner):
    # given
    await make_tiers()
    if owner == "member":
        await make_member(email="anna@example.com")
    else:
        await make_staff(models.StaffRole.EVENT_MANAGER, email="anna@example.com")
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    members_before = await models.Member.all().count()
    # when
    result = await gql(
        client, MEMBER_CREATE, {"input": {"name": "Anna", "email": "ANNA@Example.com"}}, token=staff_token(staff)
    )
    # then
    assert result == error("email", "EMAIL_TAKEN", "This email address is already registered")
    assert await models.Member.all().count() == members_before


@pytest.mark.parametrize(
    ("reference", "field", "message"),
    [("tier", "tierId", "Tier not found"), ("staff", "accountManagerId", "Account manager not found")],
)
async def test_an_unknown_tier_or_account_manager_is_not_found(client, reference, field, message):
    # given
    await make_tiers()
    if reference == "tier":
        gone = await models.Tier.create(name="Obsidian", rank=9)
    else:
        gone = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await gone.delete()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {"input": {"name": "Anna", "email": "anna@example.com", field: gid(type(gone).__name__, gone.id)}}
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(staff))
    # then
    assert result == error(field, "NOT_FOUND", message)
    assert await models.Member.all().count() == 0


@pytest.mark.parametrize(
    ("role", "active"), [(models.StaffRole.FRONT_DESK, True), (models.StaffRole.ACCOUNT_MANAGER, False)]
)
async def test_only_an_active_account_manager_can_look_after_a_member(client, role, active):
    # given
    await make_tiers()
    other = await make_staff(role, is_active=active)
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {"input": {"name": "Anna", "email": "anna@example.com", "accountManagerId": gid("Staff", other.id)}}
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(staff))
    # then
    assert result == error(
        "accountManagerId", "NOT_AN_ACCOUNT_MANAGER", "This staff member is not an active account manager"
    )
    assert await models.Member.all().count() == 0


async def test_enrolment_needs_a_tier_ladder(client):
    # given
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(
        client, MEMBER_CREATE, {"input": {"name": "Anna", "email": "anna@example.com"}}, token=staff_token(staff)
    )
    # then
    assert result == error("tierId", "NO_TIERS", "The tier ladder is empty; create tiers first")
    assert await models.Member.all().count() == 0


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (None, "UNAUTHENTICATED"),
        ("member", "FORBIDDEN"),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN"),
    ],
)
async def test_callers_without_permission_are_refused(client, caller, code):
    # given
    member = await make_member()
    token = None
    if caller == "member":
        token = member_token(member)
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await gql(client, MEMBER_CREATE, {"input": {"name": "Anna", "email": "anna@example.com"}}, token=token)
    # then
    assert result == refused("memberCreate", code)
    assert await models.Member.all().count() == 1
    assert await models.TierChange.all().count() == 0


async def test_a_referral_code_names_the_referrer_whom_the_first_purchase_rewards(client):
    # given
    await make_tiers()
    referrer = await make_member(referral_code="K7QWE3RT")
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {"input": {"name": "Anna", "email": "anna@example.com", "referralCode": "k7qwe3rt"}}
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(staff))
    # then
    assert result["data"]["memberCreate"]["errors"] == []
    member = await models.Member.get(email="anna@example.com")
    assert (member.referred_by_id, member.referral_rewarded_at) == (referrer.id, None)


async def test_an_unknown_referral_code_enrols_no_one(client):
    # given
    await make_tiers()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    variables = {"input": {"name": "Anna", "email": "anna@example.com", "referralCode": "NOSUCH"}}
    # when
    result = await gql(client, MEMBER_CREATE, variables, token=staff_token(staff))
    # then
    assert result == error("referralCode", "INVALID_REFERRAL_CODE", "No member has this referral code")
    assert await models.Member.all().count() == 0
