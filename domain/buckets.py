"""Leaky buckets shared by every worker process through the database: cost budgets and throttles.

A bucket has a level that drains at `rate` units a second down to zero; a charge that would lift it
over `capacity` is refused and changes nothing. Each charge is one conditional upsert, atomic on
both databases, so concurrent requests in any number of processes can never overfill a bucket.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from domain.db import dialect, fetch_dicts


@dataclass(frozen=True, slots=True)
class Bucket:
    capacity: float
    rate: float  # units drained per second

    def level_at(self, level: float, updated_at: float, now: float) -> float:
        return max(level - max(now - updated_at, 0.0) * self.rate, 0.0)


@dataclass(frozen=True, slots=True)
class Charge:
    allowed: bool
    level: float  # after the charge; when refused, the level that refused it
    capacity: float
    retry_after: float  # seconds until the refused amount would fit; 0 when allowed

    @property
    def remaining(self) -> float:
        return max(self.capacity - self.level, 0.0)


def _greatest() -> str:
    return "MAX" if dialect() == "sqlite" else "GREATEST"


async def charge(key: str, amount: float, bucket: Bucket, *, now: float | None = None) -> Charge:
    """Add `amount` to the bucket if it fits under the capacity; otherwise refuse and change nothing."""
    now = time.time() if now is None else now
    if amount > bucket.capacity:
        return Charge(False, await level(key, bucket, now=now), bucket.capacity, math.inf)
    greatest = _greatest()
    drained = f"{greatest}(rate_bucket.level - {greatest}($3 - rate_bucket.updated_at, 0) * $4, 0)"
    rows = await fetch_dicts(
        f"INSERT INTO rate_bucket (key, level, updated_at) VALUES ($1, $2, $3) "
        f"ON CONFLICT (key) DO UPDATE SET level = {drained} + $2, "
        f"updated_at = {greatest}(rate_bucket.updated_at, $3) "
        f"WHERE {drained} + $2 <= $5 RETURNING level",
        [key, float(amount), now, float(bucket.rate), float(bucket.capacity)],
    )
    if rows:
        return Charge(True, float(rows[0]["level"]), bucket.capacity, 0.0)
    current = await level(key, bucket, now=now)
    wait = (current + amount - bucket.capacity) / bucket.rate if bucket.rate > 0 else math.inf
    return Charge(False, current, bucket.capacity, max(wait, 0.0))


async def level(key: str, bucket: Bucket, *, now: float | None = None) -> float:
    """The bucket's level now, without charging it."""
    now = time.time() if now is None else now
    rows = await fetch_dicts("SELECT level, updated_at FROM rate_bucket WHERE key = $1", [key])
    if not rows:
        return 0.0
    return bucket.level_at(float(rows[0]["level"]), float(rows[0]["updated_at"]), now)


async def refund(key: str, amount: float) -> float | None:
    """Take back part of a charge, e.g. what a request was charged for but did not use.

    Returns the level after the refund, as of the bucket's last charge (None for a bucket that does not exist).
    """
    if amount <= 0:
        return None
    rows = await fetch_dicts(
        f"UPDATE rate_bucket SET level = {_greatest()}(level - $2, 0) WHERE key = $1 RETURNING level", [key, float(amount)]
    )
    return float(rows[0]["level"]) if rows else None


async def reset(key: str) -> None:
    """Empty the bucket, e.g. an account's failed sign-ins after a successful one."""
    await fetch_dicts("DELETE FROM rate_bucket WHERE key = $1", [key])


async def prune(*, idle_seconds: float, now: float | None = None) -> int:
    """Delete buckets untouched for `idle_seconds`: every bucket whose capacity drains within that time is empty."""
    now = time.time() if now is None else now
    rows = await fetch_dicts("DELETE FROM rate_bucket WHERE updated_at < $1 RETURNING key", [now - idle_seconds])
    return len(rows)
