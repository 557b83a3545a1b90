"""rewardRedeem of rewards the club issues itself: its own rewards and push-only partners' items.

One transaction: stock, points, redemption and voucher together, or nothing at all.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from domain.models import EntryKind
from tests.factories import (
    gid,
    gql,
    make_club_reward,
    make_earning,
    make_member,
    make_partner,
    make_tiers,
    member_token,
    refused,
    reward_gid,
)

REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) {
  redemption { id reference status title quantity points partnerName failureCode failureMessage
               createdAt settledAt
               voucher { id code fulfilmentId title quantity status issuedAt expiresAt consumedAt partnerName } }
  errors { field code message } } }"""
CODE = re.compile(r"^CLUB-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")
EARNED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _input(reward_key: str, *, quantity: int = 1, key: str = "redeem-1") -> dict:
    return {"input": {"rewardId": reward_gid(reward_key), "quantity": quantity, "idempotencyKey": key}}


async def _member_with(points: int, **fields) -> models.Member:
    member = await make_member(**fields)
    await make_earning(member, points, at=EARNED_AT)
    return member


def _error(field: str | None, code: str, message: str) -> dict:
    return {"data": {"rewardRedeem": {"redemption": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_member_redeems_a_club_reward_and_gets_a_voucher_in_one_go(client):
    # given
    member = await _member_with(2_000)
    reward = await make_club_reward("Cellar tour", points_price=600, stock=5, validity_days=30)
    # when
    result = await gql(client, REDEEM, _input(f"club:{reward.id}", quantity=2), token=member_token(member))
    # then
    redemption = await models.Redemption.get(member_id=member.id)
    voucher = await models.Voucher.get(redemption_id=redemption.id)
    created = redemption.created_at.isoformat()
    assert result == {
        "data": {
            "rewardRedeem": {
                "redemption": {
                    "id": gid("Redemption", redemption.id),
                    "reference": redemption.reference,
                    "status": "COMPLETED",
                    "title": "Cellar tour",
                    "quantity": 2,
                    "points": 1_200,
                    "partnerName": None,
                    "failureCode": None,
                    "failureMessage": None,
                    "createdAt": created,
                    "settledAt": created,
                    "voucher": {
                        "id": gid("Voucher", voucher.id),
                        "code": voucher.code,
                        "fulfilmentId": None,
                        "title": "Cellar tour",
                        "quantity": 2,
                        "status": "ISSUED",
                        "issuedAt": created,
                        "expiresAt": (redemption.created_at + timedelta(days=30)).isoformat(),
                        "consumedAt": None,
                        "partnerName": None,
                    },
                },
                "errors": [],
            }
        }
    }
    assert CODE.match(voucher.code), voucher.code
    assert redemption.reference.startswith("rdm_")
    assert (await models.Reward.get(id=reward.id)).stock == 3
    assert (await models.Member.get(id=member.id)).points_balance == 800
    entries = await models.LedgerEntry.filter(member_id=member.id).exclude(kind=EntryKind.EARN).values_list(
        "kind", "amount", "reference"
    )
    assert entries == [(EntryKind.REDEEM, -1_200, redemption.reference)]
    assert redemption.redeem_entry_id is not None and redemption.hold_entry_id is None
    assert await ledger.check_invariants() == []


async def test_vouchers_codes_differ_and_unlimited_stock_stays_unlimited(client):
    # given
    member = await _member_with(10_000)
    reward = await make_club_reward(points_price=100, stock=None)
    # when
    for n in range(5):
        result = await gql(client, REDEEM, _input(f"club:{reward.id}", key=f"k{n}"), token=member_token(member))
        assert result["data"]["rewardRedeem"]["errors"] == []
    # then
    codes = await models.Voucher.filter(member_id=member.id).values_list("code", flat=True)
    assert len(set(codes)) == 5 and all(CODE.match(code) for code in codes)
    assert (await models.Reward.get(id=reward.id)).stock is None
    assert (await models.Member.get(id=member.id)).points_balance == 9_500


async def test_a_retry_returns_the_same_redemption_and_spends_once(client):
    # given
    member = await _member_with(2_000)
    reward = await make_club_reward(points_price=500, stock=5)
    first = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member))
    # when
    again = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member))
    # then
    assert again == first
    assert await models.Redemption.filter(member_id=member.id).count() == 1
    assert (await models.Member.get(id=member.id)).points_balance == 1_500
    assert (await models.Reward.get(id=reward.id)).stock == 4


