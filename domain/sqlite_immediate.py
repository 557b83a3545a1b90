"""Tortoise's SQLite backend with write transactions that take the write lock at BEGIN.

A deferred transaction that reads, then writes, fails at once with SQLITE_BUSY when another
process wrote in between; BEGIN IMMEDIATE waits for the lock (up to busy_timeout) instead, so
several worker processes can share one SQLite file.

A transaction also holds the live notifications published in it (domain/live.py) until it commits;
a rollback, or the rollback of the savepoint they were published in, drops them.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import NestedTransactionContext, TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

from domain import live


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    def __init__(self, connection: SqliteClient) -> None:
        super().__init__(connection)
        self.live_pending: list[str] = []

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    async def commit(self) -> None:
        await super().commit()
        live.committed(self.live_pending)

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(_Savepoint(self))


class _Savepoint(SqliteTransactionWrapper):
    """A nested `in_transaction()`: what was published since it began goes if it rolls back."""

    def __init__(self, outer: ImmediateTransactionWrapper) -> None:
        super().__init__(outer)
        self.live_pending = outer.live_pending
        self._published_before = 0

    async def savepoint(self) -> None:
        self._published_before = len(self.live_pending)
        await super().savepoint()

    async def savepoint_rollback(self) -> None:
        await super().savepoint_rollback()
        del self.live_pending[self._published_before :]


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> SqliteTransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
