"""Request rate limits for members' and staff's tokens: a leaky bucket per sign-in, kept in the process."""

from __future__ import annotations

import time
from collections.abc import Callable

# The table is swept of drained buckets whenever it doubles, never below this size: sweeping is
# linear in the table, so this keeps its cost per request constant.
MIN_SWEEP_SIZE = 1024


class RateLimiter:
    """A leaky bucket per key (a session id, or the subject of a token without one) that holds `burst`
    requests and drains `per_second` of them every second.

    Kept in each process rather than in the database (as partner budgets and sign-in throttles are):
    it is asked on every request of every member and staff member, and a database write on that hot
    path would cost more than most of the requests it guards. The price is that the limit holds per
    process: behind N worker processes or replicas, a token may make up to N times the setting.
    That is enough for what this limit is for (one runaway client or stolen token must not flood the
    service), while sign-ins, where every attempt counts, are throttled through the database.

    Memory: a drained bucket says no more than a missing one, so sweeps drop them; what stays are the
    keys that made a request within the last `burst / per_second` seconds.
    """

    def __init__(self, *, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key: (level, when it was last charged)
        self._sweep_at = MIN_SWEEP_SIZE

    def __len__(self) -> int:
        return len(self._buckets)

    def charge(self, key: str) -> float:
        """Count one request: 0 when it may go ahead, otherwise the seconds until it would (nothing counted)."""
        now = self._clock()
        level = self._level(key, now)
        if level + 1 > self.burst:
            return (level + 1 - self.burst) / self.per_second
        self._buckets[key] = (level + 1, now)
        if len(self._buckets) >= self._sweep_at:
            self._sweep(now)
        return 0.0

    def _level(self, key: str, now: float) -> float:
        level, at = self._buckets.get(key, (0.0, now))
        return max(level - (now - at) * self.per_second, 0.0)

    def _sweep(self, now: float) -> None:
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if self._level(key, now) > 0}
        self._sweep_at = max(MIN_SWEEP_SIZE, 2 * len(self._buckets))
