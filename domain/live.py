"""Live notifications behind the GraphQL subscriptions: `publish` where a change happens, `listen` to hear of it.

A notification is a hint, not data: it names what changed (a member's points, a registration, the
tickets just breached) and the subscriber reads it again through the usual loaders and visibility
rules, so it can never show more than a query would, nor a value that was rolled back.

Nothing is published before the change commits:
- on SQLite (one process) an in-process broker; what is published inside a transaction is held by
  the transaction (domain/sqlite_immediate.py) and handed over at its commit, and dropped when the
  transaction, or the savepoint it was published in, rolls back;
- on PostgreSQL (any number of processes) a NOTIFY in the publishing transaction, which PostgreSQL
  delivers at commit to every listening process and drops on rollback (a savepoint's too). Each
  process LISTENs on a dedicated connection (`start_listener`, from the app's lifespan) and fans out
  to its own subscribers.

One PostgreSQL channel carries every notification, with the logical channel in its payload: every
process hears everything and drops what none of its subscribers wants with one dict lookup. Channels
per member would need a LISTEN round trip per new subscriber and make PostgreSQL scan each process's
channel list per notification, to save little at the club's rate of changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg
import orjson
from tortoise import connections
from tortoise.backends.base.config_generator import expand_db_url

from domain.errors import NotAuthenticated, PermissionDenied
from domain.policy import Permission, require_permission
from domain.viewer import Viewer

logger = logging.getLogger("clubgraph.live")

PG_CHANNEL = "clubgraph_live"
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads from 8000 bytes
BREACHES = "tickets:breached"
BREACHES_PER_NOTIFICATION = 500  # ticket ids per notification: well within the NOTIFY limit


def points_channel(member_id: int) -> str:
    return f"points:{member_id}"


def registrations_channel(member_id: int) -> str:
    return f"registrations:{member_id}"


def own_member_id(viewer: Viewer) -> int:
    """The member whose own points and registrations the caller may follow: themself, members only."""
    if viewer.is_anonymous:
        raise NotAuthenticated("Sign in to subscribe")
    if not viewer.is_member or viewer.id is None:
        raise PermissionDenied("Only members follow their own points and registrations")
    return viewer.id


def breaches_channel(viewer: Viewer) -> str:
    """Staff who manage tickets hear of breaches; which tickets each may see is the tickets' own rule."""
    require_permission(viewer, Permission.TICKET_MANAGE)
    return BREACHES


class LiveUnavailable(Exception):
    """Live notifications cannot be promised: the listener is not connected, or lost its connection."""


# --- publishing ----------------------------------------------------------------------------------


def _encode(channel: str, payload: dict[str, Any]) -> str:
    message = orjson.dumps({"c": channel, "p": payload}).decode()
    if len(message.encode()) > MAX_NOTIFY_BYTES:
        raise ValueError(f"a live notification must stay under {MAX_NOTIFY_BYTES} bytes: send ids, not data")
    return message


async def publish(channel: str, payload: dict[str, Any]) -> None:
    """Tell the channel's subscribers, in every process, once the current transaction commits (at once outside one)."""
    message = _encode(channel, payload)
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        # On the transaction's own connection when there is one: delivered at its commit, dropped on rollback.
        await client.execute_query("SELECT pg_notify($1, $2)", [PG_CHANNEL, message])
        return
    pending = getattr(client, "live_pending", None)  # set by domain/sqlite_immediate.py on a transaction
    if pending is None:
        _broker.deliver(message)
    else:
        pending.append(message)


async def publish_breaches(ticket_ids: Iterable[int]) -> None:
    ids = sorted(ticket_ids)
    for start in range(0, len(ids), BREACHES_PER_NOTIFICATION):
        await publish(BREACHES, {"tickets": ids[start : start + BREACHES_PER_NOTIFICATION]})


def committed(messages: list[str]) -> None:
    """A SQLite transaction that published `messages` has committed: hand them to the subscribers."""
    for message in messages:
        _broker.deliver(message)


# --- listening -----------------------------------------------------------------------------------


