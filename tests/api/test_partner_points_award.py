"""partnerPointsAward: a partner credits a member for a purchase at its shop, once, within a daily cap."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models, partner_points
from domain.viewer import partner_viewer
from tests.factories import (
    make_api_key,
    make_member,
    make_member_reference,
    make_partner,
    partner_gql,
    points_of,
    set_thresholds,
    make_tiers,
)

AWARD = """
mutation($input: PartnerPointsAwardInput!) {
  partnerPointsAward(input: $input) {
    award { memberReference points purchaseReference awardedAt }
    remainingToday
    errors { field code message }
  }
}
"""
UNDONE = {"award": None, "remainingToday": None}


def award(reference: str, points: int, purchase: str = "R-1", key: str | None = None) -> dict:
    return {
        "input": {
            "memberReference": reference,
            "points": points,
            "purchaseReference": purchase,
            "idempotencyKey": key or f"key-{purchase}",
        }
    }


def refusal(field: str, code: str, message: str) -> dict:
    return {"data": {"partnerPointsAward": {**UNDONE, "errors": [{"field": field, "code": code, "message": message}]}}}


async def _partner_with_key(name: str = "Maison Laurent", **fields) -> tuple[models.Partner, str]:
    partner = await make_partner(name, **fields)
    _, key = await make_api_key(partner)
    return partner, key


async def test_the_member_is_credited_through_the_ledger_and_the_award_recorded(client):
    # given
    partner, key = await _partner_with_key(daily_award_cap=1000)
    member = await make_member()
    reference = await make_member_reference(partner, member)
    # when
    result = await partner_gql(client, AWARD, award(reference, 150, "TILL-42"), key=key)
    # then
    payload = result["data"]["partnerPointsAward"]
    awarded_at = payload["award"]["awardedAt"]
    assert payload == {
        "award": {"memberReference": reference, "points": 150, "purchaseReference": "TILL-42", "awardedAt": awarded_at},
        "remainingToday": 850,
        "errors": [],
    }
    [row] = await models.PartnerPointsAward.all()
    entry = await models.LedgerEntry.get(id=row.entry_id)
    assert (row.partner_id, row.member_id, row.points, row.purchase_reference) == (partner.id, member.id, 150, "TILL-42")
    assert (entry.member_id, entry.kind, entry.source, entry.amount, entry.reference, entry.reason) == (
        member.id,
        models.EntryKind.EARN,
        models.EntrySource.PARTNER,
        150,
        "TILL-42",
        "Purchase at Maison Laurent",
    )
    assert await points_of(member) == (150, 0)
    assert await ledger.check_invariants() == []


async def test_a_purchase_is_awarded_once_and_a_retry_returns_the_first_answer(client):
    # given
    partner, key = await _partner_with_key()
    member = await make_member()
    reference = await make_member_reference(partner, member)
    first = await partner_gql(client, AWARD, award(reference, 100, "TILL-42", key="a"), key=key)
    # when
    retry = await partner_gql(client, AWARD, award(reference, 100, "TILL-42", key="a"), key=key)
    again = await partner_gql(client, AWARD, award(reference, 100, "TILL-42", key="b"), key=key)
    # then
    assert retry == first
    awarded_at = datetime.fromisoformat(first["data"]["partnerPointsAward"]["award"]["awardedAt"])
    assert again == refusal(
        "purchaseReference",
        "ALREADY_AWARDED",
        f"Points for this purchase reference were already awarded on {awarded_at:%Y-%m-%d at %H:%M} UTC",
    )
    assert await points_of(member) == (100, 0)
    assert await models.PartnerPointsAward.all().count() == 1


async def test_two_partners_may_use_the_same_purchase_reference(client):
    # given
    mine, my_key = await _partner_with_key("Maison Laurent")
    theirs, their_key = await _partner_with_key("Spa Lumen")
    member = await make_member()
    # when
    first = await partner_gql(client, AWARD, award(await make_member_reference(mine, member), 10, "R-1"), key=my_key)
    second = await partner_gql(client, AWARD, award(await make_member_reference(theirs, member), 20, "R-1"), key=their_key)
    # then
    assert first["data"]["partnerPointsAward"]["errors"] == second["data"]["partnerPointsAward"]["errors"] == []
    assert await points_of(member) == (30, 0)


async def test_the_daily_cap_counts_this_partners_awards_to_this_member_in_the_utc_day(client):
    # given: 900 of 1,000 awarded today; yesterday's and another partner's awards do not count
    partner, key = await _partner_with_key("Maison Laurent", daily_award_cap=1000)
    other, other_key = await _partner_with_key("Spa Lumen", daily_award_cap=1000)
    member = await make_member()
    reference = await make_member_reference(partner, member)
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    await partner_points.award_points(
        viewer=partner_viewer(partner.id),
        member_reference=reference,
        points=1000,
        purchase_reference="OLD",
        idempotency_key="old",
        now=yesterday,
    )
    other_reference = await make_member_reference(other, member)
    await partner_gql(client, AWARD, award(other_reference, 700, "SPA-1"), key=other_key)
    await partner_gql(client, AWARD, award(reference, 900, "R-1"), key=key)
    # when
    over = await partner_gql(client, AWARD, award(reference, 101, "R-2"), key=key)
    fits = await partner_gql(client, AWARD, award(reference, 100, "R-3"), key=key)
    # then
    assert over == refusal(
        "points", "DAILY_CAP_EXCEEDED", "This member can get 100 more points from you today (at most 1,000 a UTC day)"
    )
    assert fits["data"]["partnerPointsAward"]["remainingToday"] == 0
    assert await points_of(member) == (2700, 0)


async def test_concurrent_awards_cannot_together_pass_the_cap(client):
    # given: a cap of 1,000, and 20 concurrent awards of 100 for different purchases
    partner, key = await _partner_with_key(daily_award_cap=1000)
    member = await make_member()
    reference = await make_member_reference(partner, member)
    # when
    results = await asyncio.gather(
        *(partner_gql(client, AWARD, award(reference, 100, f"R-{n}"), key=key) for n in range(20))
    )
    # then
    payloads = [result["data"]["partnerPointsAward"] for result in results]
    awarded = [payload for payload in payloads if payload["errors"] == []]
    assert len(awarded) == 10
    assert {error["code"] for payload in payloads for error in payload["errors"]} == {"DAILY_CAP_EXCEEDED"}
    assert await points_of(member) == (1000, 0)
    assert await models.PartnerPointsAward.all().count() == 10
    assert await ledger.check_invariants() == []


async def test_concurrent_awards_of_one_purchase_to_two_members_credit_only_one(client):
    # given
    partner, key = await _partner_with_key()
    members = [await make_member() for _ in range(2)]
    references = [await make_member_reference(partner, member) for member in members]
    # when
    results = await asyncio.gather(
        *(partner_gql(client, AWARD, award(ref, 50, "R-1", key=f"k{n}"), key=key) for n, ref in enumerate(references * 5))
    )
    # then
    payloads = [result["data"]["partnerPointsAward"] for result in results]
    assert sum(payload["errors"] == [] for payload in payloads) == 1
    assert {error["code"] for payload in payloads for error in payload["errors"]} == {"ALREADY_AWARDED"}
    assert sorted([await points_of(member) for member in members]) == [(0, 0), (50, 0)]
    assert await ledger.check_invariants() == []


async def test_another_partners_reference_and_an_unknown_one_are_not_found(client):
    # given
    _, key = await _partner_with_key("Maison Laurent")
    other, _ = await _partner_with_key("Spa Lumen")
    member = await make_member()
    their_reference = await make_member_reference(other, member)
    # when
    theirs = await partner_gql(client, AWARD, award(their_reference, 10, "R-1"), key=key)
    unknown = await partner_gql(client, AWARD, award("mbr_00000000000000000000", 10, "R-2"), key=key)
    # then
    assert theirs == unknown == refusal("memberReference", "NOT_FOUND", "Member not found")
    assert await points_of(member) == (0, 0)


async def test_a_member_who_is_not_active_is_not_found(client):
    # given
    partner, key = await _partner_with_key()
    member = await make_member(status=models.MemberStatus.SUSPENDED)
    # when
    result = await partner_gql(client, AWARD, award(await make_member_reference(partner, member), 10), key=key)
    # then
    assert result == refusal("memberReference", "NOT_FOUND", "Member not found")
    assert await points_of(member) == (0, 0)


@pytest.mark.parametrize(
    ("change", "field", "code", "message"),
    [
        ({"points": 0}, "points", "INVALID", "Award 1 to 100,000 points"),
        ({"points": 100_001}, "points", "INVALID", "Award 1 to 100,000 points"),
        ({"points": -5}, "points", "INVALID", "Award 1 to 100,000 points"),
        ({"purchaseReference": "  "}, "purchaseReference", "REQUIRED", "This value is required"),
        ({"purchaseReference": "x" * 101}, "purchaseReference", "TOO_LONG", "At most 100 characters"),
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID", "The idempotency key must be 1 to 200 printable characters"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(client, change, field, code, message):
    # given
    partner, key = await _partner_with_key()
    member = await make_member()
    variables = award(await make_member_reference(partner, member), 10)
    variables["input"].update(change)
    # when
    result = await partner_gql(client, AWARD, variables, key=key)
    # then
    assert result == refusal(field, code, message)
    assert await points_of(member) == (0, 0)


async def test_partner_points_qualify_for_a_tier_at_once(client):
    # given
    tiers = await make_tiers()
    await set_thresholds(tiers["Gold"], points=500)
    partner, key = await _partner_with_key()
    member = await make_member(tier=tiers["Silver"])
    # when
    await partner_gql(client, AWARD, award(await make_member_reference(partner, member), 600), key=key)
    # then
    assert (await models.Member.get(id=member.id).prefetch_related("tier")).tier.name == "Gold"
