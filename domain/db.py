"""Database connection: Tortoise configuration, start-up migration and shutdown."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from enum import StrEnum
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

APP_LABEL = "models"


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("postgresql://"):
        database_url = "postgres://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        if path not in (":memory:", "") and not path.startswith("/"):
            path = str(Path(path).resolve())
        if path not in (":memory:", ""):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection: str | dict[str, Any] = expand_db_url(f"sqlite://{path}")
        connection["engine"] = "domain.sqlite_immediate"
        connection["credentials"].setdefault("busy_timeout", 10_000)
        connection["credentials"].setdefault("journal_size_limit", 64 * 1024 * 1024)
    else:
        connection = database_url
    return {
        "connections": {"default": connection},
        "apps": {APP_LABEL: {"models": ["domain.models"], "migrations": "domain.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(database_url: str, *, migrate_schema: bool = True) -> None:
    """Connect, and bring the schema up to the newest migration when asked."""
    config = tortoise_config(database_url)
    if migrate_schema:
        try:
            await migrate(config=config)
        except BaseException:
            # An open SQLite connection keeps its thread alive: the process would never exit.
            await Tortoise.close_connections()
            raise
    # Requests run in other tasks than the one that opened the database: let them all find it.
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_database() -> None:
    _readers.close()
    await Tortoise.close_connections()


class _Readers(threading.local):
    """Each thread's read-only connection to the SQLite file, opened at its first read.

    A reader of a write-ahead log waits for no writer; `busy_timeout` bounds the rare wait there is
    (a log being recovered), which would hold the event loop.
    """

    connection: sqlite3.Connection | None = None
    path: str | None = None

    def get(self, path: str) -> sqlite3.Connection:
        if self.connection is None or self.path != path:
            self.close()
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA query_only = ON")
            connection.execute("PRAGMA busy_timeout = 200")
            self.connection, self.path = connection, path
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = self.path = None


_readers = _Readers()
_statements = logging.getLogger("tortoise.db_client")


def log_statement(sql: str, params: list[Any]) -> None:
    """Log a statement run outside Tortoise as Tortoise logs its own, for `StatementCounter`."""
    if _statements.isEnabledFor(logging.DEBUG):
        _statements.debug("%s: %s", sql, params)


async def read_rows(sql: str, params: list[Any]) -> list[Any]:
    """The rows (tuples) of a short read, SQL written with PostgreSQL's numbered parameters ($1, $2...).

    On a SQLite file it runs at once, in the event loop's thread, on a read-only connection of its own:
    it sees every committed write, and waits neither for the writes queued on Tortoise's one connection
    nor for a hop to that connection's thread, which costs more than a read of a few pages by key.
    For reads by key and pages of at most a few hundred rows: the loop waits for them. Elsewhere
    (PostgreSQL, an in-memory database, inside a transaction, which must see its own writes) Tortoise
    runs it. Logged as Tortoise logs its statements, so `StatementCounter` counts it.
    """
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        sql = sql.replace("$", "?")
    path = None if isinstance(connection, TransactionalDBClient) else sqlite_file(connection)
    if path is None:
        return (await connection.execute_query(sql, params))[1]
    log_statement(sql, params)
    return _readers.get(path).execute(sql, params).fetchall()


def sqlite_file(connection: Any) -> str | None:
    """The path of the SQLite file behind a Tortoise connection (not a transaction's); None for PostgreSQL
    or an in-memory database."""
    path = getattr(connection, "filename", None) if connection.capabilities.dialect == "sqlite" else None
    return None if path in (None, ":memory:", "") else path


# For Tortoise's own command line: `tortoise -c domain.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends while in a `with` block, from its debug log."""

    _logger = logging.getLogger("tortoise.db_client")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []  # as logged: the SQL, then its parameters
        self.queries: list[tuple[str, list[Any]]] = []  # the SQL and its parameters apart, to run it again

    @property
    def count(self) -> int:
        return len(self.statements)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(("Created connection", "Closed connection")):
            return
        self.statements.append(message)
        # Tortoise logs "%s: %s" % (query, values).
        if isinstance(record.args, tuple) and len(record.args) == 2 and isinstance(record.args[0], str):
            self.queries.append((record.args[0], list(record.args[1] or [])))
        else:
            self.queries.append((message, []))

    def __enter__(self) -> StatementCounter:
        self._previous_level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous_level)


async def fetch_dicts(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Run raw SQL written with PostgreSQL's numbered parameters ($1, $2...) on either database."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        sql = sql.replace("$", "?")  # SQLite numbers its parameters ?1, ?2...
    return await connection.execute_query_dict(sql, params)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


_PERIOD_START = {
    "sqlite": {
        Period.DAY: "date({})",
        Period.WEEK: "date({}, '-6 days', 'weekday 1')",  # the Monday on or before
        Period.MONTH: "strftime('%Y-%m-01', {})",
        Period.YEAR: "strftime('%Y-01-01', {})",
    },
    "postgres": {
        period: f"to_char(date_trunc('{period.value}', {{}} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')" for period in Period
    },
}


def period_start_sql(column: str, period: Period) -> str:
    """SQL for the first day (UTC, as 'YYYY-MM-DD' text) of the period a timestamp column falls in.

    For GROUP BY in `fetch_dicts` queries: the same text on both databases, weeks starting on Monday.
    """
    dialect = connections.get("default").capabilities.dialect
    return _PERIOD_START[dialect][period].format(column)


def dialect() -> str:
    """"sqlite" or "postgres": for the few SQL expressions the two spell differently."""
    return connections.get("default").capabilities.dialect


_MONTH_DAY = {"sqlite": "strftime('%m%d', {})", "postgres": "to_char({}, 'MMDD')"}


def month_day_sql(column: str) -> str:
    """SQL for the month and day of a date column as 'MMDD' text, e.g. '0229': to match birthdays."""
    return _MONTH_DAY[dialect()].format(column)


def day_sql(column: str) -> str:
    """SQL for the UTC day of a timestamp column as 'YYYY-MM-DD' text: to count distinct days.

    The first day of its Period.DAY: one spelling per database, kept in `_PERIOD_START`.
    """
    return period_start_sql(column, Period.DAY)
