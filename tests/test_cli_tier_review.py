"""`clubgraph tier-review`: the downgrade job as operators run it, in its own process on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from domain import models
from tests.factories import make_earning, make_member, make_tiers, set_thresholds

REPO = Path(__file__).resolve().parent.parent


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "test"}
    command = [sys.executable, "-m", "api.cli", "tier-review", *args]
    return subprocess.run(command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=60)


async def test_tier_review_prints_each_batch_and_a_summary(database_url):
    # given: three Gold members due for review, one of them still qualifying
    tiers = await make_tiers()
    await set_thresholds(tiers["Gold"], points=2_000)
    members = [await make_member(tier=tiers["Gold"], tier_review_on=date(2026, 5, 1)) for _ in range(3)]
    await make_earning(members[2], 2_000, at=datetime(2026, 4, 1, tzinfo=timezone.utc))
    newcomer = await make_member(tier=tiers["Silver"])
    # when
    done = run_cli(database_url, "--date", "2026-06-01", "--batch-size", "2")
    # then
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "Tier review of 2026-06-01\n"
        "  batch 1: 2 reviewed, 0 kept their tier, 2 moved down\n"
        "  batch 2: 1 reviewed, 1 kept their tier, 0 moved down\n"
        "Done: 3 reviewed, 1 kept their tier, 2 moved down; 1 without a review date were given one.\n"
    )
    rows = await models.Member.filter(id__in=[m.id for m in [*members, newcomer]]).order_by("id")
    assert [(m.tier_id, m.tier_review_on) for m in rows] == [
        (tiers["Silver"].id, date(2027, 6, 1)),
        (tiers["Silver"].id, date(2027, 6, 1)),
        (tiers["Gold"].id, date(2027, 5, 1)),
        (tiers["Silver"].id, date(2027, 6, 1)),
    ]


def test_a_batch_size_below_one_is_refused(database_url):
    # when
    done = run_cli(database_url, "--batch-size", "0")
    # then
    assert done.returncode == 2
    assert done.stderr.endswith("error: --batch-size must be at least 1\n")
