"""Shared leaky buckets: charges that fit, refusals that change nothing, draining, and races."""

from __future__ import annotations

import asyncio

from domain import buckets
from domain.buckets import Bucket

BUCKET = Bucket(capacity=10, rate=2)


async def test_charges_fill_the_bucket_and_a_charge_over_capacity_is_refused_without_changing_it() -> None:
    # given
    first = await buckets.charge("k", 6, BUCKET, now=1000.0)
    # when
    refused = await buckets.charge("k", 5, BUCKET, now=1000.0)
    # then
    assert (first.allowed, first.level, first.remaining) == (True, 6.0, 4.0)
    assert (refused.allowed, refused.level) == (False, 6.0)
    assert refused.retry_after == 0.5  # one unit over, drained at 2 a second
    assert await buckets.level("k", BUCKET, now=1000.0) == 6.0


async def test_the_level_drains_at_the_rate_down_to_zero() -> None:
    await buckets.charge("k", 10, BUCKET, now=1000.0)
    assert await buckets.level("k", BUCKET, now=1002.0) == 6.0
    allowed = await buckets.charge("k", 4, BUCKET, now=1002.0)
    assert (allowed.allowed, allowed.level) == (True, 10.0)
    assert await buckets.level("k", BUCKET, now=2000.0) == 0.0


async def test_a_clock_running_behind_never_fills_the_bucket() -> None:
    await buckets.charge("k", 4, BUCKET, now=1000.0)
    behind = await buckets.charge("k", 1, BUCKET, now=990.0)
    assert (behind.allowed, behind.level) == (True, 5.0)


async def test_an_amount_larger_than_the_capacity_never_fits() -> None:
    refused = await buckets.charge("k", 11, BUCKET, now=1000.0)
    assert not refused.allowed
    assert await buckets.level("k", BUCKET, now=1000.0) == 0.0


async def test_refund_and_reset() -> None:
    await buckets.charge("k", 8, BUCKET, now=1000.0)
    await buckets.refund("k", 5)
    assert await buckets.level("k", BUCKET, now=1000.0) == 3.0
    await buckets.refund("k", 50)
    assert await buckets.level("k", BUCKET, now=1000.0) == 0.0
    await buckets.charge("k", 8, BUCKET, now=1000.0)
    await buckets.reset("k")
    assert await buckets.level("k", BUCKET, now=1000.0) == 0.0


async def test_prune_deletes_only_idle_buckets() -> None:
    await buckets.charge("old", 1, BUCKET, now=1000.0)
    await buckets.charge("new", 1, BUCKET, now=5000.0)
    assert await buckets.prune(idle_seconds=3600, now=5000.0) == 1
    assert await buckets.level("new", BUCKET, now=5000.0) == 1.0


async def test_concurrent_charges_never_overfill_the_bucket() -> None:
    # when: 40 charges of 1 race for a bucket of 10 that does not drain
    results = await asyncio.gather(*(buckets.charge("race", 1, Bucket(capacity=10, rate=0), now=1000.0) for _ in range(40)))
    # then
    assert sum(result.allowed for result in results) == 10
    assert await buckets.level("race", BUCKET, now=1000.0) == 10.0
