"""purchaseRecord: staff record a purchase at an outlet; the member earns its points, once."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from tests.factories import (
    token_of,
    gid,
    gql,
    make_campaign,
    make_member,
    make_staff,
    make_tiers,
    points_of,
    refused,
    staff_token,
)

PURCHASE_RECORD = """
mutation($input: PurchaseRecordInput!) {
  purchaseRecord(input: $input) {
    purchase {
      id amount paidWithPoints currency outlet externalReference pointsEarned pointsReversed refundedAmount createdAt
      member { id pointsBalance }
    }
    entries { kind source amount balanceAfter reason lot { amount expiresAt } }
    errors { field code message }
  }
}
"""


def purchase_input(member, **fields):
    values = {
        "memberId": gid("Member", member.id),
        "amount": "120.50",
        "currency": "CHF",
        "outlet": "Cigar lounge",
        "externalReference": "TILL-3-0042",
        "idempotencyKey": "till-3-0042",
    }
    return {"input": {**values, **fields}}


def error(field, code, message):
    return {
        "data": {
            "purchaseRecord": {
                "purchase": None,
                "entries": None,
                "errors": [{"field": field, "code": code, "message": message}],
            }
        }
    }


async def test_front_desk_records_a_purchase_and_the_member_earns_with_the_running_campaign(client):
    # given: a Platinum member (x1.5) during a campaign adding half as much again
    platinum = (await make_tiers())["Platinum"]
    member = await make_member(tier=platinum)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    now = datetime.now(timezone.utc)
    await make_campaign("0.50", name="Cigar week", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6))
    # when: 120.50 of which 20.50 paid with points: floor(100 x 1.5) = 150, and a bonus of 75
    result = await gql(client, PURCHASE_RECORD, purchase_input(member, paidWithPoints="20.50"), token=staff_token(desk))
    # then
    purchase = await models.Purchase.get(member_id=member.id)
    lots = await models.PointsLot.filter(member_id=member.id).order_by("id")
    assert (str(purchase.amount), str(purchase.paid_with_points)) == ("120.50", "20.50")
    assert result == {
        "data": {
            "purchaseRecord": {
                "purchase": {
                    "id": gid("Purchase", purchase.id),
                    # The front desk records spend but does not read it back (domain/privacy.py).
                    "amount": None,
                    "paidWithPoints": None,
                    "currency": "CHF",
                    "outlet": "Cigar lounge",
                    "externalReference": "TILL-3-0042",
                    "pointsEarned": 225,
                    "pointsReversed": 0,
                    "refundedAmount": None,
                    "createdAt": purchase.created_at.isoformat(),
                    "member": {"id": gid("Member", member.id), "pointsBalance": 225},
                },
                "entries": [
                    {
                        "kind": "EARN",
                        "source": "PURCHASE",
                        "amount": 150,
                        "balanceAfter": 150,
                        "reason": "Purchase at Cigar lounge",
                        "lot": {"amount": 150, "expiresAt": lots[0].expires_at.isoformat()},
                    },
                    {
                        "kind": "EARN",
                        "source": "CAMPAIGN",
                        "amount": 75,
                        "balanceAfter": 225,
                        "reason": "Cigar week",
                        "lot": {"amount": 75, "expiresAt": lots[1].expires_at.isoformat()},
                    },
                ],
                "errors": [],
            }
        }
    }
    assert purchase.recorded_by_id == desk.id
    assert lots[0].expires_at == purchase.created_at + timedelta(days=730)
    assert await points_of(member) == (225, 0)
    assert await ledger.check_invariants() == []


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"amount": "12.345"}, "amount", "INVALID", "The amount can have at most two decimals"),
        ({"amount": "0.00"}, "amount", "INVALID", "The amount must be greater than zero"),
        ({"paidWithPoints": "130"}, "paidWithPoints", "INVALID", "The part paid with points cannot exceed the amount"),
        ({"currency": "US$"}, "currency", "INVALID", "Enter the currency as a three-letter ISO code, e.g. CHF"),
        ({"currency": "USD"}, "currency", "UNSUPPORTED_CURRENCY", "Purchases earn points in CHF only"),
        ({"outlet": ""}, "outlet", "REQUIRED", "This value is required"),
        ({"externalReference": "x" * 101}, "externalReference", "TOO_LONG", "At most 100 characters"),
        (
            {"idempotencyKey": ""},
            "idempotencyKey",
            "INVALID",
            "The idempotency key must be 1 to 200 printable characters",
        ),
        ({"memberId": gid("Tier", 1)}, "memberId", "NOT_FOUND", "Member not found"),
    ],
)
async def test_invalid_input_records_nothing(client, fields, field, code, message):
    # given
    member = await make_member()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(client, PURCHASE_RECORD, purchase_input(member, **fields), token=staff_token(desk))
    # then
    assert result == error(field, code, message)
    assert await models.Purchase.all().count() == 0
    assert await points_of(member) == (0, 0)


async def test_a_deleted_or_suspended_member_earns_nothing(client):
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    gone = await make_member()
    await gone.delete()
    suspended = await make_member(status=models.MemberStatus.SUSPENDED)
    # when
    unknown = await gql(client, PURCHASE_RECORD, purchase_input(gone), token=staff_token(desk))
    inactive = await gql(client, PURCHASE_RECORD, purchase_input(suspended), token=staff_token(desk))
    # then
    assert unknown == error("memberId", "NOT_FOUND", "Member not found")
    assert inactive == error("memberId", "MEMBER_INACTIVE", "Only active members earn points")
    assert await models.Purchase.all().count() == 0


async def test_the_same_receipt_under_a_new_key_is_a_duplicate(client):
    # given
    member = await make_member()
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    await gql(client, PURCHASE_RECORD, purchase_input(member), token=token)
    # when
    result = await gql(client, PURCHASE_RECORD, purchase_input(member, idempotencyKey="another"), token=token)
    # then
    assert result == error(
        "externalReference", "DUPLICATE_PURCHASE", "This outlet already recorded a purchase with this reference"
    )
    assert await models.Purchase.all().count() == 1
    assert await points_of(member) == (120, 0)


async def test_a_retry_returns_the_same_payload_and_moves_nothing(client):
    # given
    member = await make_member()
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    first = await gql(client, PURCHASE_RECORD, purchase_input(member), token=token)
    # when
    retry = await gql(client, PURCHASE_RECORD, purchase_input(member), token=token)
    other_arguments = await gql(client, PURCHASE_RECORD, purchase_input(member, amount="99.00"), token=token)
    # then
    assert first["data"]["purchaseRecord"]["errors"] == []
    assert retry == first
    assert other_arguments == error(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different request; use a new key",
    )
    assert await models.Purchase.all().count() == 1
    assert await points_of(member) == (120, 0)


async def test_concurrent_requests_with_one_key_record_once_and_answer_alike(client):
    # given
    member = await make_member()
    token = staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    # when
    results = await asyncio.gather(
        *(gql(client, PURCHASE_RECORD, purchase_input(member), token=token) for _ in range(10))
    )
    # then
    assert results[0]["data"]["purchaseRecord"]["errors"] == []
    assert all(result == results[0] for result in results)
    assert await models.Purchase.all().count() == 1
    assert await points_of(member) == (120, 0)
    assert await ledger.check_invariants() == []


@pytest.mark.parametrize(
    ("caller", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        ("member", "FORBIDDEN", None),
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
    result = await gql(client, PURCHASE_RECORD, purchase_input(member), token=token)
    # then
    assert result == refused("purchaseRecord", code, message)
    assert await models.Purchase.all().count() == 0
    assert await models.IdempotencyRecord.all().count() == 0
    assert await points_of(member) == (0, 0)
