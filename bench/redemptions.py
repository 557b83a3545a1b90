"""Redemption throughput: `redemptions_partner` (the saga against a real reference partner process)
and `redemptions_club` (the club's own reward, one transaction), each many members redeeming at once.

Runs as its own process (`python -m bench.redemptions URL --workers N`), printing one JSON line, like
bench/transfers.py. A partner redemption is: the item read from the partner's catalog, the hold
(one transaction), a signed `POST /rewards` answered by the partner after committing to its own
SQLite store, and the capture with the voucher (a second transaction). After the run: every
redemption is settled (none pending or refused), one voucher each, and the ledger's invariants hold.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
import orjson

from bench.load import LoadResult, post_request, run_load
from bench.servers import HOST, ROOT, free_port, stop, uvicorn, wait_for

MEMBERS = 200
START_BALANCE = 10_000_000
PARTNER_SECRET = "bench-redemption-partner-secret"
PARTNER_ITEM = "wine-gift-card-50"  # unlimited stock, any tier
REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) {
  redemption { status } errors { code } } }"""


def _start_partner(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    command = [sys.executable, "-m", "partners.reference_server", "--name", "Bench Cellar", "--port", str(port),
               "--catalog", "wine", "--secret", PARTNER_SECRET, "--store", str(folder / "bench-cellar.sqlite3")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the reference partner exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the reference partner did not start within 30 s")
        time.sleep(0.05)


async def _prepare(database_url: str, secret: str, partner_url: str) -> tuple[list[str], dict[str, str]]:
    """Points and a token for the first members; a partner and a club reward. (tokens, {scenario: reward key})."""
    from api.tokens import issue_token
    from domain import ledger, models
    from domain.db import close_database, open_database
    from domain.ledger import EntryFields
    from domain.viewer import member_viewer

    await open_database(database_url, migrate_schema=False)
    try:
        ids = await models.Member.filter(status=models.MemberStatus.ACTIVE).order_by("id").limit(MEMBERS).values_list("id", flat=True)
        fields = EntryFields(source=models.EntrySource.STAFF, reason="benchmark float")
        for member_id in ids:
            await ledger.credit(member_id=member_id, points=START_BALANCE, fields=fields, kind=models.EntryKind.ADJUST)
        partner = await models.Partner.create(
            name=f"Bench Cellar {os.getpid()}", slug=f"bench-cellar-{os.getpid()}", base_url=partner_url,
            point_value=Decimal("0.0100"), currency="CHF", signing_secret=PARTNER_SECRET,
        )
        reward = await models.Reward.create(title="Bench welcome drink", points_price=10, stock=None, category="drink")
        tokens = [issue_token(member_viewer(member_id), secret_key=secret, ttl_seconds=3600)[0] for member_id in ids]
        return tokens, {"partner": f"partner:{partner.id}:{PARTNER_ITEM}", "club": f"club:{reward.id}"}
    finally:
        await close_database()


async def _outcome(database_url: str, reward_key: str) -> dict[str, int]:
    """The redemptions of the run by status, their vouchers, and the ledger's invariant violations."""
    from domain import catalog, ledger, models
    from domain.db import close_database, open_database

    partner_id, item_id = catalog.parse_key(reward_key)  # type: ignore[misc]
    await open_database(database_url, migrate_schema=False)
    try:
        rows = models.Redemption.filter(partner_id=partner_id, item_id=item_id)
        counts = {str(status): await rows.filter(status=status).count() for status in models.RedemptionStatus}
        counts["vouchers"] = await models.Voucher.filter(redemption__partner_id=partner_id, redemption__item_id=item_id).count()
        counts["invariant_violations"] = len(await ledger.check_invariants())
        return counts
    finally:
        await close_database()


def measure(database_url: str, env: dict[str, str], *, workers: int, seconds: float, connections: int) -> dict[str, dict]:
    from strawberry.relay import to_base64

    with tempfile.TemporaryDirectory(prefix="clubgraph-bench-partner-") as folder:
        partner_url, partner = _start_partner(Path(folder))
        try:
            tokens, keys = asyncio.run(_prepare(database_url, env["CLUBGRAPH_SECRET_KEY"], partner_url))
            port = free_port()
            server = uvicorn("api.app:create_app", port, {**env, "DATABASE_URL": database_url}, factory=True, workers=workers)
            figures = {}
            try:
                wait_for(port, server)
                for scenario, reward_key in keys.items():
                    counter = itertools.count()
                    reward_id = to_base64("Reward", reward_key)

                    def next_request(reward_id: str = reward_id, counter=counter, scenario: str = scenario) -> bytes:
                        n = next(counter)
                        variables = {"input": {"rewardId": reward_id, "quantity": 1,
                                               "idempotencyKey": f"bench-{scenario}-{os.getpid()}-{n}"}}
                        body = orjson.dumps({"query": REDEEM, "variables": variables})
                        return post_request(HOST, port, "/graphql", body, tokens[n % len(tokens)])

                    result: LoadResult = asyncio.run(
                        run_load(HOST, port, next_request, connections=connections, seconds=seconds, warmup=2)
                    )
                    figures[scenario] = {"result": result, "outcome": reward_key}
            finally:
                stop(server)
            return {
                scenario: {
                    "rps": round(entry["result"].rps, 1),
                    "p50_ms": round(entry["result"].percentile(50), 2),
                    "p99_ms": round(entry["result"].percentile(99), 2),
                    "http_errors": entry["result"].errors,
                    **asyncio.run(_outcome(database_url, entry["outcome"])),
                }
                for scenario, entry in figures.items()
            }
        finally:
            stop(partner)


def run_in_subprocess(database_url: str, env: dict[str, str], *, workers: int, seconds: float, connections: int) -> dict:
    command = [sys.executable, "-m", "bench.redemptions", database_url, "--workers", str(workers)]
    command += ["--seconds", str(seconds), "--connections", str(connections)]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def describe(scenario: str, outcome: dict) -> str:
    settled = "every one settled" if outcome["pending"] == 0 and outcome["refused"] == 0 else (
        f"{outcome['pending']} PENDING, {outcome['refused']} refused"
    )
    invariants = "hold" if outcome["invariant_violations"] == 0 else f"BROKEN ({outcome['invariant_violations']})"
    return (
        f"redemptions_{scenario}: {outcome['rps']:.1f}/s, p50 {outcome['p50_ms']:.2f} ms, p99 {outcome['p99_ms']:.2f} ms, "
        f"{outcome['completed']} completed (warm-up included), {outcome['vouchers']} vouchers, {settled}, "
        f"ledger invariants {invariants}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.redemptions")
    parser.add_argument("database_url")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    outcomes = measure(args.database_url, dict(os.environ), workers=args.workers, seconds=args.seconds, connections=args.connections)
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
