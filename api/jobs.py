"""Maintenance jobs the app runs in the background: points expiry, birthday bonuses, old idempotency
keys, ticket SLA breaches, surveys after events, member grading, birthday greetings, closing waitlists,
idle rate buckets and long-ended sign-ins; and the webhook events of the jobs (event reminders,
points expiring soon), written to the outbox once per occasion.

Every replica runs them: each job is safe to run concurrently and as often as wanted (expiry locks
one member at a time, a bonus, a survey or a task is given once per occasion, breaches and grades
are set by conditional updates, purging forgets old keys only).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from domain import buckets, care, events, idempotency, ledger, lifecycle, points, rules, sessions, surveys, tickets

logger = logging.getLogger("clubgraph.jobs")
# A leaky bucket untouched this long is empty (sign-in throttles drain within minutes, partner budgets
# within hours), and an empty bucket is the same as none: its row can go.
IDLE_BUCKET_SECONDS = 24 * 3600


async def run_jobs_once(*, now: datetime | None = None) -> dict[str, int]:
    """Run every job once; one that fails is logged and the others still run. Returns what each did."""
    now = now or ledger.utcnow()
    jobs: dict[str, Callable[[], Awaitable[int]]] = {
        "points_expired": lambda: ledger.expire_due_lots(now=now),
        "birthday_bonuses": lambda: points.run_birthday_bonuses(today=now.date(), now=now),
        "idempotency_keys_purged": lambda: idempotency.purge_expired(
            retention_days=rules.RULES.idempotency_retention_days, now=now
        ),
        "tickets_breached": lambda: tickets.flag_breaches(now=now),
        "event_surveys_sent": lambda: surveys.send_due_surveys(now=now),
        "members_graded": lambda: lifecycle.recompute_all(now=now),
        "birthday_greetings_raised": lambda: care.raise_birthday_greetings(today=now.date(), now=now),
        "event_waitlists_closed": lambda: events.close_waitlists(now=now),
        "rate_buckets_pruned": lambda: buckets.prune(idle_seconds=IDLE_BUCKET_SECONDS, now=now.timestamp()),
        "sessions_purged": lambda: sessions.purge_expired(now=now),
        "event_reminders_written": lambda: events.send_event_reminders(now=now),
        "expiry_notices_written": lambda: points.notify_expiring_soon(now=now),
    }
    done: dict[str, int] = {}
    for name, job in jobs.items():
        try:
            done[name] = await job()
        except Exception:
            logger.exception("job %s failed; it runs again at the next interval", name)
    logger.info("jobs done: %s", ", ".join(f"{name} {count}" for name, count in done.items()) or "none")
    return done


async def run_periodically(interval_seconds: float) -> None:
    """Run the jobs now, then every `interval_seconds`, until cancelled."""
    while True:
        await run_jobs_once()
        await asyncio.sleep(interval_seconds)
