"""voucherConsume: a voucher is taken at most once, only at the counter it belongs to."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import (
    gql,
    make_api_key,
    make_member,
    make_partner,
    make_staff,
    make_voucher,
    partner_gql,
    staff_token,
)

VOUCHER_CONSUME = """
mutation($input: VoucherConsumeInput!) {
  voucherConsume(input: $input) {
    voucher { code status valid consumedAt member { tierName } }
    errors { field code message }
  }
}
"""


def consume(code: str, key: str = "k1") -> dict:
    return {"input": {"code": code, "idempotencyKey": key}}


async def _partner_with_key(name: str = "Maison Laurent") -> tuple[models.Partner, str]:
    partner = await make_partner(name)
    _, key = await make_api_key(partner)
    return partner, key


async def _status(code: str, partner: models.Partner | None) -> tuple[str, datetime | None]:
    voucher = await models.Voucher.get(code=code, partner_id=partner.id if partner else None)
    return str(voucher.status), voucher.consumed_at


def _error(code: str, message: str) -> dict:
    return {"data": {"voucherConsume": {"voucher": None, "errors": [{"field": "code", "code": code, "message": message}]}}}


async def test_the_issuing_partner_takes_its_voucher(client):
    # given
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001"), key=key)
    # then
    payload = result["data"]["voucherConsume"]
    consumed_at = payload["voucher"]["consumedAt"]
    assert payload == {
        "voucher": {"code": "WINE-0001", "status": "CONSUMED", "valid": False, "consumedAt": consumed_at, "member": {"tierName": "Silver"}},
        "errors": [],
    }
    status, when = await _status("WINE-0001", partner)
    assert (status, when.isoformat()) == ("consumed", consumed_at)


async def test_a_second_take_is_refused_naming_when_it_was_used(client):
    # given
    partner, key = await _partner_with_key()
    used_at = datetime(2026, 11, 20, 18, 30, tzinfo=timezone.utc)
    await make_voucher(
        await make_member(), partner, code="WINE-0001", status=models.VoucherStatus.CONSUMED, consumed_at=used_at
    )
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001"), key=key)
    # then
    assert result == _error("ALREADY_CONSUMED", "This voucher was already used on 2026-11-20 at 18:30 UTC")
    assert await _status("WINE-0001", partner) == ("consumed", used_at)


async def test_an_expired_or_cancelled_voucher_is_refused_and_stays_as_it_was(client):
    # given
    partner, key = await _partner_with_key()
    member = await make_member()
    now = datetime.now(timezone.utc)
    expired_at = (now - timedelta(days=1)).replace(microsecond=0)
    await make_voucher(member, partner, code="OLD", at=now - timedelta(days=91), expires_at=expired_at)
    cancelled_at = datetime(2026, 11, 2, 9, 5, tzinfo=timezone.utc)
    await make_voucher(member, partner, code="GONE", status=models.VoucherStatus.CANCELLED, cancelled_at=cancelled_at)
    # when
    expired = await partner_gql(client, VOUCHER_CONSUME, consume("OLD", "k1"), key=key)
    cancelled = await partner_gql(client, VOUCHER_CONSUME, consume("GONE", "k2"), key=key)
    # then
    assert expired == _error("EXPIRED", f"This voucher expired on {expired_at:%Y-%m-%d at %H:%M} UTC")
    assert cancelled == _error("CANCELLED", "This voucher was cancelled on 2026-11-02 at 09:05 UTC")
    assert await _status("OLD", partner) == ("issued", None)
    assert await _status("GONE", partner) == ("cancelled", None)


async def test_another_partners_voucher_is_not_found_and_stays_issued(client):
    # given
    _, key = await _partner_with_key("Maison Laurent")
    theirs, _ = await _partner_with_key("Spa Lumen")
    await make_voucher(await make_member(), theirs, code="SPA-0001")
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("SPA-0001"), key=key)
    # then
    assert result == _error("NOT_FOUND", "Voucher not found")
    assert await _status("SPA-0001", theirs) == ("issued", None)


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_another_key_is_refused(client):
    # given
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001")
    first = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001", "till-7"), key=key)
    # when
    retry = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001", "till-7"), key=key)
    other_key = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001", "till-8"), key=key)
    reused = await partner_gql(client, VOUCHER_CONSUME, consume("OTHER-CODE", "till-7"), key=key)
    # then
    assert first["data"]["voucherConsume"]["errors"] == []
    assert retry == first
    assert other_key["data"]["voucherConsume"]["errors"][0]["code"] == "ALREADY_CONSUMED"
    assert reused == {
        "data": {
            "voucherConsume": {
                "voucher": None,
                "errors": [
                    {
                        "field": "idempotencyKey",
                        "code": "IDEMPOTENCY_KEY_REUSED",
                        "message": "This idempotency key was already used for a different request; use a new key",
                    }
                ],
            }
        }
    }


async def test_thirty_concurrent_takes_with_different_keys_let_exactly_one_through(client):
    # given
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    results = await asyncio.gather(
        *(partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001", f"till-{n}"), key=key) for n in range(30))
    )
    # then
    payloads = [result["data"]["voucherConsume"] for result in results]
    taken = [payload for payload in payloads if payload["errors"] == []]
    refusals = {error["code"] for payload in payloads for error in payload["errors"]}
    assert len(taken) == 1
    assert refusals == {"ALREADY_CONSUMED"}
    assert sum(len(payload["errors"]) for payload in payloads) == 29
    status, when = await _status("WINE-0001", partner)
    assert (status, when.isoformat()) == ("consumed", taken[0]["voucher"]["consumedAt"])


async def test_concurrent_retries_with_one_key_all_get_the_one_success(client):
    # given
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    results = await asyncio.gather(
        *(partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001", "till-1"), key=key) for _ in range(10))
    )
    # then
    assert results[0]["data"]["voucherConsume"]["errors"] == []
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize("role", [models.StaffRole.FRONT_DESK, models.StaffRole.CLUB_MANAGER])
async def test_staff_take_club_vouchers_but_never_a_partners(client, role):
    # given
    token = staff_token(await make_staff(role))
    partner, _ = await _partner_with_key()
    member = await make_member()
    await make_voucher(member, None, code="CLUB-0001")
    await make_voucher(member, partner, code="WINE-0001")
    # when
    club = await gql(client, VOUCHER_CONSUME, consume("CLUB-0001", "k1"), token=token)
    theirs = await gql(client, VOUCHER_CONSUME, consume("WINE-0001", "k2"), token=token)
    # then
    assert club["data"]["voucherConsume"]["voucher"]["status"] == "CONSUMED"
    assert theirs == _error("NOT_FOUND", "Voucher not found")
    assert (await _status("CLUB-0001", None))[0] == "consumed"
    assert await _status("WINE-0001", partner) == ("issued", None)


async def test_a_partner_cannot_take_a_club_voucher(client):
    # given
    _, key = await _partner_with_key()
    await make_voucher(await make_member(), None, code="CLUB-0001")
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("CLUB-0001"), key=key)
    # then
    assert result == _error("NOT_FOUND", "Voucher not found")
    assert await _status("CLUB-0001", None) == ("issued", None)


AMBIGUOUS = {
    "field": "code",
    "code": "AMBIGUOUS_CODE",
    "message": "This code was issued more than once; it cannot be checked or taken until the issuer sorts it out: "
    "ask the member for their voucher's details and contact the club",
}


async def test_a_code_the_partner_issued_twice_is_never_taken_at_random(client, caplog):
    # given: a partner that gave one code to two valid vouchers
    partner, key = await _partner_with_key()
    first = await make_voucher(await make_member(), partner, code="WINE-0001")
    second = await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001"), key=key)
    # then
    assert result == {"data": {"voucherConsume": {"voucher": None, "errors": [AMBIGUOUS]}}}
    statuses = await models.Voucher.filter(id__in=[first.id, second.id]).values_list("status", flat=True)
    assert statuses == [models.VoucherStatus.ISSUED] * 2
    assert any(
        record.levelname == "WARNING" and "issued more than once" in record.getMessage() for record in caplog.records
    )


async def test_a_code_reused_once_the_old_voucher_is_spent_takes_the_valid_one(client):
    # given: the partner reused a code whose first voucher was taken already
    partner, key = await _partner_with_key()
    await make_voucher(await make_member(), partner, code="WINE-0001", status=models.VoucherStatus.CONSUMED)
    current = await make_voucher(await make_member(), partner, code="WINE-0001")
    # when
    result = await partner_gql(client, VOUCHER_CONSUME, consume("WINE-0001"), key=key)
    # then
    assert result["data"]["voucherConsume"]["errors"] == []
    assert (await models.Voucher.get(id=current.id)).status == models.VoucherStatus.CONSUMED
