"""Test harness: one database per run (SQLite, or a throwaway PostgreSQL), emptied before each test.

CLUBGRAPH_TEST_DATABASE=postgres runs the whole suite on PostgreSQL; the default is SQLite.
"""

from __future__ import annotations

from dataclasses import replace

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise, connections

from api.app import create_app
from api.settings import Settings
from domain.db import StatementCounter, close_database, open_database
from tests.postgres import ThrowawayPostgres

BACKEND = os.environ.get("CLUBGRAPH_TEST_DATABASE", "sqlite")
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError(f"CLUBGRAPH_TEST_DATABASE must be sqlite or postgres, not {BACKEND!r}")


def pytest_report_header() -> str:
    return f"clubgraph test database: {BACKEND}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if BACKEND == "postgres":
        server = ThrowawayPostgres().start()
        try:
            yield server.create_database("clubgraph_test")
        finally:
            server.stop()
    else:
        with tempfile.TemporaryDirectory(prefix="clubgraph-test-") as folder:
            yield f"sqlite://{Path(folder) / 'test.sqlite3'}"


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[str]:
    await open_database(database_url, migrate_schema=True)
    try:
        yield database_url
    finally:
        await close_database()


def _tables() -> list[str]:
    return [model._meta.db_table for model in Tortoise.apps["models"].values()]


@pytest.fixture(autouse=True)
async def empty_database(database: str) -> None:
    """Every test starts from empty tables, so it sees only what it set up itself."""
    connection = connections.get("default")
    if BACKEND == "postgres":
        # TRUNCATE costs per table, however empty: ask first which tables hold rows (one cheap
        # statement), then truncate only those. Every table with rows is listed, so CASCADE has
        # nothing else to reach.
        tables = _tables()
        probe = " UNION ALL ".join(f"SELECT '{table}' AS t WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables)
        used = [row["t"] for row in await connection.execute_query_dict(probe)]
        if used:
            # DELETE, not TRUNCATE: on a few rows it is many times cheaper (TRUNCATE swaps the
            # tables' files). Foreign keys are not checked for the cleanup (replica role), so the
            # order does not matter; ids keep counting up, which no test may rely on anyway.
            deletes = "".join(f'DELETE FROM "{table}";' for table in used)
            await connection.execute_script(
                f"SET session_replication_role = replica;{deletes}SET session_replication_role = DEFAULT;"
            )
    else:
        # Foreign keys off for the cleanup only, so that the order of the tables does not matter.
        deletes = "".join(f'DELETE FROM "{table}";' for table in _tables())
        await connection.execute_script(f"PRAGMA foreign_keys=OFF;{deletes}PRAGMA foreign_keys=ON;")


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(env="test", database_url=database_url, secret_key="test-secret-key-" + "x" * 32)


@pytest.fixture
async def client(settings: Settings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    # The session already opened the database, so the app's own lifespan is not run here.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield http


@pytest.fixture
async def strawberry_client(settings: Settings, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that answers every document through strawberry: compiled queries off."""
    transport = httpx.ASGITransport(app=create_app(replace(settings, compiled_queries=False)))
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield http


@pytest.fixture
def sql() -> Iterator[StatementCounter]:
    """The SQL statements Tortoise sends during the test, in `.statements`."""
    with StatementCounter() as counter:
        yield counter
