"""Period starts in SQL, for aggregates grouped by day, week, month or year: the same on both databases."""

from datetime import datetime, timezone

import pytest

from domain.db import Period, fetch_dicts, period_start_sql
from tests.factories import make_member, make_spend


async def period_of(at: datetime, period: Period) -> list[dict]:
    await make_spend(await make_member(), "10.00", at=at)
    return await fetch_dicts(f"SELECT {period_start_sql('created_at', period)} AS start FROM purchase", [])


@pytest.mark.parametrize(
    ("period", "expected"),
    [(Period.DAY, "2026-11-25"), (Period.WEEK, "2026-11-23"), (Period.MONTH, "2026-11-01"), (Period.YEAR, "2026-01-01")],
)
async def test_a_moment_falls_in_the_period_starting_on_its_first_day(period, expected):
    assert await period_of(datetime(2026, 11, 25, 23, 30, tzinfo=timezone.utc), period) == [{"start": expected}]


@pytest.mark.parametrize(("day", "monday"), [(23, "2026-11-23"), (29, "2026-11-23"), (30, "2026-11-30")])
async def test_weeks_run_from_monday_to_sunday(day, monday):
    assert await period_of(datetime(2026, 11, day, tzinfo=timezone.utc), Period.WEEK) == [{"start": monday}]
