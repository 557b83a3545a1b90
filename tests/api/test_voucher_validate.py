"""voucherValidate: the counter checks a code; a partner finds only its own vouchers, staff only the club's."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import (
    gql,
    make_api_key,
    make_consent,
    make_member,
    make_member_reference,
    make_partner,
    make_staff,
    make_tiers,
    make_voucher,
    member_token,
    partner_gql,
    refused,
    staff_token,
)

VOUCHER_VALIDATE = """
query($code: String!) {
  voucherValidate(code: $code) {
    voucher {
      code title quantity status valid issuedAt expiresAt consumedAt
      member { reference tierName name }
    }
    errors { field code message }
  }
}
"""
ISSUED_AT = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
NOT_FOUND = {"voucher": None, "errors": [{"field": "code", "code": "NOT_FOUND", "message": "Voucher not found"}]}


async def _partner_with_key(name: str = "Maison Laurent") -> tuple[models.Partner, str]:
    partner = await make_partner(name)
    _, key = await make_api_key(partner)
    return partner, key


async def test_a_partner_sees_its_voucher_and_the_member_by_reference_and_tier_without_a_name(client):
    # given
    tiers = await make_tiers()
    partner, key = await _partner_with_key()
    member = await make_member(name="Mia Member", tier=tiers["Gold"])
    await make_voucher(member, partner, code="WINE-0001", title="Barolo tasting", at=ISSUED_AT)
    # when
    result = await partner_gql(client, VOUCHER_VALIDATE, {"code": " WINE-0001 "}, key=key)
    # then
    assert result == {
        "data": {
            "voucherValidate": {
                "voucher": {
                    "code": "WINE-0001",
                    "title": "Barolo tasting",
                    "quantity": 1,
                    "status": "ISSUED",
                    "valid": True,
                    "issuedAt": "2026-11-01T10:00:00+00:00",
                    "expiresAt": "2027-01-30T10:00:00+00:00",
                    "consumedAt": None,
                    "member": {
                        "reference": await make_member_reference(partner, member),
                        "tierName": "Gold",
                        "name": None,
                    },
                },
                "errors": [],
            }
        }
    }
    assert (await models.Voucher.get(code="WINE-0001")).status == models.VoucherStatus.ISSUED


@pytest.mark.parametrize(
    ("granted", "withdrawn", "name"),
    [(True, False, "Mia Member"), (False, False, None), (True, True, None)],
    ids=["consented", "refused", "withdrawn"],
)
async def test_the_name_shows_only_with_a_live_consent_to_partner_sharing(client, granted, withdrawn, name):
    # given
    partner, key = await _partner_with_key()
    member = await make_member(name="Mia Member")
    consent = await make_consent(member, models.ConsentPurpose.PARTNER_SHARING, granted=granted)
    await make_consent(member, models.ConsentPurpose.MARKETING, granted=True)
    if withdrawn:
        await models.Consent.filter(id=consent.id).update(granted=False)
    await make_voucher(member, partner, code="WINE-0001")
    # when
    result = await partner_gql(client, VOUCHER_VALIDATE, {"code": "WINE-0001"}, key=key)
    # then
    assert result["data"]["voucherValidate"]["voucher"]["member"]["name"] == name


async def test_expired_consumed_and_cancelled_vouchers_are_shown_as_not_valid(client):
    # given
    partner, key = await _partner_with_key()
    member = await make_member()
    now = datetime.now(timezone.utc)
    await make_voucher(member, partner, code="EXPIRED", at=now - timedelta(days=100), expires_at=now - timedelta(days=10))
    consumed_at = now - timedelta(hours=1)
    await make_voucher(member, partner, code="USED", status=models.VoucherStatus.CONSUMED, consumed_at=consumed_at)
    await make_voucher(member, partner, code="GONE", status=models.VoucherStatus.CANCELLED, cancelled_at=now)
    await make_voucher(member, partner, code="OPEN", expires_at=None)
    # when
    seen = {}
    for code in ("EXPIRED", "USED", "GONE", "OPEN"):
        result = await partner_gql(client, VOUCHER_VALIDATE, {"code": code}, key=key)
        voucher = result["data"]["voucherValidate"]["voucher"]
        seen[code] = (voucher["status"], voucher["valid"])
    # then
    assert seen == {
        "EXPIRED": ("ISSUED", False),
        "USED": ("CONSUMED", False),
        "GONE": ("CANCELLED", False),
        "OPEN": ("ISSUED", True),
    }


async def test_another_partners_code_and_an_unknown_code_get_the_same_not_found(client):
    # given
    mine, key = await _partner_with_key("Maison Laurent")
    theirs, _ = await _partner_with_key("Spa Lumen")
    member = await make_member()
    await make_voucher(member, theirs, code="SPA-0001")
    await make_voucher(member, None, code="CLUB-0001")
    # when
    other = await partner_gql(client, VOUCHER_VALIDATE, {"code": "SPA-0001"}, key=key)
    club = await partner_gql(client, VOUCHER_VALIDATE, {"code": "CLUB-0001"}, key=key)
    unknown = await partner_gql(client, VOUCHER_VALIDATE, {"code": "NOPE-0001"}, key=key)
    # then
    assert other == club == unknown == {"data": {"voucherValidate": NOT_FOUND}}
    assert await models.PartnerMemberReference.filter(partner_id=mine.id).count() == 0


async def test_the_same_code_at_two_partners_finds_each_ones_own(client):
    # given
    mine, key = await _partner_with_key("Maison Laurent")
    theirs, _ = await _partner_with_key("Spa Lumen")
    member = await make_member()
    await make_voucher(member, theirs, code="SAME-1", title="Massage")
    await make_voucher(member, mine, code="SAME-1", title="Tasting")
    # when
    result = await partner_gql(client, VOUCHER_VALIDATE, {"code": "SAME-1"}, key=key)
    # then
    assert result["data"]["voucherValidate"]["voucher"]["title"] == "Tasting"


@pytest.mark.parametrize("code", ["", "   ", "x" * 101, "BAD\x00CODE"])
async def test_a_malformed_code_is_refused(client, code):
    # given
    _, key = await _partner_with_key()
    # when
    result = await partner_gql(client, VOUCHER_VALIDATE, {"code": code}, key=key)
    # then
    assert result == {
        "data": {
            "voucherValidate": {
                "voucher": None,
                "errors": [
                    {"field": "code", "code": "INVALID", "message": "Enter the voucher code as printed: 1 to 100 characters"}
                ],
            }
        }
    }


async def test_the_front_desk_validates_club_vouchers_with_the_members_name_but_not_partners(client):
    # given
    front_desk = await make_staff(models.StaffRole.FRONT_DESK)
    partner, _ = await _partner_with_key()
    member = await make_member(name="Mia Member")
    await make_voucher(member, None, code="CLUB-0001", title="Champagne at the bar")
    await make_voucher(member, partner, code="WINE-0001")
    token = staff_token(front_desk)
    # when
    club = await gql(client, VOUCHER_VALIDATE, {"code": "CLUB-0001"}, token=token)
    theirs = await gql(client, VOUCHER_VALIDATE, {"code": "WINE-0001"}, token=token)
    # then
    voucher = club["data"]["voucherValidate"]["voucher"]
    assert (voucher["title"], voucher["valid"], voucher["member"]) == (
        "Champagne at the bar",
        True,
        {"reference": None, "tierName": "Silver", "name": "Mia Member"},
    )
    assert theirs == {"data": {"voucherValidate": NOT_FOUND}}


@pytest.mark.parametrize("caller", ["anonymous", "member", "event manager", "partner manager"])
async def test_callers_who_take_no_vouchers_are_refused(client, caller):
    # given
    member = await make_member()
    await make_voucher(member, None, code="CLUB-0001")
    token = {
        "anonymous": None,
        "member": member_token(member),
        "event manager": staff_token(await make_staff(models.StaffRole.EVENT_MANAGER)),
        "partner manager": staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER)),
    }[caller]
    # when
    result = await gql(client, VOUCHER_VALIDATE, {"code": "CLUB-0001"}, token=token)
    # then
    assert result == refused("voucherValidate", "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN")


async def test_a_code_issued_twice_is_ambiguous_at_the_counter(client):
    # given
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001")
    await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    result = await partner_gql(client, VOUCHER_VALIDATE, {"code": "WINE-0001"}, key=key)
    # then
    assert result == {"data": {"voucherValidate": {"voucher": None, "errors": [{
        "field": "code",
        "code": "AMBIGUOUS_CODE",
        "message": "This code was issued more than once; it cannot be checked or taken until the issuer sorts it out: "
        "ask the member for their voucher's details and contact the club",
    }]}}}
