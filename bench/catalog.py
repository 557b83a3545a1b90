"""Catalog latency with 10 partners of which one is slow: `catalog_10_partners_one_slow`.

Ten reference partner processes (partners/reference_server.py, real HTTP, signed both ways), one of
them answering after 2 s, longer than the 1.5 s catalog deadline. They replace the database's own
partners for the run (those are suspended, then given back their status). The `rewards` query (50
items) is measured against a clubgraph server:
- cold: the catalog cache's TTL is 0, so every request asks the partners (concurrent requests share
  one call per partner), and the slow one until its circuit opens;
- warm: the default TTL (60 s), after three requests that filled the cache and opened the slow
  partner's circuit: the steady state, where the cache answers and the slow partner is skipped;
and once, the very first request of a fresh server (cold cache, every circuit closed), which waits
for the deadline of the slow partner.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import orjson

from bench.load import LoadResult, post_request, run_load
from bench.servers import HOST, ROOT, free_port, stop, uvicorn, wait_for

KEY = "catalog_10_partners_one_slow"
PARTNERS = 10
SLOW_LATENCY_MS = 2_000  # above the 1.5 s catalog deadline
SECRET = "bench-partner-secret"
QUERY = """{ rewards(first: 50) { edges { node { id title pointsPrice partnerName } } pageInfo { hasNextPage } } }"""
MAX_SECONDS = 8.0  # per load run: the whole scenario stays under a minute


def _start_partners(folder: Path) -> list[tuple[str, subprocess.Popen[bytes]]]:
    """(url, process) of the partners, started together; the last one is the slow one."""
    started = []
    for n in range(PARTNERS):
        port = free_port()
        command = [
            sys.executable, "-m", "partners.reference_server", "--name", f"Bench Partner {n:02d}", "--port", str(port),
            "--catalog", "wine" if n % 2 else "spa", "--secret", SECRET, "--store", str(folder / f"partner-{n}.sqlite3"),
        ]
        if n == PARTNERS - 1:
            command += ["--latency-ms", str(SLOW_LATENCY_MS)]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append((f"http://{HOST}:{port}", process))
    deadline = time.monotonic() + 30
    for url, process in started:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the partner at {url} exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the partner at {url} did not start within 30 s")
            time.sleep(0.05)
    return started


async def _register(database_url: str, urls: list[str]) -> dict[int, str]:
    """Suspend the database's partners and register the bench's; {suspended partner id: its status before}."""
    from domain import models
    from domain.db import close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        before = dict(await models.Partner.all().values_list("id", "status"))
        await models.Partner.filter(id__in=list(before)).update(status=models.PartnerStatus.SUSPENDED)
        for n, url in enumerate(urls):
            await models.Partner.create(
                name=f"Bench Partner {n:02d}", slug=f"bench-partner-{n:02d}", base_url=url,
                point_value=Decimal("0.0100"), currency="CHF", signing_secret=SECRET,
            )
        return before
    finally:
        await close_database()


async def _restore(database_url: str, before: dict[int, str]) -> None:
    from domain import models
    from domain.db import close_database, open_database

    await open_database(database_url, migrate_schema=False)
    try:
        await models.Partner.filter(slug__startswith="bench-partner-").update(status=models.PartnerStatus.SUSPENDED)
        for partner_id, status in before.items():
            await models.Partner.filter(id=partner_id).update(status=status)
    finally:
        await close_database()


def _first_request(port: int) -> tuple[float, int, int]:
    """The latency (ms) of one request, the items it got and the partners it named as missing."""
    started = time.perf_counter()
    body = httpx.post(f"http://{HOST}:{port}/graphql", json={"query": QUERY}, timeout=30).json()
    elapsed = (time.perf_counter() - started) * 1000
    if body.get("data") is None:
        raise SystemExit(f"{KEY}: the catalog failed: {body}")
    return elapsed, len(body["data"]["rewards"]["edges"]), len(body.get("errors", []))


def _load(port: int, seconds: float, connections: int) -> LoadResult:
    request = post_request(HOST, port, "/graphql", orjson.dumps({"query": QUERY}))
    return asyncio.run(run_load(HOST, port, request, connections=connections, seconds=seconds, warmup=1))


def measure_catalog(
    database_url: str, env: dict[str, str], folder: Path, *, seconds: float, connections: int
) -> tuple[dict[str, LoadResult], dict[str, float]]:
    """({"<key>_cold": load, "<key>_warm": load}, extra figures: first-request latency, p95s)."""
    seconds = min(seconds, MAX_SECONDS)
    partners = _start_partners(folder)
    before = asyncio.run(_register(database_url, [url for url, _ in partners]))
    results: dict[str, LoadResult] = {}
    figures: dict[str, float] = {}
    try:
        for phase, ttl in (("cold", "0"), ("warm", "60")):
            port = free_port()
            server = uvicorn("api.app:create_app", port, {**env, "CLUBGRAPH_CATALOG_TTL_SECONDS": ttl}, factory=True)
            try:
                wait_for(port, server)
                if phase == "cold":
                    first_ms, items, missing = _first_request(port)
                    print(f"  first request, fresh server: {first_ms:.0f} ms, {items} items, {missing} partner(s) missing",
                          flush=True)
                    figures[f"{KEY}_first_request_ms"] = round(first_ms, 1)
                    figures[f"{KEY}_first_request_missing_partners"] = missing
                else:
                    # Fill the cache, and open the slow partner's circuit (3 failures): what follows is the steady state.
                    for _ in range(3):
                        _first_request(port)
                print(f"  measuring {KEY} ({phase} cache) for {seconds:g} s ...", flush=True)
                results[f"{KEY}_{phase}"] = result = _load(port, seconds, connections)
                figures[f"{KEY}_{phase}_p95_ms"] = round(result.percentile(95), 2)
            finally:
                stop(server)
    finally:
        for _, process in partners:
            process.terminate()
        for _, process in partners:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_restore(database_url, before))
    return results, figures
