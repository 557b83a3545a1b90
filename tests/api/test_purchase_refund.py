"""purchaseRefund: staff refund a purchase, and its points go back; spent ones are owed."""

from datetime import datetime, timezone

import pytest

from domain import ledger, models
from domain.ledger import EntryFields
from tests.factories import (
    token_of,
    gid,
    gql,
    make_member,
    make_purchase,
    make_staff,
    points_of,
    refused,
    staff_token,
)

PURCHASE_REFUND = """
mutation($input: PurchaseRefundInput!) {
  purchaseRefund(input: $input) {
    purchase { id refundedAmount pointsEarned pointsReversed member { pointsBalance pointsDebt } }
    refundedAmount pointsReversed pointsOwed
    entries { kind source amount balanceAfter reason consumedLots { amount lot { id } } }
    errors { field code message }
  }
}
"""
UNDONE = {"purchase": None, "refundedAmount": None, "pointsReversed": None, "pointsOwed": None, "entries": None}
T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def refund_input(purchase, **fields):
    return {"input": {"purchaseId": gid("Purchase", purchase.id), "idempotencyKey": "refund-1", **fields}}


def error(field, code, message):
    return {"data": {"purchaseRefund": {**UNDONE, "errors": [{"field": field, "code": code, "message": message}]}}}


async def a_member_with_a_purchase(amount="200.00"):
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=manager.id)
    return manager, member, await make_purchase(member, amount, at=T0)


async def test_the_account_manager_refunds_part_of_a_purchase_and_its_share_of_points_goes_back(client):
    # given
    manager, member, purchase = await a_member_with_a_purchase("200.00")
    lot = await models.PointsLot.get(entry__purchase_id=purchase.id)
    # when
    result = await gql(client, PURCHASE_REFUND, refund_input(purchase, amount="50.00"), token=staff_token(manager))
    # then
    assert result == {
        "data": {
            "purchaseRefund": {
                "purchase": {
                    "id": gid("Purchase", purchase.id),
                    "refundedAmount": "50.00",
                    "pointsEarned": 200,
                    "pointsReversed": 50,
                    "member": {"pointsBalance": 150, "pointsDebt": 0},
                },
                "refundedAmount": "50.00",
                "pointsReversed": 50,
                "pointsOwed": 0,
                "entries": [
                    {
                        "kind": "REVERSE",
                        "source": "REFUND",
                        "amount": -50,
                        "balanceAfter": 150,
                        "reason": "Refund of a purchase at Bar",
                        "consumedLots": [{"amount": 50, "lot": {"id": gid("PointsLot", lot.id)}}],
                    }
                ],
                "errors": [],
            }
        }
    }
    reverse = await models.LedgerEntry.get(kind=models.EntryKind.REVERSE)
    assert (reverse.purchase_id, reverse.created_by_id) == (purchase.id, manager.id)
    assert await points_of(member) == (150, 0)
    assert await ledger.check_invariants() == []


async def test_a_refund_of_points_already_spent_leaves_them_owed(client):
    # given: 200 points earned, 170 spent
    manager, member, purchase = await a_member_with_a_purchase("200.00")
    spend = EntryFields(source=models.EntrySource.REDEMPTION, reason="Dinner for two")
    await ledger.debit(member_id=member.id, points=170, kind=models.EntryKind.REDEEM, fields=spend)
    # when: refunded in full, the amount left to refund being the default
    result = await gql(client, PURCHASE_REFUND, refund_input(purchase), token=staff_token(manager))
    # then
    payload = result["data"]["purchaseRefund"]
    assert (payload["refundedAmount"], payload["pointsReversed"], payload["pointsOwed"]) == ("200.00", 200, 170)
    assert [(e["amount"], e["balanceAfter"]) for e in payload["entries"]] == [(-30, 0)]
    assert payload["purchase"]["member"] == {"pointsBalance": 0, "pointsDebt": 170}
    assert await points_of(member) == (0, 170)
    assert await ledger.check_invariants() == []


async def test_refunding_more_than_is_left_is_refused(client):
    # given
    manager, member, purchase = await a_member_with_a_purchase("200.00")
    token = staff_token(manager)
    await gql(client, PURCHASE_REFUND, refund_input(purchase, amount="150.00", idempotencyKey="a"), token=token)
    # when
    too_much = await gql(
        client, PURCHASE_REFUND, refund_input(purchase, amount="50.01", idempotencyKey="b"), token=token
    )
    await gql(client, PURCHASE_REFUND, refund_input(purchase, idempotencyKey="c"), token=token)
    nothing_left = await gql(client, PURCHASE_REFUND, refund_input(purchase, idempotencyKey="d"), token=token)
    # then
    assert too_much == error("amount", "REFUND_TOO_LARGE", "At most 50.00 CHF of this purchase is left to refund")
    assert nothing_left == error("purchaseId", "ALREADY_REFUNDED", "This purchase was already refunded in full")
    refunded = await models.Purchase.get(id=purchase.id)
    assert (refunded.refunded_amount, refunded.points_reversed) == (200, 200)
    assert await points_of(member) == (0, 0)


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"amount": "-1.00"}, "amount", "INVALID", "The amount must be greater than zero"),
        ({"amount": "1.001"}, "amount", "INVALID", "The amount can have at most two decimals"),
        ({"purchaseId": gid("Member", 1)}, "purchaseId", "NOT_FOUND", "Purchase not found"),
        ({"purchaseId": gid("Purchase", 999_999)}, "purchaseId", "NOT_FOUND", "Purchase not found"),
    ],
)
async def test_invalid_input_refunds_nothing(client, fields, field, code, message):
    # given
    manager, member, purchase = await a_member_with_a_purchase()
    # when
    result = await gql(client, PURCHASE_REFUND, refund_input(purchase, **fields), token=staff_token(manager))
    # then
    assert result == error(field, code, message)
    assert (await models.Purchase.get(id=purchase.id)).refunded_amount == 0
    assert await points_of(member) == (200, 0)


async def test_a_retry_returns_the_same_payload_and_refunds_nothing_more(client):
    # given
    manager, member, purchase = await a_member_with_a_purchase()
    token = staff_token(manager)
    first = await gql(client, PURCHASE_REFUND, refund_input(purchase, amount="20.00"), token=token)
    # when
    retry = await gql(client, PURCHASE_REFUND, refund_input(purchase, amount="20.00"), token=token)
    other_arguments = await gql(client, PURCHASE_REFUND, refund_input(purchase, amount="30.00"), token=token)
    # then
    assert first["data"]["purchaseRefund"]["errors"] == []
    assert retry == first
    assert other_arguments == error(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different request; use a new key",
    )
    assert (await models.Purchase.get(id=purchase.id)).refunded_amount == 20
    assert await points_of(member) == (180, 0)


@pytest.mark.parametrize(
    ("caller", "code", "message"),
    [
        (None, "UNAUTHENTICATED", None),
        ("member", "FORBIDDEN", None),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN", None),
        (models.StaffRole.EVENT_MANAGER, "FORBIDDEN", None),
        ("other account manager", "FORBIDDEN", "Only the member's own account manager may change this record"),
    ],
)
async def test_callers_without_permission_are_refused(client, caller, code, message):
    # given
    manager, member, purchase = await a_member_with_a_purchase()
    token = await token_of(caller, member)
    # when
    result = await gql(client, PURCHASE_REFUND, refund_input(purchase), token=token)
    # then
    assert result == refused("purchaseRefund", code, message)
    assert (await models.Purchase.get(id=purchase.id)).refunded_amount == 0
    assert await points_of(member) == (200, 0)
