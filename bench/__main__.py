"""Run the benchmark: `python -m bench [--seconds 10] [--connections 16] [--members 10000] [--earnings N]`.

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
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
import orjson

from bench.catalog import measure_catalog
from bench.history import add_points_history
from bench.load import LoadResult, post_request, run_load
from bench.servers import HOST, free_port, stop, uvicorn, wait_for
from bench.redemptions import describe as describe_redemptions
from bench.redemptions import run_in_subprocess as run_redemptions
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
CARE_CALENDAR_QUERY = """query Care($days: Int!, $first: Int!) { careCalendar(days: $days, first: $first) {
  edges { node { date daysAway kind label member { id name } } } } }"""
CARE_CALENDAR = {"days": 30, "first": 50}
POINTS_FLOW_QUERY = """query Flow($from: DateTime!, $to: DateTime!) { analytics {
  pointsFlow(from: $from, to: $to, period: MONTH) { periodStart issued redeemed expired } } }"""
MANAGER = ("manager@clubgraph.example", "manager-demo")
FRONT_DESK = ("frontdesk@clubgraph.example", "frontdesk-demo")
ACCOUNT_MANAGER = ("am@clubgraph.example", "am-demo")  # a third of the members with a manager are hers


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


async def _count_statements(database_url: str, requests: dict[str, tuple[str, str, str, dict]]) -> dict[str, int]:
    """SQL statements per request, counted in-process from Tortoise's log: {label: count}.

    `requests` maps a label to (login email, password, query, variables).
    """
    from api.app import create_app
    from api.settings import Settings
    from domain.db import StatementCounter, close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        app = create_app(Settings(env="production", database_url=database_url, secret_key=SECRET, persisted_only=False))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            counts = {}
            for label, (email, password, query, variables) in requests.items():
                login = {"query": LOGIN, "variables": {"input": {"email": email, "password": password}}}
                token = (await client.post("/graphql", json=login)).json()["data"]["login"]["token"]
                request = {"json": {"query": query, "variables": variables}, "headers": {"authorization": f"Bearer {token}"}}
                # Once before counting: the load repeats the document, so it runs compiled when it can (README).
                await client.post("/graphql", **request)
                with StatementCounter() as counter:
                    response = await client.post("/graphql", **request)
                assert not response.json().get("errors"), response.text
                counts[label] = counter.count
            return counts
    finally:
        await close_database()


def _twelve_months(now: datetime) -> dict[str, str]:
    """The last 12 calendar months, the current one included: from its first day to the next month's."""
    end = date(now.year + now.month // 12, now.month % 12 + 1, 1)
    start = date(end.year - 1, end.month, 1)
    return {"from": f"{start.isoformat()}T00:00:00Z", "to": f"{end.isoformat()}T00:00:00Z"}


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--members", type=int, default=10_000, help="members in the generated database (default 10000)")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", help="skip the PostgreSQL transfer run")
    parser.add_argument(
        "--earnings",
        type=int,
        default=None,
        help="points earnings over the last year, for the points flow (default: members / 2)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clubgraph-bench-") as folder:
        database_url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "production", "CLUBGRAPH_SECRET_KEY": SECRET}
        env["CLUBGRAPH_LOG_LEVEL"] = "warning"
        print(f"Generating a database of {args.members} members ...", flush=True)
        seed(database_url, env, args.members)
        earnings = args.members // 2 if args.earnings is None else args.earnings
        print(f"Adding a year of points history ({earnings} earnings and a redemption for every fifth) ...", flush=True)
        history = asyncio.run(add_points_history(database_url, earnings=earnings, now=datetime.now(timezone.utc)))
        flow = _twelve_months(datetime.now(timezone.utc))
        statements = asyncio.run(
            _count_statements(
                database_url,
                {
                    "page_50": (*MANAGER, PAGE_QUERY, {"first": 50}),
                    "page_1": (*MANAGER, PAGE_QUERY, {"first": 1}),
                    "page_front_desk": (*FRONT_DESK, PAGE_QUERY, {"first": 50}),
                    "care_calendar": (*MANAGER, CARE_CALENDAR_QUERY, CARE_CALENDAR),
                    "care_calendar_1": (*MANAGER, CARE_CALENDAR_QUERY, {**CARE_CALENDAR, "first": 1}),
                    "care_calendar_am": (*ACCOUNT_MANAGER, CARE_CALENDAR_QUERY, CARE_CALENDAR),
                    "analytics_points_flow": (*MANAGER, POINTS_FLOW_QUERY, flow),
                },
            )
        )
        page_sql, page_sql_1 = statements["page_50"], statements["page_1"]

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
            # The same page for a reader who sees contacts masked: nothing to audit (README, Benchmark).
            desk = _login(port, *FRONT_DESK)
            results["page_front_desk"] = _measure(
                "(c') 50-member page, front desk", port, PAGE_QUERY, args, variables={"first": 50}, token=desk
            )
            results["me"] = _measure("(d) me with tier and benefits", port, ME_QUERY, args, token=member)
            account_manager = _login(port, *ACCOUNT_MANAGER)
            results["care_calendar"] = _measure(
                "(e) care calendar, 30 days, 50 entries, club manager",
                port, CARE_CALENDAR_QUERY, args, variables=CARE_CALENDAR, token=manager,
            )
            results["care_calendar_am"] = _measure(
                "(f) care calendar, 30 days, 50 entries, account manager",
                port, CARE_CALENDAR_QUERY, args, variables=CARE_CALENDAR, token=account_manager,
            )
            results["analytics_points_flow"] = _measure(
                "(g) analytics points flow, 12 months", port, POINTS_FLOW_QUERY, args, variables=flow, token=manager
            )
        finally:
            stop(server)

        print("Catalog: 10 reference partners, one slower than the deadline", flush=True)
        catalog_results, catalog_figures = measure_catalog(
            database_url, env, Path(folder), seconds=args.seconds, connections=args.connections
        )
        results.update(catalog_results)

        print("Transfers, SQLite, one worker", flush=True)
        transfers = {
            "sqlite_1w": run_in_subprocess(database_url, env, workers=1, seconds=args.seconds, connections=args.connections)
        }

        print("Redemptions, SQLite, one worker: against a reference partner process, and of a club reward", flush=True)
        redemptions = run_redemptions(database_url, env, workers=1, seconds=args.seconds, connections=args.connections)

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
    print(
        f"SQL statements per page query: {page_sql} for 50 members, {page_sql_1} for 1 member, "
        f"{statements['page_front_desk']} for 50 members as the front desk"
    )
    print(
        f"SQL statements per care calendar: {statements['care_calendar']} for 50 entries, "
        f"{statements['care_calendar_1']} for 1 (club manager), {statements['care_calendar_am']} (account manager); "
        f"per 12-month points flow: {statements['analytics_points_flow']} over {history} entries added to the ledger"
    )
    figures: dict[str, float | int] = {}
    for key, result in results.items():
        figures[f"{key}_rps"] = round(result.rps, 1)
        figures[f"{key}_p50_ms"] = round(result.percentile(50), 2)
        figures[f"{key}_p99_ms"] = round(result.percentile(99), 2)
        if key != "plain_strawberry":
            figures[f"{key}_ratio"] = round(result.rps / baseline, 3)
    figures.update(
        page_sql_statements=page_sql,
        page_sql_statements_1=page_sql_1,
        page_front_desk_sql_statements=statements["page_front_desk"],
    )
    figures.update(
        care_calendar_sql_statements=statements["care_calendar"],
        care_calendar_sql_statements_1=statements["care_calendar_1"],
        care_calendar_am_sql_statements=statements["care_calendar_am"],
        analytics_points_flow_sql_statements=statements["analytics_points_flow"],
        ledger_history_entries=history,
    )
    figures.update(catalog_figures)
    for key, outcome in transfers.items():
        print(
            f"transfers {key}: {outcome['tps']:.1f}/s, p50 {outcome['p50_ms']:.2f} ms, p99 {outcome['p99_ms']:.2f} ms, "
            f"{outcome['recorded']} recorded (warm-up included), ledger invariants "
            + ("hold" if outcome["invariant_violations"] == 0 else f"BROKEN ({outcome['invariant_violations']})")
        )
        figures[f"transfer_{key}_tps"] = outcome["tps"]
        figures[f"transfer_{key}_p99_ms"] = outcome["p99_ms"]
        figures[f"transfer_{key}_invariant_violations"] = outcome["invariant_violations"]
    for scenario, outcome in redemptions.items():
        print(describe_redemptions(scenario, outcome))
        figures[f"redemptions_{scenario}"] = outcome["rps"]
        figures[f"redemptions_{scenario}_p99_ms"] = outcome["p99_ms"]
        figures[f"redemptions_{scenario}_settled"] = int(outcome["pending"] == 0 and outcome["refused"] == 0)
        figures[f"redemptions_{scenario}_invariant_violations"] = outcome["invariant_violations"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