async def test_concurrent_retries_with_one_key_make_one_redemption(client):
    # given
    member = await _member_with(2_000)
    reward = await make_club_reward(points_price=500, stock=5)
    # when
    results = await asyncio.gather(
        *(gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member)) for _ in range(10))
    )
    # then
    assert all(result == results[0] for result in results), results
    assert results[0]["data"]["rewardRedeem"]["redemption"]["status"] == "COMPLETED"
    assert await models.Redemption.filter(member_id=member.id).count() == 1
    assert (await models.Member.get(id=member.id)).points_balance == 1_500
    assert (await models.Reward.get(id=reward.id)).stock == 4
    assert await ledger.check_invariants() == []


async def test_the_same_key_for_another_quantity_is_refused(client):
    # given
    member = await _member_with(2_000)
    reward = await make_club_reward(points_price=500, stock=5)
    await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member))
    # when
    result = await gql(client, REDEEM, _input(f"club:{reward.id}", quantity=2), token=member_token(member))
    # then
    assert result == _error(
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was used for another reward or quantity; use a new key for a new redemption",
    )


@pytest.mark.parametrize(
    ("case", "points", "stock", "quantity", "expected"),
    [
        ("out of stock", 5_000, 1, 2, ("quantity", "OUT_OF_STOCK", "Not enough 'Cellar tour' left for 2")),
        ("sold out", 5_000, 0, 1, ("quantity", "OUT_OF_STOCK", "Not enough 'Cellar tour' left for 1")),
        ("too few points", 999, 5, 2, ("quantity", "INSUFFICIENT_POINTS", "This takes 1000 points and only 999 are available")),
        ("no units", 5_000, 5, 0, ("quantity", "INVALID", "The quantity must be a whole number from 1 to 10")),
        ("too many units", 50_000, 50, 11, ("quantity", "INVALID", "The quantity must be a whole number from 1 to 10")),
    ],
)
async def test_a_refused_redemption_moves_nothing(client, case, points, stock, quantity, expected):
    # given
    member = await _member_with(points)
    reward = await make_club_reward("Cellar tour", points_price=500, stock=stock)
    # when
    result = await gql(client, REDEEM, _input(f"club:{reward.id}", quantity=quantity), token=member_token(member))
    # then
    assert result == _error(*expected)
    assert (await models.Reward.get(id=reward.id)).stock == stock
    assert (await models.Member.get(id=member.id)).points_balance == points
    assert await models.Redemption.all().count() == 0
    assert await models.Voucher.all().count() == 0


async def test_a_reward_above_the_members_tier_is_refused_and_allowed_from_that_tier_up(client):
    # given
    tiers = await make_tiers()
    silver = await _member_with(5_000, tier=tiers["Silver"])
    platinum = await _member_with(5_000, tier=tiers["Platinum"])
    reward = await make_club_reward("Cellar tour", points_price=500, tier=tiers["Gold"])
    # when
    refused_ = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(silver))
    allowed = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(platinum))
    # then
    assert refused_ == _error("rewardId", "TIER_NOT_ALLOWED", "'Cellar tour' is for Gold members and above")
    assert allowed["data"]["rewardRedeem"]["redemption"]["status"] == "COMPLETED"


@pytest.mark.parametrize("case", ["malformed key", "unknown reward", "inactive reward", "another type", "unknown partner"])
async def test_an_unknown_reward_is_not_found(client, case):
    # given
    member = await _member_with(5_000)
    inactive = await make_club_reward(active=False)
    reward_id = {
        "malformed key": reward_gid("club:abc"),
        "unknown reward": reward_gid(f"club:{inactive.id + 1}"),
        "inactive reward": reward_gid(f"club:{inactive.id}"),
        "another type": gid("Member", member.id),
        "unknown partner": reward_gid("partner:999:wine"),
    }[case]
    # when
    result = await gql(
        client,
        REDEEM,
        {"input": {"rewardId": reward_id, "quantity": 1, "idempotencyKey": "k"}},
        token=member_token(member),
    )
    # then
    assert result == _error("rewardId", "NOT_FOUND", "Reward not found")


