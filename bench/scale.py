"""The benchmark at scale: a million members and 30 million ledger entries on PostgreSQL.

`python -m bench.scale [--members N --entries M] [--seconds 10] [--connections 16] [--keep-db DIR]`

It starts a throwaway PostgreSQL, migrates, fills it with bench/generate.py, then serves
clubgraph (uvicorn, 2 workers) and the plain Strawberry `{ hello }` app (the baseline, also 2
workers, so that the ratios compare like with like) and measures with bench/load.py:
- the 50-member page query as the club manager (bench/__main__.py's PAGE_QUERY);
- `me` with tier and benefits, as the demo member;
- the balance, `{ me { ... on Member { pointsBalance } } }`;
- redemptions of a club reward (`rewardRedeem`) by 2,000 members, fresh idempotency keys.
Every figure is also printed as a ratio to the baseline of the same run. The server runs with
CLUBGRAPH_PERSISTED_ONLY=0, so that these documents can be sent as written. It prints the SQL
statements of the balance read and EXPLAIN (ANALYZE, BUFFERS) of them and of the page query's,
and fails if the balance read's plans touch the ledger: the balance is kept on the member row.
After the redemptions, the ledger's invariants (domain.ledger.check_invariants) must hold.

`--keep-db DIR` keeps the PostgreSQL data folder in DIR; a later run with the same DIR reuses
it and skips the generation (the redemptions of earlier runs stay in it).
The last line is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.__main__ import LOGIN, ME_QUERY, PAGE_QUERY, SECRET, _login, _measure
from bench.load import LoadResult, post_request, run_load
from bench.redemptions import REDEEM
from bench.servers import HOST, free_port, stop, uvicorn, wait_for
from tests.postgres import ThrowawayPostgres, _pg_bin

BALANCE_QUERY = "{ me { ... on Member { pointsBalance } } }"
MANAGER = ("manager@clubgraph.example", "manager-demo")
MEMBER = ("member@clubgraph.example", "member-demo")
REDEEMERS = 2_000
REWARD_PRICE = 10
WORKERS = 2


class ScalePostgres(ThrowawayPostgres):
    """tests/postgres.py's server, with memory for a 15 GB database, optionally kept in a given folder."""

    def __init__(self, keep: Path | None = None) -> None:
        super().__init__()
        self.keep = keep
        if keep is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = keep.resolve()
            self.folder.mkdir(parents=True, exist_ok=True)
        # Decided before start(), which creates the data folder when there is none.
        self.reused = keep is not None and (self.folder / "data" / "PG_VERSION").exists()

    def start(self) -> ScalePostgres:
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        if not self.reused:
            self._run(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        # As the tests' server (no durability: it is thrown away), plus a cache the size a server
        # of this database would have and checkpoints far apart, so that the load is not throttled.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=2GB -c max_wal_size=16GB -c checkpoint_timeout=30min"
        )
        self._run(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        return self

    def create_database(self, name: str) -> str:
        return self.url(name) if self.reused else super().create_database(name)

    def stop(self) -> None:
        if self.keep is None:
            return super().stop()
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass


def one_execution(sql: str, values: list[Any]) -> list[Any]:
    """The parameters of one execution of a logged statement: an executemany's are its first row's.

    Tortoise logs both alike, so the values tell: an executemany's are rows, each as long as the
    statement has placeholders. A statement with one list parameter (`= ANY($1)`) is one execution.
    Rows exactly as many as the placeholders could be either; they are taken as one execution.
    """
    placeholders = len(set(re.findall(r"\$(\d+)", sql)))
    rows = [value for value in values if isinstance(value, (list, tuple)) and len(value) == placeholders]
    if values and len(rows) == len(values) != placeholders:
        return list(values[0])  # the plan of the first row stands for all
    return values


async def _explain(database_url: str, requests: dict[str, tuple[tuple[str, str], str, dict]]) -> dict[str, list[tuple[str, str]]]:
    """For each request, run it twice in-process and EXPLAIN (ANALYZE, BUFFERS) every SQL statement the second sent.

    {label: [(statement, plan)]}. Each EXPLAIN runs in a transaction that is rolled back, since
    ANALYZE executes the statement (the page query writes to the audit log).
    """
    import asyncpg

    from api.app import create_app
    from api.settings import Settings
    from domain.db import StatementCounter, close_database, open_database

    await open_database(database_url, migrate_schema=False)
    plans: dict[str, list[tuple[str, str]]] = {}
    try:
        app = create_app(Settings(env="production", database_url=database_url, secret_key=SECRET, persisted_only=False))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            captured = {}
            for label, ((email, password), query, variables) in requests.items():
                login = {"query": LOGIN, "variables": {"input": {"email": email, "password": password}}}
                token = (await client.post("/graphql", json=login)).json()["data"]["login"]["token"]
                request = {"json": {"query": query, "variables": variables}, "headers": {"authorization": f"Bearer {token}"}}
                await client.post("/graphql", **request)  # the second request is the one measured: compiled if it can be
                with StatementCounter() as log:
                    response = await client.post("/graphql", **request)
                assert not response.json().get("errors"), response.text
                captured[label] = log.queries
    finally:
        await close_database()
    connection = await asyncpg.connect("postgres://" + database_url.split("://", 1)[1])
    try:
        for label, statements in captured.items():
            plans[label] = []
            for sql, values in statements:
                if not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                    continue  # BEGIN, COMMIT, SAVEPOINT...
                values = one_execution(sql, values)
                transaction = connection.transaction()
                await transaction.start()
                try:
                    rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *values)
                finally:
                    await transaction.rollback()
                plans[label].append((sql, "\n".join(row[0] for row in rows)))
    finally:
        await connection.close()
    return plans


