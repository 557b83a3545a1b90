"""Prometheus metrics at /metrics, and the observer that records every request and writes its access line.

What is measured:
- GraphQL requests by operation name, type and outcome (ok, errors, refused), their latency, and the
  errors of their answers by code (an unexpected error is INTERNAL_SERVER_ERROR);
- HTTP responses by route and status;
- the database pool, the partners' catalog calls and circuits (partners/federation.py);
- the webhook outbox's backlog, counted in the database when /metrics is scraped.

Operation names are client input: the label takes the persisted operations' names and the first
OPERATION_NAME_CAP other names a process sees; any other name is counted as "other", so that a client
inventing names cannot grow the number of series without bound.

With several worker processes, PROMETHEUS_MULTIPROC_DIR makes every worker write its figures to files
there and one scrape of any worker reads them all (`clubgraph serve --workers N` and the Dockerfile set
it up). Without it, each worker answers with its own figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import hmac
import ipaddress
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from graphql import GraphQLError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import connections

from schema.observe import Operation, current_operation

logger = logging.getLogger("clubgraph.metrics")
access_logger = logging.getLogger("clubgraph.access")

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
OPERATION_NAME_CAP = 200
SAMPLE_SECONDS = 5.0  # how often each worker writes its pool and circuit gauges in multiprocess mode
BACKLOG_TIMEOUT = 0.5  # seconds the outbox count may take before a scrape goes on without it
ROUTES = frozenset({"/graphql", "/health", "/ready", "/metrics"})
CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PARTNER_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0)
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")

# A `_created` series beside every counter doubles what is scraped for a figure nobody charts.
disable_created_metrics()


@dataclass(slots=True)
class Exchange:
    """One HTTP request as the metrics and the access log see it; the GraphQL app fills in its part."""

    method: str
    path: str
    started: float
    operation: Operation = field(default_factory=Operation)
    status: int = 0
    graphql: bool = False  # an operation was asked of /graphql (not the GraphiQL page)
    outcome: str | None = None  # "ok", "errors" or "refused" once the GraphQL app has an answer
    viewer: str = "anonymous"
    error_codes: list[str] = field(default_factory=list)


def error_code(error: GraphQLError, *, request_error: bool) -> str:
    """The code an answer's error is counted under: its `extensions.code`, else what kind of failure it is."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and _CODE.fullmatch(code):
        return code
    if request_error:
        return "GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"
    return "UNCODED"


class OperationNames:
    """The label of an operation: its name when it is a known one, "other" past the cap."""

    def __init__(self, known: Iterable[str], *, cap: int = OPERATION_NAME_CAP) -> None:
        self.known = frozenset(known)
        self.cap = cap
        self.seen: set[str] = set()

    def label(self, operation: Operation) -> str:
        if not operation.known:
            return "unknown"  # refused before a document parsed: no query, a syntax error, a bad token, a body too large
        name = operation.name
        if name is None:
            return "anonymous"
        if name in self.known or name in self.seen:
            return name
        if len(self.seen) >= self.cap or not _NAME.fullmatch(name):
            return "other"
        self.seen.add(name)
        return name


class _Scraped(Collector):
    """The figures read from the database at scrape time: the webhook outbox's backlog."""

    def __init__(self) -> None:
        self.backlog: dict[str, int] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog = self.backlog
        if backlog is None:
            return
        yield GaugeMetricFamily(
            "clubgraph_webhook_deliveries_pending", "Webhook deliveries waiting to be delivered", value=backlog["pending"]
        )
        yield GaugeMetricFamily(
            "clubgraph_webhook_deliveries_dead", "Webhook deliveries that ran out of attempts", value=backlog["dead"]
        )
        yield GaugeMetricFamily(
            "clubgraph_outbox_events_pending", "Domain events not yet fanned out to webhook deliveries", value=backlog["unfanned"]
        )


