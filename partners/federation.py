"""The federated catalog: every active partner's items, fetched concurrently, each within a deadline.

A partner with an endpoint is asked `GET /catalog`; a push-only partner's catalog is what it last
pushed (`partnerCatalogPush`), and so is that of a partner with an endpoint whose last push is fresher
than the cache's TTL. A partner that does not answer in time is left out and named in a
`PartnerFailure`, so that the catalog still comes with every other partner's items. The failure
carries a plain reason ("no answer in time", "temporarily unavailable") fit for members; the detail
("answered with a bad signature (...)") goes to the log, with the partner's id.

Every read takes the catalogs of many partners at once (`catalogs`): their pushed items in one query,
the others pulled concurrently. Single items (`nodes`, `_entities`, `reward(id:)`) go through the
request's `partner_catalog_by_id` DataLoader (`load_partner_catalogs`), so that N reward ids of any
mix of partners cost the same statements as one.

Three mechanisms keep a slow partner from slowing the club down, all per partner and per process:
- a cache of the parsed items for `ttl` seconds (60 by default);
- single flight: concurrent requests that miss the cache share one fetch, so a burst of catalog
  requests costs the partner one call, and a waiter never waits longer than the deadline;
- a circuit breaker: after `failure_threshold` failures in a row the partner is not called for
  `open_seconds` (its failure is reported at once), then one call probes it (half-open): success
  closes the circuit, failure opens it again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.expressions import Q, Subquery

from domain import catalog, models
from domain.catalog import CatalogItem, PartnerFailure
from domain.models import PartnerStatus
from partners.client import CATALOG_DEADLINE, Endpoint, PartnerClient, PartnerRefusal, PartnerUnavailable

logger = logging.getLogger("clubgraph.partners")

DEFAULT_TTL = 60.0  # seconds; the app takes it from its settings (CLUBGRAPH_CATALOG_TTL_SECONDS)
FAILURE_THRESHOLD = 3
OPEN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PartnerState:
    """What the metrics need to know of one partner: its circuit and how old its cached catalog is."""

    partner_id: int
    partner_name: str
    circuit: str  # "closed", "open" or "half_open"
    consecutive_failures: int
    cache_age_seconds: float | None  # None: nothing cached


@dataclass(frozen=True, slots=True)
class PartnerCatalog:
    """One partner's catalog as a request sees it: its items, or the failure that left them out."""

    partner: models.Partner
    items: list[CatalogItem]
    failure: PartnerUnavailable | None = None

    def item(self, item_id: str) -> CatalogItem | None:
        """The item of that id; None when the partner has no such item. Raises the failure, if any."""
        if self.failure is not None:
            raise self.failure
        return next((item for item in self.items if item.item_id == item_id), None)


@dataclass(slots=True)
class _Breaker:
    name: str = ""
    failures: int = 0
    opened_at: float | None = None  # monotonic time the circuit last opened, None while closed
    last_reason: str = ""


@dataclass(frozen=True, slots=True)
class _Cached:
    endpoint: Endpoint
    items: list[CatalogItem]
    fetched_at: float  # monotonic


