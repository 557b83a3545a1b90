"""bench/generate.py at a small scale: exact counts, balances that are the ledger's sums, invariants, logins."""

from __future__ import annotations

import time

import pytest
from tortoise import connections

from bench.generate import LOGIN_MEMBERS, NOW, check_sample, generate
from domain import ledger, models
from tests.conftest import BACKEND
from tests.factories import gql

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="bench/generate.py loads with PostgreSQL's COPY (run with CLUBGRAPH_TEST_DATABASE=postgres)"
)

MEMBERS, ENTRIES = 200, 6_000
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"


SCHEMA = """
SELECT 'index ' || indexname || ': ' || indexdef AS definition FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1
"""


async def _schema() -> list[str]:
    return [row["definition"] for row in await connections.get("default").execute_query_dict(SCHEMA)]


async def test_generates_a_consistent_ledger_that_the_app_can_sign_in_to(database, client):
    # given: the migrated, emptied test database
    migrated = await _schema()
    started = time.monotonic()
    # when
    figures = await generate(database, members=MEMBERS, entries=ENTRIES, report=lambda _line: None)
    # then: exactly what was asked for, quickly
    assert time.monotonic() - started < 10
    # the indexes and constraints dropped for the load are back, exactly as the migrations made them
    assert await _schema() == migrated
    assert await models.Member.all().count() == figures["member"] == MEMBERS
    assert await models.LedgerEntry.all().count() == figures["ledger_entry"] == ENTRIES
    assert await models.PointsLot.all().count() == figures["points_lot"] > 0
    kinds = set(await models.LedgerEntry.all().distinct().values_list("kind", flat=True))
    assert kinds == {models.EntryKind.EARN, models.EntryKind.REDEEM, models.EntryKind.EXPIRE}
    assert await models.MemberPreference.all().count() > 0
    assert await models.Member.filter(account_manager_id__isnull=False).count() > MEMBERS // 2
    # every balance is the sum of the member's entries, and nothing is left for the expiry job
    rows = await connections.get("default").execute_query_dict(
        "SELECT m.id FROM member m LEFT JOIN (SELECT member_id, SUM(amount) AS total FROM ledger_entry GROUP BY member_id) e"
        " ON e.member_id = m.id WHERE m.points_balance <> COALESCE(e.total, 0)"
    )
    assert rows == []
    assert not await models.PointsLot.filter(expires_at__lte=NOW, remaining__gt=0).exists()
    # the domain's own invariant check, over the whole ledger and on a sample
    assert await ledger.check_invariants() == []
    assert await check_sample(database, sample=50) == []
    # the id sequences continue after the generated rows: the app can append
    await ledger.credit(member_id=1, points=10, fields=ledger.EntryFields(source=models.EntrySource.STAFF))
    assert await ledger.check_invariants() == []
    # the demo logins work: the club manager, the demo member, and another member with a password
    other = await models.Member.get(id=min(LOGIN_MEMBERS, MEMBERS))  # the last one with a password
    for email, password in (("manager@clubgraph.example", "manager-demo"), ("member@clubgraph.example", "member-demo"),
                            (other.email, "member-demo")):
        answer = await gql(client, LOGIN, {"input": {"email": email, "password": password}})
        assert answer["data"]["login"]["token"], (email, answer)
