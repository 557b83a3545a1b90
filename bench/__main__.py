"""Run the benchmark: `python -m bench [--seconds 10] [--connections 16] [--members 10000]`.

Every figure is also printed as a ratio to the plain Strawberry `{ hello }` app measured in
the same run, since absolute numbers vary by up to 1.4x between runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import tempfile
from pathlib import Path

import httpx
import orjson

from bench.load import LoadResult, post_request, run_load
from bench.servers import HOST, free_port, stop, uvicorn, wait_for
from bench.transfers import run_in_subprocess, seed

SECRET = "bench-secret-key-" + "b" * 32

PAGE_QUERY = """query Page($first: Int!) { members(first: $first) { edges { node {
  id name email phone status
  tier { name benefits { name code quota } }
  accountManager { name }
  preferences { category value notedBy { name } }
} } } }"""
ME_QUERY = "{ me { ... on Member { id name email tier { name rank benefits { name code quota value } } } } }"
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"


def _login(port: int, email: str, password: str) -> str:
    body = {"query": LOGIN, "variables": {"input": {"email": email, "password": password}}}
    return httpx.post(f"http://{HOST}:{port}/graphql", json=body, timeout=10).json()["data"]["login"]["token"]


def _measure(label: str, port: int, query: str, args: argparse.Namespace, *, variables=None, token=None) -> LoadResult:
    body = orjson.dumps({"query": query, "variables": variables or {}})
    # One answer first, to fail loudly on a broken query rather than measure errors.
    check = httpx.post(
        f"http://{HOST}:{port}/graphql",
        content=body,
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    ).json()
    if check.get("errors"):
        raise SystemExit(f"{label}: the query failed: {check['errors']}")
    print(f"  measuring {label} for {args.seconds:g} s ...", flush=True)
    request = post_request(HOST, port, "/graphql", body, token)
    return asyncio.run(run_load(HOST, port, request, connections=args.connections, seconds=args.seconds, warmup=2))


async def _count_statements(database_url: str) -> tuple[int, int]:
    """SQL statements per page query for 50 members and for 1, counted in-process from Tortoise's log."""
    from api.app import create_app
    from api.settings import Settings
    from domain.db import StatementCounter, close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        app = create_app(Settings(env="production", database_url=database_url, secret_key=SECRET))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            login = {"query": LOGIN, "variables": {"input": {"email": "manager@clubgraph.example", "password": "manager-demo"}}}
            token = (await client.post("/graphql", json=login)).json()["data"]["login"]["token"]
            counts = []
            for first in (50, 1):
                with StatementCounter() as counter:
                    response = await client.post(
                        "/graphql",
                        json={"query": PAGE_QUERY, "variables": {"first": first}},
                        headers={"authorization": f"Bearer {token}"},
                    )
                assert not response.json().get("errors"), response.text
                counts.append(counter.count)
            return counts[0], counts[1]
    finally:
        await close_database()


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--members", type=int, default=10_000, help="members in the generated database (default 10000)")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", help="skip the PostgreSQL transfer run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clubgraph-bench-") as folder:
        database_url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "production", "CLUBGRAPH_SECRET_KEY": SECRET}
        env["CLUBGRAPH_LOG_LEVEL"] = "warning"
        print(f"Generating a database of {args.members} members ...", flush=True)
        seed(database_url, env, args.members)
        page_sql, page_sql_1 = asyncio.run(_count_statements(database_url))

        results: dict[str, LoadResult] = {}
        port = free_port()
        print("(a) plain Strawberry { hello } (baseline)", flush=True)
        server = uvicorn("bench.plain_app:app", port, env)
        try:
            wait_for(port, server)
            results["plain_strawberry"] = _measure("{ hello }", port, "{ hello }", args)
        finally:
            stop(server)

        port = free_port()
        print("clubgraph, one uvicorn worker, production mode", flush=True)
        server = uvicorn("api.app:create_app", port, env, factory=True)
        try:
            wait_for(port, server)
            manager = _login(port, "manager@clubgraph.example", "manager-demo")
            member = _login(port, "member@clubgraph.example", "member-demo")
            results["typename"] = _measure("(b) { __typename }", port, "{ __typename }", args)
            results["page"] = _measure("(c) 50-member page", port, PAGE_QUERY, args, variables={"first": 50}, token=manager)
            results["me"] = _measure("(d) me with tier and benefits", port, ME_QUERY, args, token=member)
        finally:
            stop(server)

        print("Transfers, SQLite, one worker", flush=True)
        transfers = {
            "sqlite_1w": run_in_subprocess(database_url, env, workers=1, seconds=args.seconds, connections=args.connections)
        }

    if args.postgres:
        print("Transfers, PostgreSQL, two workers", flush=True)
        from tests.postgres import ThrowawayPostgres

        server = ThrowawayPostgres().start()
        try:
            postgres_url = server.create_database("bench")
            seed(postgres_url, env, args.members)
            transfers["postgres_2w"] = run_in_subprocess(
                postgres_url, env, workers=2, seconds=args.seconds, connections=args.connections
            )
        finally:
            server.stop()

    baseline = results["plain_strawberry"].rps
    print(f"\n{'scenario':<22}{'req/s':>10}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for key, result in results.items():
        print(
            f"{key:<22}{result.rps:>10.1f}{result.rps / baseline:>8.3f}"
            f"{result.percentile(50):>9.2f}{result.percentile(99):>9.2f}{result.errors:>8}"
        )
    print(f"SQL statements per page query: {page_sql} for 50 members, {page_sql_1} for 1 member")
    figures: dict[str, float | int] = {}
    for key, result in results.items():
        figures[f"{key}_rps"] = round(result.rps, 1)
        figures[f"{key}_p50_ms"] = round(result.percentile(50), 2)
        figures[f"{key}_p99_ms"] = round(result.percentile(99), 2)
        if key != "plain_strawberry":
            figures[f"{key}_ratio"] = round(result.rps / baseline, 3)
    figures.update(page_sql_statements=page_sql, page_sql_statements_1=page_sql_1)
    for key, outcome in transfers.items():
        print(
            f"transfers {key}: {outcome['tps']:.1f}/s, p50 {outcome['p50_ms']:.2f} ms, p99 {outcome['p99_ms']:.2f} ms, "
            f"{outcome['recorded']} recorded (warm-up included), ledger invariants "
            + ("hold" if outcome["invariant_violations"] == 0 else f"BROKEN ({outcome['invariant_violations']})")
        )
        figures[f"transfer_{key}_tps"] = outcome["tps"]
        figures[f"transfer_{key}_p99_ms"] = outcome["p99_ms"]
        figures[f"transfer_{key}_invariant_violations"] = outcome["invariant_violations"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
