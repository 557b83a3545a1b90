"""pointsAdjust: staff correct a balance by hand, with a reason the member sees."""

from datetime import datetime, timezone

import pytest

from domain import ledger, models
from tests.factories import (
    token_of,
    gid,
    gql,
    make_earning,
    make_member,
    make_points_refund,
    make_staff,
    points_of,
    refused,
    staff_token,
)

POINTS_ADJUST = """
mutation($input: PointsAdjustInput!) {
  pointsAdjust(input: $input) {
    member { id pointsBalance pointsDebt }
    entries { kind source amount balanceAfter reason }
    errors { field code message }
  }
}
"""
T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def adjust_input(member, points, reason="Goodwill after the late table", key="adjust-1"):
    return {"input": {"memberId": gid("Member", member.id), "points": points, "reason": reason, "idempotencyKey": key}}


def error(field, code, message):
    return {
        "data": {
            "pointsAdjust": {
                "member": None,
                "entries": None,
                "errors": [{"field": field, "code": code, "message": message}],
            }
        }
    }


async def test_a_club_manager_adds_points_which_first_clear_what_is_owed(client):
    # given: the member owes 30 points from a refund
    member = await make_member()
    await make_points_refund(member, 30, at=T0)
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    result = await gql(client, POINTS_ADJUST, adjust_input(member, 100), token=staff_token(boss))
    # then
    assert result == {
        "data": {
            "pointsAdjust": {
                "member": {"id": gid("Member", member.id), "pointsBalance": 70, "pointsDebt": 0},
                "entries": [
                    {
                        "kind": "ADJUST",
                        "source": "STAFF",
                        "amount": 100,
                        "balanceAfter": 100,
                        "reason": "Goodwill after the late table",
                    },
                    {
                        "kind": "REVERSE",
                        "source": "REFUND",
                        "amount": -30,
                        "balanceAfter": 70,
                        "reason": "Clears points owed from a refund",
                    },
                ],
                "errors": [],
            }
        }
    }
    adjustment = await models.LedgerEntry.get(kind=models.EntryKind.ADJUST)
    assert adjustment.created_by_id == boss.id
    assert await points_of(member) == (70, 0)
    assert await ledger.check_invariants() == []


async def test_the_own_account_manager_removes_points(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=manager.id)
    await make_earning(member, 100, at=T0)
    # when
    result = await gql(client, POINTS_ADJUST, adjust_input(member, -40, "Credited twice"), token=staff_token(manager))
    # then
    assert result["data"]["pointsAdjust"]["entries"] == [
        {"kind": "ADJUST", "source": "STAFF", "amount": -40, "balanceAfter": 60, "reason": "Credited twice"}
    ]
    assert await points_of(member) == (60, 0)


async def test_two_adjustments_in_one_request_each_show_the_balance_they_left(client):
    # given
    member = await make_member()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    document = """
    mutation($first: PointsAdjustInput!, $second: PointsAdjustInput!) {
      first: pointsAdjust(input: $first) { member { pointsBalance } }
      second: pointsAdjust(input: $second) { member { pointsBalance } }
    }
    """
    variables = {
        "first": adjust_input(member, 100, key="a")["input"],
        "second": adjust_input(member, 50, key="b")["input"],
    }
    # when
    result = await gql(client, document, variables, token=token)
    # then
    assert result == {
        "data": {"first": {"member": {"pointsBalance": 100}}, "second": {"member": {"pointsBalance": 150}}}
    }


@pytest.mark.parametrize(
    ("points", "reason", "field", "code", "message"),
    [
        (-101, "Too much", "points", "INSUFFICIENT_POINTS", "Only 100 points are available"),
        (0, "Nothing", "points", "INVALID", "The points must be a non-zero whole number of at most 1,000,000"),
        (10, "", "reason", "REQUIRED", "This value is required"),
        (10, "x" * 501, "reason", "TOO_LONG", "At most 500 characters"),
    ],
)
async def test_a_refused_adjustment_moves_nothing(client, points, reason, field, code, message):
    # given
    member = await make_member()
    await make_earning(member, 100, at=T0)
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    result = await gql(client, POINTS_ADJUST, adjust_input(member, points, reason), token=staff_token(boss))
    # then
    assert result == error(field, code, message)
    assert await points_of(member) == (100, 0)
    assert await models.LedgerEntry.filter(kind=models.EntryKind.ADJUST).count() == 0


async def test_a_retry_returns_the_same_payload_and_adjusts_once(client):
    # given
    member = await make_member()
    token = staff_token(await make_staff(models.StaffRole.ADMINISTRATOR))
    first = await gql(client, POINTS_ADJUST, adjust_input(member, 250), token=token)
    # when
    retry = await gql(client, POINTS_ADJUST, adjust_input(member, 250), token=token)
    other_arguments = await gql(client, POINTS_ADJUST, adjust_input(member, 260), token=token)
    # then
    assert first["data"]["pointsAdjust"]["errors"] == []
    assert retry == first
    assert other_arguments == error(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different request; use a new key",
    )
    assert await points_of(member) == (250, 0)


@pytest.mark.parametrize(
    ("caller", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        ("member", "FORBIDDEN", None),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN", None),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN", None),
        (models.StaffRole.PARTNER_MANAGER, "FORBIDDEN", None),
        ("other account manager", "FORBIDDEN", "Only the member's own account manager may change this record"),
    ],
)
async def test_callers_without_permission_are_refused(client, caller, code, message):
    # given
    member = await make_member()
    token = await token_of(caller, member)
    # when
    result = await gql(client, POINTS_ADJUST, adjust_input(member, 1000), token=token)
    # then
    assert result == refused("pointsAdjust", code, message)
    assert await points_of(member) == (0, 0)
    assert await models.LedgerEntry.all().count() == 0
