"""benefitUse: staff record a use of a member's tier benefit, refused beyond its quota for the period."""

from datetime import date, datetime, timezone

import pytest

from domain import models
from tests.factories import (
    gid,
    gql,
    make_benefit,
    make_member,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

BENEFIT_USE = """
mutation($input: BenefitUseInput!) {
  benefitUse(input: $input) {
    member { id tier { name } }
    memberBenefit { benefit { code quota quotaPeriod } used remaining periodStart periodEnd }
    errors { field code message }
  }
}
"""


def use(member, code="guest_pass", **fields):
    return {"input": {"memberId": gid("Member", member.id), "benefitCode": code, **fields}}


def error(field, code, message):
    errors = [{"field": field, "code": code, "message": message}]
    return {"data": {"benefitUse": {"member": None, "memberBenefit": None, "errors": errors}}}


def this_year():
    year = datetime.now(timezone.utc).year
    return date(year, 1, 1), date(year, 12, 31)


async def uses(member):
    return await models.BenefitUse.filter(member_id=member.id).order_by("id").values_list(
        "benefit_code", "quantity", "note", "recorded_by_id"
    )


async def used(member, code="guest_pass"):
    return await models.BenefitUsage.filter(member_id=member.id, benefit_code=code).values_list("used", flat=True)


async def test_front_desk_records_guest_passes_and_sees_what_is_left(client):
    # given
    tiers = await make_tiers()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    member = await make_member(tier=tiers["Gold"])
    variables = use(member, quantity=2, note=" 陈先生 and guest ")
    # when
    result = await gql(client, BENEFIT_USE, variables, token=staff_token(desk))
    # then
    start, end = this_year()
    assert result == {
        "data": {
            "benefitUse": {
                "member": {"id": gid("Member", member.id), "tier": {"name": "Gold"}},
                "memberBenefit": {
                    "benefit": {"code": "guest_pass", "quota": 4, "quotaPeriod": "YEAR"},
                    "used": 2,
                    "remaining": 2,
                    "periodStart": start.isoformat(),
                    "periodEnd": end.isoformat(),
                },
                "errors": [],
            }
        }
    }
    assert await used(member) == [2]
    assert await uses(member) == [("guest_pass", 2, "陈先生 and guest", desk.id)]


async def test_a_use_beyond_the_quota_is_refused_and_records_nothing(client):
    # given
    tiers = await make_tiers()
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    member = await make_member(tier=tiers["Gold"])
    await gql(client, BENEFIT_USE, use(member, quantity=3), token=token)
    # when
    result = await gql(client, BENEFIT_USE, use(member, quantity=2), token=token)
    # then
    assert result == error("quantity", "QUOTA_EXCEEDED", "Guest pass: only 1 of 4 left this year")
    assert await used(member) == [3]
    assert [row[1] for row in await uses(member)] == [3]


async def test_an_unlimited_benefit_has_no_remaining_count(client):
    # given
    tiers = await make_tiers()
    await make_benefit(tiers["Silver"], "cloakroom")
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    member = await make_member(tier=tiers["Silver"])
    # when
    result = await gql(client, BENEFIT_USE, use(member, "cloakroom", quantity=5), token=token)
    # then: without a quota period, uses are counted per calendar year
    start, end = this_year()
    assert result == {
        "data": {
            "benefitUse": {
                "member": {"id": gid("Member", member.id), "tier": {"name": "Silver"}},
                "memberBenefit": {
                    "benefit": {"code": "cloakroom", "quota": None, "quotaPeriod": None},
                    "used": 5,
                    "remaining": None,
                    "periodStart": start.isoformat(),
                    "periodEnd": end.isoformat(),
                },
                "errors": [],
            }
        }
    }
    assert await used(member, "cloakroom") == [5]


@pytest.mark.parametrize(
    ("case", "field", "code", "message"),
    [
        ("benefit of a higher tier", "benefitCode", "BENEFIT_NOT_IN_TIER", "Silver has no benefit 'guest_pass'"),
        ("no quantity", "quantity", "INVALID", "The quantity must be between 1 and 100"),
        ("note too long", "note", "TOO_LONG", "At most 500 characters"),
        ("note with control characters", "note", "INVALID", "Control characters are not allowed"),
        ("deleted member", "memberId", "NOT_FOUND", "Member not found"),
        ("staff id as member id", "memberId", "NOT_FOUND", "Member not found"),
    ],
)
async def test_a_refused_use_changes_nothing(client, case, field, code, message):
    # given
    tiers = await make_tiers()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    silver, gold = await make_member(tier=tiers["Silver"]), await make_member(tier=tiers["Gold"])
    gone = await make_member(tier=tiers["Gold"])
    await gone.delete()
    variables = {
        "benefit of a higher tier": use(silver),
        "no quantity": use(gold, quantity=0),
        "note too long": use(gold, note="x" * 501),
        "note with control characters": use(gold, note="guest\x07"),
        "deleted member": use(gone),
        "staff id as member id": {"input": {"memberId": gid("Staff", 1), "benefitCode": "guest_pass"}},
    }[case]
    # when
    result = await gql(client, BENEFIT_USE, variables, token=token)
    # then
    assert result == error(field, code, message)
    assert await models.BenefitUsage.all().count() == 0
    assert await models.BenefitUse.all().count() == 0


OWN_MANAGER, OTHER_MANAGER = "own account manager", "another account manager"


@pytest.mark.parametrize(
    ("caller", "outcome"),
    [
        (None, "UNAUTHENTICATED"),
        ("the member", "FORBIDDEN"),
        ("another member", "FORBIDDEN"),
        (models.StaffRole.FRONT_DESK, "OK"),
        (OWN_MANAGER, "OK"),
        (OTHER_MANAGER, "NOT_MINE"),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN"),
        (models.StaffRole.CLUB_MANAGER, "OK"),
        (models.StaffRole.ADMINISTRATOR, "OK"),
    ],
)
async def test_who_may_record_a_use(client, caller, outcome):
    # given
    tiers = await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(tier=tiers["Gold"], account_manager_id=manager.id)
    tokens = {
        None: None,
        "the member": member_token(member),
        "another member": member_token(await make_member(tier=tiers["Gold"])),
        OWN_MANAGER: staff_token(manager),
        OTHER_MANAGER: staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)),
    }
    token = tokens[caller] if caller in tokens else staff_token(await make_staff(caller))
    # when
    result = await gql(client, BENEFIT_USE, use(member), token=token)
    # then
    if outcome == "OK":
        assert result["data"]["benefitUse"]["errors"] == []
        assert await used(member) == [1]
        return
    if outcome == "NOT_MINE":
        message = "Only the member's own account manager may change this record"
        assert result == refused("benefitUse", "FORBIDDEN", message)
    else:
        assert result == refused("benefitUse", outcome)
    assert await used(member) == []
    assert await uses(member) == []
