"""Point-spending throughput: member-to-member transfers over the conditional-update path.

Runs as its own process (`python -m bench.transfers URL --workers N`), printing one JSON line:
Tortoise keeps per-dialect query caches, so one process must not switch between databases.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys

import orjson

from bench.load import LoadResult, post_request, run_load
from bench.servers import HOST, ROOT, free_port, stop, uvicorn, wait_for

SENDERS = 200
START_BALANCE = 100_000
TRANSFER = """mutation($input: PointsTransferInput!) { pointsTransfer(input: $input) {
  entry { balanceAfter } errors { code } } }"""


async def _prepare(database_url: str, secret: str) -> list[tuple[int, str]]:
    """Give the first members points to send, and each a token: (member id, token)."""
    from api.tokens import issue_token
    from domain import ledger, models
    from domain.db import close_database, open_database
    from domain.ledger import EntryFields
    from domain.viewer import member_viewer

    await open_database(database_url, migrate_schema=False)
    try:
        ids = await models.Member.filter(status=models.MemberStatus.ACTIVE).order_by("id").limit(SENDERS).values_list("id", flat=True)
        fields = EntryFields(source=models.EntrySource.STAFF, reason="benchmark float")
        for member_id in ids:
            await ledger.credit(member_id=member_id, points=START_BALANCE, fields=fields, kind=models.EntryKind.ADJUST)
        return [(member_id, issue_token(member_viewer(member_id), secret_key=secret, ttl_seconds=3600)[0]) for member_id in ids]
    finally:
        await close_database()


async def _outcome(database_url: str) -> tuple[int, int]:
    """Transfers recorded, and invariant violations, after the run."""
    from domain import ledger, models
    from domain.db import close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        recorded = await models.LedgerEntry.filter(kind=models.EntryKind.TRANSFER_OUT).count()
        return recorded, len(await ledger.check_invariants())
    finally:
        await close_database()


def measure_transfers(
    database_url: str, env: dict[str, str], *, workers: int, seconds: float, connections: int
) -> tuple[LoadResult, int, int]:
    """Transfers/s with `workers` uvicorn processes: the load, the transfers recorded, the invariant violations."""
    from strawberry.relay import to_base64

    senders = asyncio.run(_prepare(database_url, env["CLUBGRAPH_SECRET_KEY"]))
    counter = itertools.count()
    port = free_port()

    def next_request() -> bytes:
        n = next(counter)
        sender, token = senders[n % len(senders)]
        receiver = senders[(n + 1) % len(senders)][0]
        variables = {
            "input": {
                "fromMemberId": to_base64("Member", sender),
                "toMemberId": to_base64("Member", receiver),
                "points": 1,
                "idempotencyKey": f"bench-{os.getpid()}-{n}",
            }
        }
        return post_request(HOST, port, "/graphql", orjson.dumps({"query": TRANSFER, "variables": variables}), token)

    server = uvicorn("api.app:create_app", port, {**env, "DATABASE_URL": database_url}, factory=True, workers=workers)
    try:
        wait_for(port, server)
        result = asyncio.run(run_load(HOST, port, next_request, connections=connections, seconds=seconds, warmup=2))
    finally:
        stop(server)
    return (result, *asyncio.run(_outcome(database_url)))


def run_in_subprocess(
    database_url: str, env: dict[str, str], *, workers: int, seconds: float, connections: int
) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.transfers", database_url, "--workers", str(workers)]
    command += ["--seconds", str(seconds), "--connections", str(connections)]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transfers")
    parser.add_argument("database_url")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    env = dict(os.environ)
    result, recorded, violations = measure_transfers(
        args.database_url, env, workers=args.workers, seconds=args.seconds, connections=args.connections
    )
    figures = {
        "tps": round(result.rps, 1),
        "p50_ms": round(result.percentile(50), 2),
        "p99_ms": round(result.percentile(99), 2),
        "answered": result.requests,
        "http_errors": result.errors,
        "recorded": recorded,
        "invariant_violations": violations,
    }
    print(json.dumps(figures))


def seed(database_url: str, env: dict[str, str], members: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", "--members", str(members)],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url},
        check=True,
    )


if __name__ == "__main__":
    main()