async def test_a_suspended_member_cannot_redeem(client):
    # given
    member = await _member_with(5_000, status=models.MemberStatus.SUSPENDED)
    reward = await make_club_reward()
    # when
    result = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member))
    # then
    assert result == _error(None, "MEMBER_INACTIVE", "Your membership is suspended: redeeming is closed")


async def test_an_item_of_a_push_only_partner_is_issued_by_the_club(client):
    # given
    tiers = await make_tiers()
    member = await _member_with(5_000, tier=tiers["Gold"])
    partner = await make_partner("Maison Laurent")
    item = await models.PartnerCatalogItem.create(
        partner_id=partner.id, item_id="truffle-box", title="Truffle box", points_price=1_500, stock=2,
        tier_restriction="gold", category="food", validity_days=10, pushed_at=EARNED_AT,
    )
    # when
    result = await gql(client, REDEEM, _input(f"partner:{partner.id}:truffle-box"), token=member_token(member))
    sold_out = await gql(
        client, REDEEM, _input(f"partner:{partner.id}:truffle-box", quantity=2, key="k2"), token=member_token(member)
    )
    # then
    redemption = result["data"]["rewardRedeem"]["redemption"]
    assert (redemption["status"], redemption["points"], redemption["partnerName"]) == ("COMPLETED", 1_500, "Maison Laurent")
    assert redemption["voucher"]["partnerName"] == "Maison Laurent"
    assert CODE.match(redemption["voucher"]["code"])
    assert sold_out == _error("quantity", "OUT_OF_STOCK", "Not enough 'Truffle box' left for 2")
    assert (await models.PartnerCatalogItem.get(id=item.id)).stock == 1
    row = await models.Redemption.get(member_id=member.id)
    assert (row.partner_id, row.item_id, row.reward_id) == (partner.id, "truffle-box", None)
    assert (await models.Member.get(id=member.id)).points_balance == 3_500


async def test_only_a_signed_in_member_redeems(client):
    # given
    reward = await make_club_reward()
    from tests.factories import make_staff, staff_token

    staff = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    anonymous = await gql(client, REDEEM, _input(f"club:{reward.id}"))
    as_staff = await gql(client, REDEEM, _input(f"club:{reward.id}"), token=staff_token(staff))
    # then
    assert anonymous == refused("rewardRedeem", "UNAUTHENTICATED")
    assert as_staff == refused("rewardRedeem", "FORBIDDEN")


async def test_concurrent_requests_with_one_key_for_the_last_unit_all_get_the_redemption(client):
    # given: one unit left, and the member's app sending its request several times at once
    member = await _member_with(2_000)
    reward = await make_club_reward(points_price=500, stock=1)
    # when
    results = await asyncio.gather(
        *(gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member)) for _ in range(5))
    )
    # then: every answer is the one redemption, none OUT_OF_STOCK
    assert all(result == results[0] for result in results), results
    assert results[0]["data"]["rewardRedeem"]["redemption"]["status"] == "COMPLETED"
    assert (await models.Member.get(id=member.id)).points_balance == 1_500
    assert (await models.Reward.get(id=reward.id)).stock == 0


async def test_concurrent_requests_with_one_key_for_the_last_points_all_get_the_redemption(client):
    # given: points for one unit only
    member = await _member_with(500)
    reward = await make_club_reward(points_price=500, stock=5)
    # when
    results = await asyncio.gather(
        *(gql(client, REDEEM, _input(f"club:{reward.id}"), token=member_token(member)) for _ in range(5))
    )
    # then
    assert all(result == results[0] for result in results), results
    assert results[0]["data"]["rewardRedeem"]["redemption"]["status"] == "COMPLETED"
    assert (await models.Member.get(id=member.id)).points_balance == 0
