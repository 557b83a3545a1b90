"""The append-only audit log: every write, every read of a sensitive field, every export and sign-in.

Nothing updates or deletes an audit row; `record` only ever inserts, many rows in one statement.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import models
from domain.db import log_statement, sqlite_file
from domain.models import AuditKind
from domain.policy import Permission, require_permission
from domain.viewer import Viewer


@dataclass(frozen=True, slots=True)
class AuditRecord:
    kind: AuditKind
    action: str  # the mutation name, or Type.field for a read, e.g. "Member.phone"
    member_id: int | None = None
    outcome: str = "ok"
    detail: dict[str, Any] | None = field(default=None)


_COLUMNS = ("at", "kind", "actor_kind", "actor_id", "actor_role", "action", "member_id", "outcome", "request_id", "detail")
_ROWS_PER_STATEMENT = 1000  # 10,000 parameters: well within SQLite's and PostgreSQL's limits


async def record(viewer: Viewer, records: Sequence[AuditRecord], *, request_id: str | None) -> None:
    """Append the records as the viewer's, at one time; returns once they are committed.

    Raw SQL with the model fields' own conversions: a page of a hundred members' contacts is two hundred
    rows, which as model objects cost more than the rest of the request. Outside a transaction, the rows
    of concurrent requests share one INSERT and one commit (`_SQLiteWriter`, `_GroupCommit`).
    """
    if not records:
        return
    to_json = models.AuditEntry._meta.fields_map["detail"].to_db_value
    at, actor = _now(), _actor(viewer)
    rows = [
        (at, item.kind.value, *actor, item.action, item.member_id, item.outcome, request_id,
         None if item.detail is None else to_json(item.detail, models.AuditEntry))
        for item in records
    ]
    await _write(rows)


async def record_reads(viewer: Viewer, reads: Iterable[tuple[str, int]], *, request_id: str | None) -> None:
    """`record` of full reads, as (action, member id) pairs: the rows of AuditRecord(READ, action, member_id).

    For the compiled path's pages of members, without an object per row.
    """
    head = (_now(), AuditKind.READ.value, *_actor(viewer))
    rows = [(*head, action, member_id, "ok", request_id, None) for action, member_id in reads]
    if rows:
        await _write(rows)


def _now() -> Any:
    return models.AuditEntry._meta.fields_map["at"].to_db_value(datetime.now(timezone.utc), models.AuditEntry)


def _actor(viewer: Viewer) -> tuple[str, int | None, str | None]:
    return str(viewer.kind), viewer.id, str(viewer.role) if viewer.role is not None else None


async def _write(rows: list[tuple[Any, ...]]) -> None:
    connection = models.AuditEntry._choose_db(True)
    if isinstance(connection, TransactionalDBClient):
        await _insert_all(connection, rows)  # inside a transaction: part of it, and gone if it rolls back
    elif sqlite_file(connection) is not None:
        await _sqlite_write(connection, rows)
    else:
        await _group_commit().write(rows)


class _SQLiteWriter:
    """Rows written in the thread of Tortoise's SQLite connection, as soon as it is free.

    The next write that thread runs takes the rows of every request waiting then: while it writes, the
    rows of the requests coming in gather for the next. The event loop only hands rows over and wakes
    their requests, so a busy loop never leaves the database idle between two writes, as a write task
    on the loop would.

    The rows go through a connection of the writer's own, in that same thread, so no statement of
    Tortoise's ever runs at the same time, and Tortoise's count of the rows its statements changed
    (a connection's `total_changes`) stays its own. A write that finds a transaction open on Tortoise's
    connection (Tortoise holds its lock for it) leaves its rows for a try a moment later: that
    transaction holds SQLite's write lock, which it cannot release while the thread waits for it.

    It reaches into aiosqlite (pinned): `_tx`, the queue of the connection's thread, and `_connection`.
    """

    RETRY_SECONDS = 0.002

    def __init__(self, database: Any, path: str, pragmas: dict[str, Any]) -> None:
        self.database = weakref.ref(database)  # the aiosqlite connection, whose thread runs the writes
        self.path, self.pragmas = path, pragmas
        self.own: sqlite3.Connection | None = None  # opened in that thread, at the first write
        self.lock = threading.Lock()  # over `pending` and `scheduled`, shared with that thread
        self.pending: list[tuple[list[tuple[Any, ...]], asyncio.Future[None]]] = []
        self.scheduled = False

    def write(self, rows: list[tuple[Any, ...]]) -> asyncio.Future[None]:
        done = asyncio.get_running_loop().create_future()
        with self.lock:
            self.pending.append((rows, done))
            self._schedule()
        return done

    def _schedule(self) -> None:
        """With the lock held, in the event loop's thread."""
        if self.scheduled:
            return
        database = self.database()
        if database is None or database._connection is None:  # closed: no write will come
            failed, self.pending = self.pending, []
            _settle([done for _, done in failed], ConnectionError("the database connection is closed"))
            return
        self.scheduled = True
        database._tx.put_nowait((None, self._flush))

    def _retry(self) -> None:
        with self.lock:
            if self.pending:
                self._schedule()

    def _flush(self) -> None:
        """In the database's thread, between two of Tortoise's calls."""
        database = self.database()
        with self.lock:
            self.scheduled = False
            batch = self.pending
            if not batch:
                return
            if database is not None and database._connection.in_transaction:
                loop = batch[0][1].get_loop()
                loop.call_soon_threadsafe(loop.call_later, self.RETRY_SECONDS, self._retry)
                return
            self.pending = []
        error: BaseException | None = None
        try:
            if database is None:
                raise ConnectionError("the database connection is closed")
            if self.own is None:
                self.own = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                for pragma, value in self.pragmas.items():
                    self.own.execute(f"PRAGMA {pragma}={value}")
            _insert_now(self.own, [row for rows, _ in batch for row in rows])
        except BaseException as caught:  # every writer of the batch learns it: no row, no answer
            error = caught
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, done in batch:
            by_loop.setdefault(done.get_loop(), []).append(done)
        for loop, futures in by_loop.items():
            loop.call_soon_threadsafe(_settle, futures, error)


def _insert_now(connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """One INSERT of all the rows, in autocommit mode, handed over as one JSON array.

    One parameter rather than ten per row: binding parameters holds the interpreter's lock, which the
    event loop's thread is waiting for, while SQLite reads the JSON without it.
    """
    params = [orjson.dumps(rows, default=_sqlite_text, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()]
    log_statement(_SQLITE_INSERT, params)
    connection.execute(_SQLITE_INSERT, params)


@functools.lru_cache(maxsize=16)
def _sqlite_text(value: datetime) -> str:
    return value.isoformat(" ")  # as Tortoise's SQLite adapter writes a datetime; the rows of a request share one


_SQLITE_INSERT = (
    f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{index}]')" for index in range(len(_COLUMNS)))
    + " FROM json_each(?)"
)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for done in futures:
        if done.done():
            continue  # its request went away
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


_sqlite_writers: weakref.WeakKeyDictionary[Any, _SQLiteWriter] = weakref.WeakKeyDictionary()


async def _sqlite_write(client: Any, rows: list[tuple[Any, ...]]) -> None:
    if client._connection is None:
        await client.create_connection(with_db=True)  # Tortoise connects at its first statement
    database = client._connection
    writer = _sqlite_writers.get(database)
    if writer is None:
        writer = _sqlite_writers[database] = _SQLiteWriter(database, sqlite_file(client), client.pragmas)
    await writer.write(rows)


class _GroupCommit:
    """Rows of concurrent requests written together: each request still waits for the commit holding its own.

    The first writer starts a drain task; rows arriving while it writes go into its next INSERT: a
    statement and a commit per batch instead of per request; the rows are the same. On PostgreSQL;
    SQLite's rows go through `_SQLiteWriter`.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[list[tuple[Any, ...]], asyncio.Future[None]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        done = asyncio.get_running_loop().create_future()
        self.pending.append((rows, done))
        if self.draining is None or self.draining.done():
            # In a context of its own: never inside the transaction of the request that started it.
            self.draining = asyncio.create_task(self._drain(), context=contextvars.Context())
        await done

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await _insert_all(connections.get("default"), [row for rows, _ in batch for row in rows])
            except Exception as error:  # every writer of the batch learns it: no row, no answer
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = weakref.WeakKeyDictionary()


def _group_commit() -> _GroupCommit:
    loop = asyncio.get_running_loop()
    group = _group_commits.get(loop)
    if group is None:
        group = _group_commits[loop] = _GroupCommit()
    return group


async def _insert_all(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    """One INSERT, or one per thousand rows in a transaction."""
    if len(rows) <= _ROWS_PER_STATEMENT:
        await _insert(connection, rows)
        return
    async with in_transaction() as transaction:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            await _insert(transaction, rows[start : start + _ROWS_PER_STATEMENT])


async def _insert(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    sql = _insert_sql(len(rows), connection.capabilities.dialect)
    await connection.execute_query(sql, [value for row in rows for value in row])


@functools.lru_cache(maxsize=64)
def _insert_sql(count: int, dialect: str) -> str:
    width = len(_COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${row * width + column + 1}" for column in range(width)) + ")" for row in range(count)
    )
    sql = f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES {values}"
    return sql.replace("$", "?") if dialect == "sqlite" else sql


def entry_query(
    *,
    viewer: Viewer,
    member_id: int | None = None,
    actor_kind: str | None = None,
    actor_id: int | None = None,
    kind: AuditKind | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[models.AuditEntry]:
    """The audit rows matching every condition given, for those who may read the log; `until` is exclusive."""
    require_permission(viewer, Permission.AUDIT_READ)
    conditions: dict[str, Any] = {
        "member_id": member_id,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "kind": kind,
        "action": action,
        "at__gte": since,
        "at__lt": until,
    }
    return models.AuditEntry.filter(**{column: value for column, value in conditions.items() if value is not None})