async def _prepare_redemptions(database_url: str) -> tuple[str, list[str]]:
    """A club reward and tokens for REDEEMERS active members who can afford it: (reward global id, tokens)."""
    from strawberry.relay import to_base64

    from api.tokens import issue_token
    from domain import models
    from domain.db import close_database, open_database
    from domain.viewer import member_viewer

    await open_database(database_url, migrate_schema=False)
    try:
        ids = await models.Member.filter(
            status=models.MemberStatus.ACTIVE, points_balance__gte=100 * REWARD_PRICE
        ).order_by("id").limit(REDEEMERS).values_list("id", flat=True)
        reward = await models.Reward.create(title="Scale welcome drink", points_price=REWARD_PRICE, stock=None, category="drink")
        tokens = [issue_token(member_viewer(member_id), secret_key=SECRET, ttl_seconds=3600)[0] for member_id in ids]
        return to_base64("Reward", f"club:{reward.id}"), tokens
    finally:
        await close_database()


async def _after_redemptions(database_url: str) -> dict[str, int | float]:
    """Redemptions of the run by status, vouchers, and the whole ledger's invariant violations."""
    from domain import ledger, models
    from domain.db import close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        reward = await models.Reward.filter(title="Scale welcome drink").order_by("-id").first()
        assert reward is not None
        rows = models.Redemption.filter(partner_id=None, item_id=str(reward.id))
        counts: dict[str, int | float] = {str(s): await rows.filter(status=s).count() for s in models.RedemptionStatus}
        started = time.monotonic()
        counts["invariant_violations"] = len(await ledger.check_invariants())
        counts["invariant_check_seconds"] = round(time.monotonic() - started, 1)
        return counts
    finally:
        await close_database()


def _measure_redemptions(port: int, reward_id: str, tokens: list[str], args: argparse.Namespace) -> LoadResult:
    counter = itertools.count()
    run = os.getpid()

    def next_request() -> bytes:
        n = next(counter)
        variables = {"input": {"rewardId": reward_id, "quantity": 1, "idempotencyKey": f"scale-{run}-{n}"}}
        return post_request(HOST, port, "/graphql", orjson.dumps({"query": REDEEM, "variables": variables}), tokens[n % len(tokens)])

    check = httpx.post(f"http://{HOST}:{port}/graphql", content=next_request().split(b"\r\n\r\n", 1)[1],
                       headers={"content-type": "application/json", "authorization": f"Bearer {tokens[0]}"}).json()
    if check.get("errors") or check["data"]["rewardRedeem"]["errors"]:
        raise SystemExit(f"redemption failed: {check}")
    print(f"  measuring redemptions for {args.seconds:g} s ...", flush=True)
    return asyncio.run(run_load(HOST, port, next_request, connections=args.connections, seconds=args.seconds, warmup=2))


