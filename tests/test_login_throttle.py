"""Sign-in throttling: per account (failed attempts) and per client address (every attempt), shared through the database."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from domain import buckets, models
from domain.auth import ADDRESS_ATTEMPTS
from tests.factories import gql, make_member, make_staff

LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { field code message } } }"
PASSWORD = "correct horse"
WRONG = {"field": None, "code": "INVALID_CREDENTIALS", "message": "The email or the password is not correct"}


def too_many(payload: dict) -> int:
    """The seconds a refused attempt is told to wait; fails unless the attempt was refused for throttling.

    They depend on how long the password checks before it took (a fraction of a second each), since
    buckets drain continuously: tests bound them instead of naming them.
    """
    assert payload["token"] is None
    [error] = payload["errors"]
    seconds = int(error["message"].removeprefix("Too many sign-in attempts; try again in ").removesuffix(" seconds"))
    assert error == {
        "field": None,
        "code": "TOO_MANY_ATTEMPTS",
        "message": f"Too many sign-in attempts; try again in {seconds} seconds",
    }
    return seconds


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> dict:
    result = await gql(client, LOGIN, {"input": {"email": email, "password": password}})
    return result["data"]["login"]


def errors(payloads: list[dict]) -> list[list[dict]]:
    return [payload["errors"] for payload in payloads]


def account_key(email: str) -> str:
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


@pytest.fixture
async def elsewhere(settings, database) -> AsyncIterator[httpx.AsyncClient]:
    """A client at another address than the `client` fixture's 127.0.0.1."""
    transport = httpx.ASGITransport(app=create_app(settings), client=("198.51.100.7", 4242))
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield http


async def test_five_failures_lock_the_account_and_even_the_right_password_is_not_checked(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    failures = [await attempt(client, "mia@example.com", "wrong horse") for _ in range(5)]
    # when
    locked = await attempt(client, "mia@example.com", PASSWORD)
    # then
    assert errors(failures) == [[WRONG]] * 5
    assert 50 <= too_many(locked) <= 60
    assert await models.AuthSession.all().count() == 0
    outcomes = await models.AuditEntry.filter(kind=models.AuditKind.AUTH).order_by("id").values_list("outcome", flat=True)
    assert outcomes == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_the_lock_drains_one_attempt_a_minute(client):
    # given: locked a minute ago
    await make_member(email="mia@example.com", password=PASSWORD)
    for _ in range(5):
        await attempt(client, "mia@example.com", "wrong horse")
    await models.RateBucket.filter(key=account_key("mia@example.com")).update(updated_at=time.time() - 61)
    # when
    allowed = await attempt(client, "mia@example.com", "wrong horse")
    refused = await attempt(client, "mia@example.com", PASSWORD)
    # then
    assert allowed["errors"] == [WRONG]
    assert 50 <= too_many(refused) <= 60


async def test_a_success_forgets_the_failures(client):
    # given: four failures, then the right password
    await make_member(email="mia@example.com", password=PASSWORD)
    for _ in range(4):
        await attempt(client, "mia@example.com", "wrong horse")
    success = await attempt(client, "mia@example.com", PASSWORD)
    # when
    again = [await attempt(client, "mia@example.com", "wrong horse") for _ in range(6)]
    # then
    assert success["errors"] == [] and success["token"]
    assert errors(again[:5]) == [[WRONG]] * 5
    assert 50 <= too_many(again[5]) <= 60


async def test_the_account_is_the_normalized_email_and_unknown_emails_are_locked_alike(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    await make_member(email="otto@example.com", password=PASSWORD)
    for typed in ("MIA@example.com", " mia@EXAMPLE.com ", "mia@example.com", "Mia@Example.Com", "mia@example.com"):
        await attempt(client, typed, "wrong horse")
    for _ in range(5):
        await attempt(client, "nobody@example.com", "wrong horse")
    # when
    mia = await attempt(client, "mia@example.com", PASSWORD)
    nobody = await attempt(client, "nobody@example.com", "wrong horse")
    otto = await attempt(client, "otto@example.com", PASSWORD)
    # then
    assert 50 <= too_many(mia) <= 60 and 50 <= too_many(nobody) <= 60
    assert otto["errors"] == []


async def test_staff_accounts_are_throttled_too(client):
    # given
    await make_staff(models.StaffRole.ADMINISTRATOR, email="root@clubgraph.test", password=PASSWORD)
    for _ in range(5):
        await attempt(client, "root@clubgraph.test", "guess")
    # when
    result = await attempt(client, "root@clubgraph.test", PASSWORD)
    # then
    assert 50 <= too_many(result) <= 60


async def test_concurrent_guesses_at_one_account_reach_the_password_check_five_times_only(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    # when
    results = await asyncio.gather(*(attempt(client, "mia@example.com", f"guess {n}") for n in range(20)))
    # then
    assert errors(results).count([WRONG]) == 5
    assert [50 <= too_many(result) <= 60 for result in results if result["errors"] != [WRONG]] == [True] * 15


async def test_one_address_gets_thirty_attempts_at_once_whatever_the_accounts(client, elsewhere):
    # given: 29 attempts from this address just now, at other accounts
    await make_member(email="mia@example.com", password=PASSWORD)
    await buckets.charge("login-address:127.0.0.1", 29, ADDRESS_ATTEMPTS)
    # when
    thirtieth = await attempt(client, "guest@example.com", "guess")
    from_here = await attempt(client, "mia@example.com", PASSWORD)
    from_elsewhere = await attempt(elsewhere, "mia@example.com", PASSWORD)
    # then
    assert thirtieth["errors"] == [WRONG]
    assert 1 <= too_many(from_here) <= 2
    assert from_elsewhere["errors"] == [] and from_elsewhere["token"]
    # refused at the address, the attempt did not count against the account
    assert await models.RateBucket.filter(key=account_key("mia@example.com")).count() == 0
    assert await models.AuthSession.all().count() == 1


async def test_successful_sign_ins_count_against_the_address_too(client):
    # given: 29 attempts from this address just now
    await make_member(email="mia@example.com", password=PASSWORD)
    await buckets.charge("login-address:127.0.0.1", 29, ADDRESS_ATTEMPTS)
    signed_in = await attempt(client, "mia@example.com", PASSWORD)
    # when
    result = await attempt(client, "mia@example.com", PASSWORD)
    # then
    assert signed_in["errors"] == []
    assert 1 <= too_many(result) <= 2
    assert await models.AuthSession.all().count() == 1


async def test_an_address_drains_one_attempt_every_two_seconds(client):
    # given: 30 attempts from this address, the last one 2 seconds ago
    await make_member(email="mia@example.com", password=PASSWORD)
    await buckets.charge("login-address:127.0.0.1", 30, ADDRESS_ATTEMPTS, now=time.time() - 2.5)
    # when
    result = await attempt(client, "mia@example.com", PASSWORD)
    # then
    assert result["errors"] == []