class CatalogFederation:
    """One per process: it owns the pooled client every call to a partner goes through, the cache and the breakers."""

    def __init__(
        self,
        client: PartnerClient | None = None,
        *,
        deadline: float = CATALOG_DEADLINE,
        ttl: float = DEFAULT_TTL,
        failure_threshold: int = FAILURE_THRESHOLD,
        open_seconds: float = OPEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_call: Callable[[Endpoint, str, float], None] | None = None,
    ) -> None:
        """`on_call(endpoint, outcome, seconds)` hears of every catalog call made to a partner, for the
        metrics: outcome "ok", "timeout", "unavailable", "refused" or "error"."""
        self.client = client or PartnerClient()
        self.on_call = on_call
        self.deadline = deadline
        self.ttl = ttl
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self._clock = clock
        self._cache: dict[int, _Cached] = {}
        self._inflight: dict[int, asyncio.Future[list[CatalogItem]]] = {}
        self._breakers: dict[int, _Breaker] = {}

    # --- reads ------------------------------------------------------------------------------

    async def partner_items(
        self, partners: list[models.Partner] | None = None, *, now: datetime | None = None
    ) -> tuple[list[CatalogItem], list[PartnerFailure]]:
        """Every item of the given (default: every active) partner, and the partners that failed.

        The pushed catalogs of all of them come in one query; the others are pulled concurrently.
        """
        if partners is None:
            partners = await models.Partner.filter(status=PartnerStatus.ACTIVE).order_by("id")
        items: list[CatalogItem] = []
        failures: list[PartnerFailure] = []
        for found in await self.catalogs(partners, now=now):
            if found.failure is None:
                items.extend(found.items)
            else:
                failures.append(PartnerFailure(found.partner.id, found.partner.name, found.failure.plain_reason))
        return items, failures

    async def catalogs(
        self, partners: Sequence[models.Partner], *, now: datetime | None = None
    ) -> list[PartnerCatalog]:
        """The catalog of each partner, in the order given: the pushed ones in one query, the others
        pulled concurrently (cached). A partner that fails is logged with the detail of its failure."""
        if not partners:
            return []
        pushed = await self._pushed_items(partners, now=now)
        pulled = [partner for partner in partners if partner.base_url and partner.id not in pushed]
        results = await asyncio.gather(*(self._pulled_items(partner) for partner in pulled), return_exceptions=True)
        found = {partner.id: PartnerCatalog(partner, pushed[partner.id]) for partner in partners if partner.id in pushed}
        for partner, result in zip(pulled, results, strict=True):
            if isinstance(result, PartnerUnavailable):
                logger.warning("partner %s (%s): catalog left out: %s", partner.id, partner.name, result.reason)
                found[partner.id] = PartnerCatalog(partner, [], result)
            elif isinstance(result, BaseException):
                raise result
            else:
                found[partner.id] = PartnerCatalog(partner, result)
        return [found[partner.id] for partner in partners]

    async def catalogs_by_id(
        self, partner_ids: Sequence[int], *, now: datetime | None = None
    ) -> list[PartnerCatalog | None]:
        """The catalog of each partner id, None for a partner that does not exist or is not active: one
        query for the partners, one for the pushed items, however many ids."""
        partners = await models.Partner.filter(id__in=set(partner_ids), status=PartnerStatus.ACTIVE).order_by("id")
        by_id = {found.partner.id: found for found in await self.catalogs(partners, now=now)}
        return [by_id.get(partner_id) for partner_id in partner_ids]

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None:
        """One item of a partner's catalog, None when the partner has no such item.

        It is read like the whole catalog: from the pushed rows, or from the cached pull, which may be
        up to the TTL old (a redemption, too, takes the price from there: the partner's issue call is
        what holds it to the item). Raises PartnerUnavailable when the partner's catalog cannot be read.
        """
        [found] = await self.catalogs([partner])
        return found.item(item_id)

    def states(self) -> list[PartnerState]:
        """The circuit and cache age of every partner this process has called, for metrics; read-only."""
        now = self._clock()
        states = []
        for partner_id in sorted(self._breakers.keys() | self._cache.keys()):
            breaker = self._breakers.get(partner_id, _Breaker())
            cached = self._cache.get(partner_id)
            states.append(
                PartnerState(
                    partner_id=partner_id,
                    partner_name=cached.endpoint.name if cached else breaker.name,
                    circuit=self._circuit(breaker, now),
                    consecutive_failures=breaker.failures,
                    cache_age_seconds=now - cached.fetched_at if cached else None,
                )
            )
        return states

    def forget(self) -> None:
        """Empties the cache and closes every circuit (tests, and an operator after fixing a partner)."""
        self._cache.clear()
        self._breakers.clear()

    # --- pushed catalogs ----------------------------------------------------------------------

    async def _pushed_items(
        self, partners: Sequence[models.Partner], *, now: datetime | None = None
    ) -> dict[int, list[CatalogItem]]:
        """{partner id: items} of the partners served from their pushed catalog, in one query: the
        push-only partners, and those with an endpoint that pushed within the TTL."""
        push_only = [partner.id for partner in partners if not partner.base_url]
        with_endpoint = [partner.id for partner in partners if partner.base_url]
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(seconds=self.ttl)
        condition = Q(partner_id__in=push_only) if push_only else None
        if with_endpoint:
            fresh = Subquery(
                models.PartnerCatalogItem.filter(partner_id__in=with_endpoint, pushed_at__gte=cutoff).values("partner_id")
            )
            condition = Q(partner_id__in=fresh) if condition is None else condition | Q(partner_id__in=fresh)
        assert condition is not None
        rows = await models.PartnerCatalogItem.filter(condition).order_by("partner_id", "id")
        grouped: dict[int, list[CatalogItem]] = {partner_id: [] for partner_id in push_only}
        for row in rows:
            grouped.setdefault(row.partner_id, []).append(catalog.from_pushed(row))
        return grouped

    # --- pulled catalogs ----------------------------------------------------------------------

    async def _pulled_items(self, partner: models.Partner) -> list[CatalogItem]:
        """The partner's items from the cache, or from one fetch shared by every concurrent caller."""
        endpoint = Endpoint.of(partner)
        cached = self._cache.get(partner.id)
        now = self._clock()
        if cached is not None and cached.endpoint == endpoint and now - cached.fetched_at < self.ttl:
            return cached.items
        breaker = self._breakers.setdefault(partner.id, _Breaker(name=partner.name))
        flight = self._inflight.get(partner.id)
        if flight is None:
            if self._circuit(breaker, now) == "open":
                assert breaker.opened_at is not None
                retry_in = math.ceil(breaker.opened_at + self.open_seconds - now)
                raise PartnerUnavailable(
                    partner.name,
                    f"circuit open after {breaker.failures} failures in a row ({breaker.last_reason}), "
                    f"retrying after {retry_in} s",
                )
            # Closed, or half-open: this fetch is the one probe; concurrent callers join it.
            flight = asyncio.ensure_future(self._fetch(partner.id, endpoint))
            self._inflight[partner.id] = flight
            flight.add_done_callback(lambda done, partner_id=partner.id: self._landed(partner_id, done))
        try:
            # Shielded: a caller that gives up (its request cancelled) does not cancel the others' fetch.
            async with asyncio.timeout(self.deadline):
                return await asyncio.shield(flight)
        except TimeoutError:
            raise PartnerUnavailable(partner.name, f"no answer within {self.deadline:g} s", timed_out=True) from None

    def _landed(self, partner_id: int, flight: asyncio.Future[list[CatalogItem]]) -> None:
        if self._inflight.get(partner_id) is flight:
            del self._inflight[partner_id]
        if not flight.cancelled():
            flight.exception()  # retrieved: waiters that timed out must not leave it "never retrieved"

    async def _fetch(self, partner_id: int, endpoint: Endpoint) -> list[CatalogItem]:
        breaker = self._breakers.setdefault(partner_id, _Breaker(name=endpoint.name))
        started = time.perf_counter()
        try:
            raw = await self.client.catalog(endpoint, deadline=self.deadline)
        except Exception as failure:  # noqa: BLE001 - one partner's trouble, whatever it is, must not fail the catalog
            if isinstance(failure, PartnerUnavailable):
                reason = failure.reason
                outcome = "timeout" if failure.timed_out else "unavailable"
            elif isinstance(failure, PartnerRefusal):
                reason = f"refused the catalog request ({failure.code})"
                outcome = "refused"
            else:
                logger.exception("partner %s: unexpected failure of the catalog request", endpoint.name)
                reason = "failed unexpectedly"
                outcome = "error"
            self._heard(endpoint, outcome, started)
            breaker.failures += 1
            breaker.last_reason = reason
            if breaker.failures >= self.failure_threshold:
                if breaker.opened_at is None or self._circuit(breaker, self._clock()) == "half_open":
                    logger.warning("partner %s: circuit open after %s failures: %s", endpoint.name, breaker.failures, reason)
                breaker.opened_at = self._clock()
            timed_out = isinstance(failure, PartnerUnavailable) and failure.timed_out
            raise PartnerUnavailable(endpoint.name, reason, timed_out=timed_out) from None
        self._heard(endpoint, "ok", started)
        items = []
        for entry in raw[: catalog.MAX_PARTNER_ITEMS]:
            try:
                items.append(catalog.from_protocol(partner_id, entry))
            except ValueError as exc:
                logger.warning("partner %s: catalog item skipped: %s", endpoint.name, exc)
        if breaker.opened_at is not None:
            logger.info("partner %s: circuit closed again", endpoint.name)
        breaker.failures, breaker.opened_at, breaker.last_reason = 0, None, ""
        self._cache[partner_id] = _Cached(endpoint, items, self._clock())
        return items

    def _heard(self, endpoint: Endpoint, outcome: str, started: float) -> None:
        if self.on_call is not None:
            try:
                self.on_call(endpoint, outcome, time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - a metrics failure must not fail the catalog
                logger.exception("partner %s: recording the call failed", endpoint.name)

    def _circuit(self, breaker: _Breaker, now: float) -> str:
        if breaker.opened_at is None:
            return "closed"
        return "open" if now < breaker.opened_at + self.open_seconds else "half_open"


async def load_partner_catalogs(keys: Sequence[tuple[CatalogFederation, int]]) -> list[PartnerCatalog | None]:
    """A DataLoader's batch function: (federation, partner id) -> that partner's catalog, None for a
    partner that does not exist or is not active. The federation is part of the key because the
    request's loaders are made before, and apart from, the app that owns the federation."""
    by_federation: dict[int, tuple[CatalogFederation, list[int]]] = {}
    for federation, partner_id in keys:
        by_federation.setdefault(id(federation), (federation, []))[1].append(partner_id)
    found: dict[tuple[int, int], PartnerCatalog | None] = {}
    for federation, partner_ids in by_federation.values():
        for partner_id, catalog_of in zip(partner_ids, await federation.catalogs_by_id(partner_ids), strict=True):
            found[(id(federation), partner_id)] = catalog_of
    return [found[(id(federation), partner_id)] for federation, partner_id in keys]