def _print_plans(plans: dict[str, list[tuple[str, str]]]) -> None:
    for label, statements in plans.items():
        print(f"\n--- {label}: {len(statements)} SQL statements ---")
        for n, (sql, plan) in enumerate(statements, 1):
            print(f"[{n}] {sql}\n{plan}\n")


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=30_000_000)
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--keep-db", type=Path, default=None, metavar="DIR", help="keep (or reuse) the database in DIR")
    args = parser.parse_args()

    from bench.generate import generate
    from domain.db import close_database, open_database

    server = ScalePostgres(args.keep_db).start()
    try:
        reused = server.reused
        database_url = server.create_database("scale")
        if reused:
            print(f"Reusing the database in {args.keep_db} (no generation)", flush=True)
            generated: dict = {"seconds": None}  # generated by an earlier run
        else:
            print("Migrating ...", flush=True)
            asyncio.run(open_database(database_url, migrate_schema=True))
            asyncio.run(close_database())
            generated = asyncio.run(generate(database_url, members=args.members, entries=args.entries,
                                             report=lambda line: print(line, flush=True)))
        members, entries = asyncio.run(_counts(database_url))

        print("Plans of the balance read, `me` and the page query ...", flush=True)
        plans = asyncio.run(_explain(database_url, {
            "balance": (MEMBER, BALANCE_QUERY, {}),
            "me": (MEMBER, ME_QUERY, {}),
            "page_50": (MANAGER, PAGE_QUERY, {"first": 50}),
        }))
        _print_plans(plans)
        balance_plans = " ".join(plan for _, plan in plans["balance"]).lower()
        if "ledger_entry" in balance_plans or "points_lot" in balance_plans:
            raise SystemExit("the balance read touches the ledger: it must be read from the member row")
        print("The balance read touches neither ledger_entry nor points_lot.", flush=True)

        env = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "production", "CLUBGRAPH_SECRET_KEY": SECRET,
               "CLUBGRAPH_LOG_LEVEL": "warning",
               # The start-up jobs (expiry, birthdays over a million members) would run during the
               # measurement: they are a benchmark of their own.
               "CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0",
               # Member tokens may run only the apps' persisted documents in production; the balance
               # query as written is not one of them. The allow-list is one hash lookup per request.
               "CLUBGRAPH_PERSISTED_ONLY": "0"}
        results: dict[str, LoadResult] = {}
        port = free_port()
        print(f"(a) plain Strawberry {{ hello }} (baseline), {WORKERS} workers", flush=True)
        process = uvicorn("bench.plain_app:app", port, env, workers=WORKERS)
        try:
            wait_for(port, process)
            results["plain_strawberry"] = _measure("{ hello }", port, "{ hello }", args)
        finally:
            stop(process)

        reward_id, tokens = asyncio.run(_prepare_redemptions(database_url))
        port = free_port()
        print(f"clubgraph, {WORKERS} uvicorn workers, production mode", flush=True)
        process = uvicorn("api.app:create_app", port, env, factory=True, workers=WORKERS)
        try:
            wait_for(port, process)
            manager, member = _login(port, *MANAGER), _login(port, *MEMBER)
            results["page"] = _measure("50-member page", port, PAGE_QUERY, args, variables={"first": 50}, token=manager)
            results["me"] = _measure("me with tier and benefits", port, ME_QUERY, args, token=member)
            results["balance"] = _measure("balance", port, BALANCE_QUERY, args, token=member)
            results["redemption"] = _measure_redemptions(port, reward_id, tokens, args)
        finally:
            stop(process)
        outcome = asyncio.run(_after_redemptions(database_url))
    finally:
        server.stop()

    baseline = results["plain_strawberry"].rps
    made = "reused" if generated["seconds"] is None else f"generated in {generated['seconds']:.0f} s"
    print(f"\n{members:,} members, {entries:,} ledger entries; {made}")
    print(f"{'scenario':<20}{'req/s':>10}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for key, result in results.items():
        print(f"{key:<20}{result.rps:>10.1f}{result.rps / baseline:>8.3f}"
              f"{result.percentile(50):>9.2f}{result.percentile(99):>9.2f}{result.errors:>8}")
    balance_sql = [sql for sql, _ in plans["balance"]]
    print(f"SQL statements of the balance read ({len(balance_sql)}):")
    for sql in balance_sql:
        print(f"  {sql}")
    print(f"Redemptions: {outcome.get('completed', 0)} completed, {outcome.get('pending', 0)} pending, "
          f"{outcome.get('refused', 0)} refused; ledger invariants "
          + ("hold" if outcome["invariant_violations"] == 0 else f"BROKEN ({outcome['invariant_violations']})")
          + f" (checked over the whole ledger in {outcome['invariant_check_seconds']} s)")
    figures: dict[str, float | int] = {
        "scale_members": members, "scale_entries": entries, "generate_seconds": generated["seconds"],
        "scale_balance_sql_statements": len(balance_sql), "scale_page_sql_statements": len(plans["page_50"]),
        "scale_invariant_violations": outcome["invariant_violations"],
    }
    for key, result in results.items():
        figures[f"scale_{key}_rps"] = round(result.rps, 1)
        figures[f"scale_{key}_p50_ms"] = round(result.percentile(50), 2)
        figures[f"scale_{key}_p99_ms"] = round(result.percentile(99), 2)
        figures[f"scale_{key}_errors"] = result.errors
        if key != "plain_strawberry":
            figures[f"scale_{key}_ratio"] = round(result.rps / baseline, 3)
    print(json.dumps(figures))
    if outcome["invariant_violations"]:
        raise SystemExit(1)


async def _counts(database_url: str) -> tuple[int, int]:
    import asyncpg

    connection = await asyncpg.connect("postgres://" + database_url.split("://", 1)[1])
    try:
        return (await connection.fetchval("SELECT COUNT(*) FROM member"),
                await connection.fetchval("SELECT COUNT(*) FROM ledger_entry"))
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