class Listener:
    """One subscriber's notifications of one channel, from its creation until `close`.

    Waiting notifications that are equal are kept once: each names what to read again, and reading it
    once shows the latest. A burst of changes to a balance can therefore come as its last value.
    """

    def __init__(self, broker: Broker, channel: str) -> None:
        self._broker = broker
        self.channel = channel
        self._waiting: dict[str, None] = {}  # encoded payloads, in arrival order, each once
        self._wakeup = asyncio.Event()
        self._lost: LiveUnavailable | None = None

    def _deliver(self, payload: str) -> None:
        self._waiting[payload] = None
        self._wakeup.set()

    def _interrupt(self, error: LiveUnavailable) -> None:
        self._lost = error
        self._wakeup.set()

    async def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next payload; None when `timeout` seconds pass first. Raises LiveUnavailable once notifications
        may have been missed."""
        if not self._waiting and self._lost is None:
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        if self._lost is not None:
            raise self._lost
        if not self._waiting:
            return None
        payload = next(iter(self._waiting))
        del self._waiting[payload]
        return orjson.loads(payload)

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> dict[str, Any]:
        payload = None
        while payload is None:
            payload = await self.next()
        return payload

    def close(self) -> None:
        self._broker._remove(self)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Broker:
    """This process's subscribers by channel."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = {}

    def listen(self, channel: str) -> Listener:
        listener = Listener(self, channel)
        self._listeners.setdefault(channel, set()).add(listener)
        return listener

    def _remove(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.channel]

    def deliver(self, message: str) -> None:
        try:
            decoded = orjson.loads(message)
            channel, payload = decoded["c"], orjson.dumps(decoded["p"]).decode()
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("ignored a malformed live notification: %.200s", message)
            return
        for listener in tuple(self._listeners.get(channel, ())):
            listener._deliver(payload)

    def interrupt_all(self, error: LiveUnavailable) -> None:
        for listeners in tuple(self._listeners.values()):
            for listener in tuple(listeners):
                listener._interrupt(error)

    @property
    def subscribers(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())


_broker = Broker()


def listen(channel: str) -> Listener:
    """Start hearing the channel now (call it before reading the current state, so no change falls between).

    Raises LiveUnavailable on PostgreSQL while this process's listener is not connected.
    """
    if connections.get("default").capabilities.dialect == "postgres" and not (_listener and _listener.connected):
        raise LiveUnavailable("Live updates are unavailable for the moment; subscribe again shortly")
    return _broker.listen(channel)


class PostgresListener:
    """LISTEN on a dedicated connection (not one of the ORM pool's, which come and go between queries),
    reconnecting when it drops. While it is down, notifications are lost: the subscribers of the
    moment are told (LiveUnavailable), so that they subscribe again and read the state afresh."""

    def __init__(self, database_url: str, broker: Broker, *, keepalive: float = 10.0, retry: float = 1.0) -> None:
        self._connect_args = _connect_args(database_url)
        self._broker = broker
        self._keepalive = keepalive
        self._retry = retry
        self._connected = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self, *, wait: float = 5.0) -> None:
        self._task = asyncio.create_task(self._run(), name="clubgraph-live-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), wait)
        if not self.connected:
            logger.warning("the live listener is not connected yet; subscriptions are refused until it is")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _notified(self, _connection: Any, _pid: int, _channel: str, message: str) -> None:
        self._broker.deliver(message)

    async def _run(self) -> None:
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(**self._connect_args, timeout=self._retry * 5)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection: lost.set())
                await connection.add_listener(PG_CHANNEL, self._notified)
                self._connected.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self._keepalive)
                    if not lost.is_set():
                        # A connection that died without a word (a cut network) is found out here.
                        await connection.fetchval("SELECT 1", timeout=self._keepalive)
                logger.warning("the live listener lost its connection; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - any failure: reconnect, and tell the subscribers
                logger.warning("the live listener failed; reconnecting", exc_info=True)
            finally:
                if self._connected.is_set():
                    self._connected.clear()
                    self._broker.interrupt_all(
                        LiveUnavailable("Live updates were interrupted; subscribe again to read the current state")
                    )
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(self._retry)


def _connect_args(database_url: str) -> dict[str, Any]:
    """asyncpg's arguments from the database URL, as Tortoise reads it (without the pool's own options)."""
    credentials = expand_db_url(database_url.replace("postgresql://", "postgres://", 1))["credentials"]
    wanted = ("host", "port", "user", "password", "database", "ssl")
    return {name: credentials[name] for name in wanted if credentials.get(name) is not None}


_listener: PostgresListener | None = None


async def start_listener(database_url: str) -> None:
    """Start this process's PostgreSQL listener; nothing to start on SQLite, whose broker is in-process."""
    global _listener
    if not database_url.startswith(("postgres://", "postgresql://")) or _listener is not None:
        return
    _listener = PostgresListener(database_url, _broker)
    await _listener.start()


async def stop_listener() -> None:
    global _listener
    if _listener is not None:
        await _listener.stop()
        _listener = None
