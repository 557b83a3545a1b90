"""The background jobs: one pass does every job once; a failure stops none of the others."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest

from api.jobs import run_jobs_once, run_periodically
from domain import ledger, models, sessions
from domain.viewer import member_viewer
from tests.factories import make_earning, make_member, make_staff, make_ticket, points_of

# What a pass finds to do in `a_club_with_work_to_do`; every other job finds nothing.
WORK = {
    "points_expired": 40,
    "birthday_bonuses": 1,
    "idempotency_keys_purged": 1,
    "tickets_breached": 1,
    "event_surveys_sent": 0,
    "members_graded": 3,
    "birthday_greetings_raised": 1,
    "event_waitlists_closed": 0,
    "rate_buckets_pruned": 1,
    "sessions_purged": 1,
    "event_reminders_written": 0,  # webhook events of jobs: tests/test_webhooks.py
    "expiry_notices_written": 0,
}


async def a_club_with_work_to_do(now: datetime) -> tuple[models.Member, models.Member]:
    """A member whose 40 points expired yesterday, one whose birthday is today, a key used 8 days ago,
    a ticket past its SLA, a member whose account manager should greet them in three days, a sign-in
    throttle untouched for two days, and a sign-in that ended 8 days ago."""
    lapsed = await make_member(birthday=None)
    await make_earning(lapsed, 40, at=now - timedelta(days=731))
    celebrating = await make_member(birthday=now.date().replace(year=1980))
    record = await models.IdempotencyRecord.create(scope="staff:1:points_adjust", key="k", fingerprint="f", result={})
    await models.IdempotencyRecord.filter(id=record.id).update(created_at=now - timedelta(days=8))
    await make_ticket(lapsed, created_at=now - timedelta(days=10))
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await make_member(birthday=(now + timedelta(days=3)).date().replace(year=1975), account_manager_id=manager.id)
    await models.RateBucket.create(key="login-address:192.0.2.1", level=3, updated_at=(now - timedelta(days=2)).timestamp())
    await sessions.start(viewer=member_viewer(lapsed.id), client_address=None, ttl_seconds=3600, now=now - timedelta(days=8))
    return lapsed, celebrating


async def test_one_pass_expires_points_awards_birthdays_and_forgets_old_keys():
    # given
    now = datetime.now(timezone.utc).replace(month=3, day=17)
    lapsed, celebrating = await a_club_with_work_to_do(now)
    # when
    done = await run_jobs_once(now=now)
    again = await run_jobs_once(now=now)
    # then
    assert done == WORK
    assert again == {name: 0 for name in WORK} | {"members_graded": 3}  # grading is done afresh every pass
    assert (await points_of(lapsed), await points_of(celebrating)) == ((0, 0), (500, 0))
    assert await ledger.check_invariants() == []


async def test_a_failing_job_is_logged_and_the_others_still_run(monkeypatch, caplog):
    # given: expiry breaks
    now = datetime.now(timezone.utc).replace(month=3, day=17)
    lapsed, celebrating = await a_club_with_work_to_do(now)

    async def broken(**_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "expire_due_lots", broken)
    # when
    with caplog.at_level(logging.INFO, logger="clubgraph.jobs"):
        done = await run_jobs_once(now=now)
    # then
    assert done == {name: count for name, count in WORK.items() if name != "points_expired"}
    failure = next(record for record in caplog.records if record.levelno == logging.ERROR)
    assert failure.getMessage() == "job points_expired failed; it runs again at the next interval"
    assert str(failure.exc_info[1]) == "disk full"
    assert (await points_of(lapsed), await points_of(celebrating)) == ((40, 0), (500, 0))


async def test_the_periodic_task_repeats_until_cancelled(caplog):
    # given
    with caplog.at_level(logging.INFO, logger="clubgraph.jobs"):
        task = asyncio.create_task(run_periodically(0.01))
        # when
        for _ in range(500):
            await asyncio.sleep(0.01)
            if sum(record.getMessage().startswith("jobs done") for record in caplog.records) >= 2:
                break
        task.cancel()
        # then
        with pytest.raises(asyncio.CancelledError):
            await task
    assert task.cancelled()
    assert sum(record.getMessage().startswith("jobs done") for record in caplog.records) >= 2