class Metrics:
    """The metrics of one app; `/metrics` is its `endpoint`."""

    def __init__(self, *, known_operations: Iterable[str] = (), token: str = "", federation: object = None) -> None:
        self.names = OperationNames(known_operations)
        self.token = token
        self.federation = federation  # partners.federation.CatalogFederation, for its circuits
        self.multiprocess_dir = os.environ.get(MULTIPROC_DIR) or None
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "clubgraph_graphql_requests",
            "GraphQL requests by operation name, operation type and outcome (ok, errors, refused)",
            ["operation", "type", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "clubgraph_graphql_request_duration_seconds",
            "Time from the request's arrival to its answer, by operation name",
            ["operation"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "clubgraph_graphql_errors",
            "Errors in GraphQL answers by operation name and code; unexpected ones are INTERNAL_SERVER_ERROR",
            ["operation", "code"],
            registry=registry,
        )
        self.responses = Counter(
            "clubgraph_http_responses", "HTTP responses by route and status", ["path", "status"], registry=registry
        )
        self.pool_open = Gauge(
            "clubgraph_db_pool_connections", "Open database connections", registry=registry, multiprocess_mode="livesum"
        )
        self.pool_in_use = Gauge(
            "clubgraph_db_pool_connections_in_use",
            "Database connections in use by a query or a transaction",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_max = Gauge(
            "clubgraph_db_pool_connections_max", "The most connections the pools may open", registry=registry, multiprocess_mode="livesum"
        )
        self.partner_calls = Histogram(
            "clubgraph_partner_call_duration_seconds",
            "Catalog calls to partners by partner and outcome (ok, timeout, unavailable, refused, error)",
            ["partner_id", "partner", "outcome"],
            buckets=PARTNER_BUCKETS,
            registry=registry,
        )
        self.circuits = Gauge(
            "clubgraph_partner_circuit_state",
            "A partner's circuit breaker: 0 closed, 1 half-open, 2 open (the worst of the worker processes)",
            ["partner_id", "partner"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.scraped = _Scraped()
        registry.register(self.scraped)
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._responses: dict[tuple[str, str], Counter] = {}

    # --- recording ---------------------------------------------------------------------------

    def observe(self, exchange: Exchange, *, request_id: str | None) -> None:
        """Counts a finished request and writes its access line."""
        seconds = time.perf_counter() - exchange.started
        status = exchange.status or 500
        response_key = (exchange.path if exchange.path in ROUTES else "other", str(status))
        responses = self._responses.get(response_key)
        if responses is None:
            responses = self._responses[response_key] = self.responses.labels(*response_key)
        responses.inc()
        outcome = None
        if exchange.graphql:
            outcome = exchange.outcome or ("ok" if status < 400 else "refused" if status < 500 else "errors")
            name = self.names.label(exchange.operation)
            key = (name, exchange.operation.type or "unknown", outcome)
            children = self._children.get(key)
            if children is None:  # `labels()` takes a lock and builds keys: once per label set, not per request
                children = self._children[key] = (self.requests.labels(*key), self.latency.labels(name))
            children[0].inc()
            children[1].observe(seconds)
            for code in exchange.error_codes:
                self.errors.labels(name, code).inc()
        if access_logger.isEnabledFor(logging.INFO):
            operation = exchange.operation
            path = exchange.path[:200]  # never the query string: a GET carries the query and its variables there
            # A record made directly: `Logger.info` would walk the stack for the caller's line on every request.
            record = access_logger.makeRecord(
                access_logger.name, logging.INFO, __file__, 0, "%s %s %s", (exchange.method, path, status), None
            )
            record.request_id = request_id
            record.fields = {
                "method": exchange.method,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "operation": operation.name[:100] if operation.name else None,
                "operation_type": operation.type,
                "outcome": outcome,
                "viewer": exchange.viewer,
            }
            access_logger.handle(record)

    def partner_call(self, endpoint: object, outcome: str, seconds: float) -> None:
        """CatalogFederation's `on_call`."""
        self.partner_calls.labels(str(endpoint.partner_id), endpoint.name, outcome).observe(seconds)  # type: ignore[attr-defined]

    def sample(self) -> None:
        """Writes this process's pool and circuit gauges."""
        pool = pool_usage()
        if pool is not None:
            open_connections, in_use, most = pool
            self.pool_open.set(open_connections)
            self.pool_in_use.set(in_use)
            self.pool_max.set(most)
        states = getattr(self.federation, "states", None)
        for state in states() if states is not None else ():
            self.circuits.labels(str(state.partner_id), state.partner_name).set(CIRCUIT_STATES[state.circuit])

    async def sample_every(self, seconds: float = SAMPLE_SECONDS) -> None:
        """In multiprocess mode, every worker's gauges must be written by that worker: a scrape reaches one."""
        while True:
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - metrics must never stop the app
                logger.exception("sampling the gauges failed")
            await asyncio.sleep(seconds)

    def close(self) -> None:
        """A worker that stops takes its live gauges (pool, circuits) out of the shared figures."""
        if self.multiprocess_dir:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)

    # --- /metrics -----------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            self.sample()
        except Exception:  # noqa: BLE001 - the scrape goes on with the figures it has
            logger.exception("sampling the gauges failed")
        self.scraped.backlog = await outbox_backlog()
        if self.multiprocess_dir:
            _forget_dead_workers(self.multiprocess_dir)
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
            registry.register(self.scraped)
        else:
            registry = self.registry
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type)

    def _refusal(self, request: Request) -> Response | None:
        """Only the bearer of CLUBGRAPH_METRICS_TOKEN when it is set; otherwise only a private address,
        reached directly: a request that came through a proxy may come from anywhere."""
        if self.token:
            scheme, _, credential = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), self.token.encode()):
                return None
            return PlainTextResponse(
                "Send CLUBGRAPH_METRICS_TOKEN as a bearer token", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        host = request.client.host if request.client else ""
        if is_private_address(host) and not any(header in request.headers for header in _FORWARDED):
            return None
        return PlainTextResponse(
            "Metrics are served to private addresses only, or with CLUBGRAPH_METRICS_TOKEN", status_code=403
        )


class RequestObserver:
    """The outermost middleware: times every request, then counts it and writes its access line."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(method=scope["method"], path=scope["path"], started=time.perf_counter())
        state = scope.setdefault("state", {})
        state["exchange"] = exchange
        token = current_operation.set(exchange.operation)

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            current_operation.reset(token)
            try:
                self.metrics.observe(exchange, request_id=state.get("request_id"))
            except Exception:  # noqa: BLE001 - metrics must never fail a request
                logger.exception("recording the request failed")


# --- readings -----------------------------------------------------------------------------------


def is_private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:8.8.8.8 is public, whatever Python 3.11 calls it
    return address.is_loopback or address.is_private


def pool_usage() -> tuple[int, int, int] | None:
    """(open, in use, most) connections of the database pool; None before the database is open.

    On PostgreSQL, asyncpg's pool. On SQLite, Tortoise's one connection, in use while its lock is held.
    """
    try:
        connection = connections.get("default")
    except Exception:  # noqa: BLE001 - not initialised yet
        return None
    pool = getattr(connection, "_pool", None)
    if pool is not None:
        size = pool.get_size()
        return size, size - pool.get_idle_size(), pool.get_max_size()
    if connection.capabilities.dialect == "sqlite":
        lock = getattr(connection, "_lock", None)
        return (1 if getattr(connection, "_connection", None) else 0), int(bool(lock and lock.locked())), 1
    return None


async def outbox_backlog() -> dict[str, int] | None:
    """Pending and dead webhook deliveries, and events not fanned out yet; None while the outbox tables do
    not exist, or when the database does not answer within BACKLOG_TIMEOUT (the scrape goes on without)."""
    from domain import models
    from domain.db import fetch_dicts

    delivery, event = getattr(models, "WebhookDelivery", None), getattr(models, "OutboxEvent", None)
    statuses = getattr(models, "DeliveryStatus", None)
    if delivery is None or event is None or statuses is None:
        return None
    sql = (
        f'SELECT (SELECT count(*) FROM "{delivery._meta.db_table}" WHERE status = $1) AS pending, '
        f'(SELECT count(*) FROM "{delivery._meta.db_table}" WHERE status = $2) AS dead, '
        f'(SELECT count(*) FROM "{event._meta.db_table}" WHERE NOT fanned_out) AS unfanned'
    )
    try:
        async with asyncio.timeout(BACKLOG_TIMEOUT):
            [row] = await fetch_dicts(sql, [statuses.PENDING.value, statuses.DEAD.value])
    except Exception as exc:  # noqa: BLE001 - a missing table, a busy database: no backlog this scrape
        logger.debug("outbox backlog not read: %s", exc)
        return None
    return {name: int(row[name]) for name in ("pending", "dead", "unfanned")}


# --- several worker processes ---------------------------------------------------------------------


def _forget_dead_workers(path: str) -> None:
    """Takes the live gauges of workers that died without stopping (SIGKILL) out of the figures."""
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = os.path.basename(file).rsplit("_", 1)[1].removesuffix(".db")
        if pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def multiprocess_directory() -> Iterator[str]:
    """PROMETHEUS_MULTIPROC_DIR for the worker processes about to start: the one given, emptied of an
    earlier run's files, or a new temporary folder removed afterwards. Set before the workers start."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        os.makedirs(given, exist_ok=True)
        for stale in glob.glob(os.path.join(given, "*.db")):
            os.remove(stale)
        yield given
        return
    folder = tempfile.mkdtemp(prefix="clubgraph-metrics-")
    os.environ[MULTIPROC_DIR] = folder
    try:
        yield folder
    finally:
        del os.environ[MULTIPROC_DIR]
        shutil.rmtree(folder, ignore_errors=True)
