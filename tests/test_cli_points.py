"""`clubgraph ledger-check`, `expire-points` and `birthday-bonuses`, run as operators do, in their own process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from domain import models
from tests.factories import make_earning, make_member, points_of

REPO = Path(__file__).resolve().parent.parent


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "test"}
    command = [sys.executable, "-m", "api.cli", *args]
    return subprocess.run(command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=60)


async def test_ledger_check_says_the_ledger_is_consistent(database_url):
    # given
    for points in (100, 250):
        await make_earning(await make_member(), points, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    # when
    done = run_cli(database_url, "ledger-check")
    # then
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Checking the ledger of 2 members ...\nledger consistent: 2 members\n"


async def test_ledger_check_prints_each_violation_and_fails(database_url):
    # given: a balance changed behind the ledger's back
    member = await make_member()
    await make_earning(member, 100, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    await models.Member.filter(id=member.id).update(points_balance=90)
    # when
    done = run_cli(database_url, "ledger-check")
    # then
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == (
        "Checking the ledger of 1 members ...\n"
        f"  member {member.id}: balance 90, entries sum 100, lots hold 100, debt 0\n"
        "ledger inconsistent: 1 violations\n"
    )


async def test_expire_points_expires_what_is_due(database_url):
    # given
    member = await make_member()
    await make_earning(member, 40, at=datetime.now(timezone.utc) - timedelta(days=731))
    await make_earning(member, 60, at=datetime.now(timezone.utc))
    # when
    done = run_cli(database_url, "expire-points")
    # then
    assert (done.returncode, done.stderr) == (0, "")
    first, second = done.stdout.splitlines()
    assert first.startswith("Expiring the points due by ") and first.endswith(" UTC ...")
    assert second == "Expired 40 points."
    assert await points_of(member) == (60, 0)


async def test_birthday_bonuses_reward_the_members_born_on_the_day(database_url):
    # given
    celebrating = await make_member(birthday=date(1984, 3, 17))
    other = await make_member(birthday=date(1984, 3, 18))
    # when
    done = run_cli(database_url, "birthday-bonuses", "--date", "2026-03-17")
    again = run_cli(database_url, "birthday-bonuses", "--date", "2026-03-17")
    # then
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Birthday bonuses of 2026-03-17 ...\n1 members got their birthday bonus.\n"
    assert again.stdout == "Birthday bonuses of 2026-03-17 ...\n0 members got their birthday bonus.\n"
    assert (await points_of(celebrating), await points_of(other)) == ((500, 0), (0, 0))
