"""pointsTransfer: a member gives some of their points to another member, never more than they have."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_member,
    make_staff,
    member_token,
    points_of,
    refused,
    staff_token,
)

POINTS_TRANSFER = """
mutation($input: PointsTransferInput!) {
  pointsTransfer(input: $input) {
    member { id pointsBalance }
    entry { kind source amount balanceAfter reason consumedLots { amount } }
    errors { field code message }
  }
}
"""
RECEIVED = """
query($id: ID!) {
  member(id: $id) {
    pointsBalance
    pointsHistory { edges { node { kind source amount reason lot { amount expiresAt } } } }
  }
}
"""
UNDONE = {"member": None, "entry": None}


def transfer_input(sender, receiver, points, key="gift-1", **fields):
    values = {
        "fromMemberId": gid("Member", sender.id),
        "toMemberId": gid("Member", receiver.id),
        "points": points,
        "idempotencyKey": key,
    }
    return {"input": {**values, **fields}}


def error(field, code, message):
    return {"data": {"pointsTransfer": {**UNDONE, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_member_gives_points_and_the_receiver_gets_them_with_their_expiry_dates(client):
    # given: 40 points earned long ago, 100 recently
    now = datetime.now(timezone.utc)
    sender, receiver = await make_member(name="Ann"), await make_member(name="Ben")
    old = await make_earning(sender, 40, at=now - timedelta(days=700))
    await make_earning(sender, 100, at=now - timedelta(days=10))
    # when
    result = await gql(
        client,
        POINTS_TRANSFER,
        transfer_input(sender, receiver, 60, note="Happy birthday!"),
        token=member_token(sender),
    )
    received = await gql(client, RECEIVED, {"id": gid("Member", receiver.id)}, token=member_token(receiver))
    # then
    assert result == {
        "data": {
            "pointsTransfer": {
                "member": {"id": gid("Member", sender.id), "pointsBalance": 80},
                "entry": {
                    "kind": "TRANSFER_OUT",
                    "source": "TRANSFER",
                    "amount": -60,
                    "balanceAfter": 80,
                    "reason": "Happy birthday!",
                    "consumedLots": [{"amount": 40}, {"amount": 20}],
                },
                "errors": [],
            }
        }
    }
    expiries = [lot.expires_at.isoformat() for lot in await models.PointsLot.filter(member_id=sender.id).order_by("id")]
    assert received == {
        "data": {
            "member": {
                "pointsBalance": 60,
                "pointsHistory": {
                    "edges": [
                        {
                            "node": {
                                "kind": "TRANSFER_IN",
                                "source": "TRANSFER",
                                "amount": 20,
                                "reason": "Happy birthday!",
                                "lot": {"amount": 20, "expiresAt": expiries[1]},
                            }
                        },
                        {
                            "node": {
                                "kind": "TRANSFER_IN",
                                "source": "TRANSFER",
                                "amount": 40,
                                "reason": "Happy birthday!",
                                "lot": {"amount": 40, "expiresAt": expiries[0]},
                            }
                        },
                    ]
                },
            }
        }
    }
    assert (await models.PointsLot.get(entry_id=old.id)).remaining == 0
    assert (await points_of(sender), await points_of(receiver)) == ((80, 0), (60, 0))
    assert await ledger.check_invariants() == []


async def test_fifty_concurrent_transfers_of_30_from_100_points_let_exactly_three_through(client):
    # given
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 100, at=datetime.now(timezone.utc))
    token = member_token(sender)
    # when
    results = await asyncio.gather(
        *(
            gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 30, key=f"k{n}"), token=token)
            for n in range(50)
        )
    )
    # then
    payloads = [result["data"]["pointsTransfer"] for result in results]
    sent = [payload for payload in payloads if payload["errors"] == []]
    refusals = [payload for payload in payloads if payload["errors"]]
    assert len(sent) == 3
    assert sorted(payload["entry"]["balanceAfter"] for payload in sent) == [10, 40, 70]
    assert {(e["field"], e["code"], e["message"]) for p in refusals for e in p["errors"]} == {
        ("points", "INSUFFICIENT_POINTS", "Only 10 points are available")
    }
    assert len(refusals) == 47
    assert (await points_of(sender), await points_of(receiver)) == ((10, 0), (90, 0))
    assert await models.LedgerEntry.filter(kind=models.EntryKind.TRANSFER_OUT).count() == 3
    assert await ledger.check_invariants() == []


async def test_concurrent_retries_with_one_key_transfer_once_and_answer_alike(client):
    # given
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 100, at=datetime.now(timezone.utc))
    token = member_token(sender)
    # when
    results = await asyncio.gather(
        *(gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 70), token=token) for _ in range(10))
    )
    # then
    assert results[0]["data"]["pointsTransfer"]["errors"] == []
    assert all(result == results[0] for result in results)
    assert (await points_of(sender), await points_of(receiver)) == ((30, 0), (70, 0))
    assert await ledger.check_invariants() == []


async def test_a_retry_returns_the_same_payload_and_another_use_of_the_key_is_refused(client):
    # given
    sender, receiver = await make_member(), await make_member()
    await make_earning(sender, 100, at=datetime.now(timezone.utc))
    token = member_token(sender)
    first = await gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 25), token=token)
    # when
    retry = await gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 25), token=token)
    other_arguments = await gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 26), token=token)
    # then
    assert first["data"]["pointsTransfer"]["errors"] == []
    assert retry == first
    assert other_arguments == error(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used for a different request; use a new key",
    )
    assert (await points_of(sender), await points_of(receiver)) == ((75, 0), (25, 0))


@pytest.mark.parametrize(
    ("case", "points", "field", "code", "message"),
    [
        ("self", 10, "toMemberId", "SELF_TRANSFER", "Choose another member to send points to"),
        ("deleted", 10, "toMemberId", "NOT_FOUND", "Member not found"),
        ("not a member id", 10, "toMemberId", "NOT_FOUND", "Member not found"),
        ("suspended", 10, "toMemberId", "NOT_FOUND", "Member not found"),
        ("friend", 101, "points", "INSUFFICIENT_POINTS", "Only 100 points are available"),
        ("friend", 0, "points", "INVALID", "The points must be a positive whole number of at most 1,000,000"),
        (
            "friend",
            5001,
            "points",
            "DAILY_LIMIT_EXCEEDED",
            "You can send 5,000 more points today (at most 5,000 a day)",
        ),
    ],
)
async def test_a_refused_transfer_moves_nothing(client, case, points, field, code, message):
    # given
    sender = await make_member()
    await make_earning(sender, 100, at=datetime.now(timezone.utc))
    receivers = {
        "self": sender,
        "deleted": await make_member(),
        "suspended": await make_member(status=models.MemberStatus.SUSPENDED),
        "friend": await make_member(),
    }
    await receivers["deleted"].delete()
    variables = transfer_input(sender, receivers.get(case, sender), points)
    if case == "not a member id":
        variables["input"]["toMemberId"] = gid("Purchase", 1)
    # when
    result = await gql(client, POINTS_TRANSFER, variables, token=member_token(sender))
    # then
    assert result == error(field, code, message)
    assert await points_of(sender) == (100, 0)
    assert await models.LedgerEntry.filter(source=models.EntrySource.TRANSFER).count() == 0


@pytest.mark.parametrize(
    ("caller", "outcome"),
    [
        (None, "UNAUTHENTICATED"),
        ("another member", "NOT_FOUND"),
        (models.StaffRole.FRONT_DESK, "FORBIDDEN"),
        (models.StaffRole.ACCOUNT_MANAGER, "FORBIDDEN"),
        (models.StaffRole.ADMINISTRATOR, "FORBIDDEN"),
    ],
)
async def test_only_the_member_themself_gives_their_points(client, caller, outcome):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    sender, receiver = await make_member(account_manager_id=manager.id), await make_member()
    await make_earning(sender, 100, at=datetime.now(timezone.utc))
    token = None
    if caller == "another member":
        token = member_token(receiver)
    elif caller == models.StaffRole.ACCOUNT_MANAGER:
        token = staff_token(manager)
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await gql(client, POINTS_TRANSFER, transfer_input(sender, receiver, 50), token=token)
    # then
    if outcome == "NOT_FOUND":
        assert result == error("fromMemberId", "NOT_FOUND", "Member not found")
    else:
        assert result == refused("pointsTransfer", outcome)
    assert (await points_of(sender), await points_of(receiver)) == ((100, 0), (0, 0))
