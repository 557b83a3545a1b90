"""memberSetTier: club managers put a member in a tier by hand, with a reason kept in the tier history."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_tiers, member_token, refused, staff_token

SET_TIER = """
mutation($input: MemberSetTierInput!) {
  memberSetTier(input: $input) {
    member { id tier { name } }
    errors { field code message }
  }
}
"""


def error(field, code, message):
    return {"data": {"memberSetTier": {"member": None, "errors": [{"field": field, "code": code, "message": message}]}}}


def set_tier(member, tier, reason="Founding patron"):
    return {"input": {"memberId": gid("Member", member.id), "tierId": gid("Tier", tier.id), "reason": reason}}


async def tier_of(member):
    return (await models.Member.get(id=member.id)).tier_id


@pytest.mark.parametrize("role", [models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR])
async def test_club_manager_moves_a_member_and_the_history_records_it(client, role):
    # given
    tiers = await make_tiers()
    boss = await make_staff(role)
    member = await make_member(tier=tiers["Silver"])
    # when
    result = await gql(
        client,
        SET_TIER,
        set_tier(member, tiers["Platinum"], reason=" 创始会员 founding patron "),
        token=staff_token(boss),
    )
    # then
    assert result == {
        "data": {
            "memberSetTier": {"member": {"id": gid("Member", member.id), "tier": {"name": "Platinum"}}, "errors": []}
        }
    }
    assert await tier_of(member) == tiers["Platinum"].id
    assert await models.TierChange.filter(member_id=member.id).values_list(
        "from_tier_id", "to_tier_id", "source", "reason", "changed_by_id"
    ) == [
        (tiers["Silver"].id, tiers["Platinum"].id, models.TierChangeSource.MANUAL, "创始会员 founding patron", boss.id)
    ]


@pytest.mark.parametrize(
    ("reason", "code", "message"),
    [
        (" ", "REQUIRED", "This value is required"),
        ("x" * 501, "TOO_LONG", "At most 500 characters"),
        ("why\x1b", "INVALID", "Control characters are not allowed"),
    ],
)
async def test_an_invalid_reason_changes_nothing(client, reason, code, message):
    # given
    tiers = await make_tiers()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(tier=tiers["Silver"])
    # when
    result = await gql(client, SET_TIER, set_tier(member, tiers["Gold"], reason=reason), token=staff_token(boss))
    # then
    assert result == error("reason", code, message)
    assert await tier_of(member) == tiers["Silver"].id
    assert await models.TierChange.all().count() == 0


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("deleted member", "memberId", "Member not found"),
        ("deleted tier", "tierId", "Tier not found"),
        ("staff id as tier id", "tierId", "Tier not found"),
    ],
)
async def test_unknown_member_or_tier_is_not_found(client, case, field, message):
    # given
    tiers = await make_tiers()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(tier=tiers["Silver"])
    gone_member = await make_member()
    await gone_member.delete()
    gone_tier = await models.Tier.create(name="Obsidian", rank=9)
    await gone_tier.delete()
    member_id, tier_id = {
        "deleted member": (gid("Member", gone_member.id), gid("Tier", tiers["Gold"].id)),
        "deleted tier": (gid("Member", member.id), gid("Tier", gone_tier.id)),
        "staff id as tier id": (gid("Member", member.id), gid("Staff", boss.id)),
    }[case]
    # when
    result = await gql(
        client,
        SET_TIER,
        {"input": {"memberId": member_id, "tierId": tier_id, "reason": "Promotion"}},
        token=staff_token(boss),
    )
    # then
    assert result == error(field, "NOT_FOUND", message)
    assert await tier_of(member) == tiers["Silver"].id
    assert await models.TierChange.all().count() == 0


async def test_the_same_tier_again_is_refused(client):
    # given
    tiers = await make_tiers()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(tier=tiers["Gold"])
    # when
    result = await gql(client, SET_TIER, set_tier(member, tiers["Gold"]), token=staff_token(boss))
    # then
    assert result == error("tierId", "UNCHANGED", "The member is already in Gold")
    assert await models.TierChange.all().count() == 0


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        (None, "UNAUTHENTICATED"),
        ("member", "FORBIDDEN"),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN"),
        ("own account manager", "FORBIDDEN"),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN"),
    ],
)
async def test_callers_without_permission_are_refused(client, caller, code):
    # given
    tiers = await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(tier=tiers["Silver"], account_manager_id=manager.id)
    token = None
    if caller == "member":
        token = member_token(member)
    elif caller == "own account manager":
        token = staff_token(manager)
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await gql(client, SET_TIER, set_tier(member, tiers["Diamond"]), token=token)
    # then
    assert result == refused("memberSetTier", code)
    assert await tier_of(member) == tiers["Silver"].id
    assert await models.TierChange.all().count() == 0
