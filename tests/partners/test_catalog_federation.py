"""The federated catalog against real reference partner processes over real HTTP.

Two partners: Cellier Marceau (the wine catalog) and Thermes Aurelia (the spa). What the partners
receive is counted by the partner itself (GET /_admin/requests), so caching, single flight and the
circuit breaker are observed from the partner's side, not from inside the club.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from api.app import create_app
from domain import models
from partners.catalogs import SPA, WINE
from partners.federation import CatalogFederation, PartnerState
from tests.factories import gid, gql, make_partner
from tests.partners.reference import SECRET, PartnerProcess, partner_server

CATALOG = """query($filter: RewardFilter) {
  rewards(first: 100, filter: $filter) { edges { node { id title partnerName } } }
}"""


@pytest.fixture(scope="module")
def wine(tmp_path_factory) -> Iterator[PartnerProcess]:
    with partner_server(tmp_path_factory.mktemp("wine") / "wine.sqlite3", catalog="wine") as running:
        yield running


@pytest.fixture(scope="module")
def spa(tmp_path_factory) -> Iterator[PartnerProcess]:
    with partner_server(tmp_path_factory.mktemp("spa") / "spa.sqlite3", catalog="spa") as running:
        yield running


@pytest.fixture(autouse=True)
def healthy(wine: PartnerProcess, spa: PartnerProcess) -> None:
    """Every test starts with both partners answering at once."""
    for partner in (wine, spa):
        partner.switch(latencyMs=0, errorRate=0, timeoutRate=0, hangMs=30_000)


@dataclass
class Club:
    http: httpx.AsyncClient
    federation: CatalogFederation
    wine: models.Partner
    spa: models.Partner


@pytest.fixture
async def club(settings, database, wine: PartnerProcess, spa: PartnerProcess) -> AsyncIterator[Club]:
    """The app (its own federation: a fresh cache and fresh circuits) and both partners registered."""
    app = create_app(settings)
    federation = next(route.endpoint for route in app.routes if getattr(route, "path", None) == "/graphql").federation
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield Club(
            http=http,
            federation=federation,
            wine=await make_partner("Cellier Marceau", base_url=wine.url, signing_secret=SECRET),
            spa=await make_partner("Thermes Aurelia", base_url=spa.url, signing_secret=SECRET),
        )
    await federation.client.close()


def catalog_calls(partner: PartnerProcess) -> int:
    return partner.requests()["catalog"]


def titles(result: dict) -> list[str]:
    return [edge["node"]["title"] for edge in result["data"]["rewards"]["edges"]]


def by_price(*catalogs) -> list[str]:
    items = [item for catalog in catalogs for item in catalog]
    return [item.title for item in sorted(items, key=lambda item: item.points_price)]


NO_ANSWER = "no answer in time"
UNAVAILABLE = "temporarily unavailable"


def logged(caplog, partner: models.Partner) -> list[str]:
    """The detailed reasons logged for the partner's catalog being left out, oldest first."""
    prefix = f"partner {partner.id} ({partner.name}): catalog left out: "
    return [
        record.getMessage().removeprefix(prefix)
        for record in caplog.records
        if record.name == "clubgraph.partners" and record.levelno == logging.WARNING
        and record.getMessage().startswith(prefix)
    ]


def missing(partner: models.Partner, reason: str) -> dict:
    return {
        "message": f"{partner.name}'s catalog is missing: {reason}",
        "path": ["rewards"],
        "extensions": {"code": "PARTNER_UNAVAILABLE", "partner": {"id": gid("Partner", partner.id), "name": partner.name}},
    }


async def test_both_partners_items_come_merged_by_price(club):
    # when
    result = await gql(club.http, CATALOG)
    # then
    assert result == {"data": {"rewards": {"edges": [
        {"node": {"id": gid("Reward", f"partner:{partner.id}:{item.id}"), "title": item.title, "partnerName": partner.name}}
        for partner, item in sorted(
            [(club.wine, item) for item in WINE] + [(club.spa, item) for item in SPA],
            key=lambda pair: (pair[1].points_price, pair[0].id, pair[1].id),
        )
    ]}}}


async def test_a_hanging_partner_is_named_and_the_others_items_come_within_the_deadline(club, spa, caplog):
    # given: the spa does its work, then hangs for 10 s before answering
    spa.switch(timeoutRate=1, hangMs=10_000)
    # when
    started = time.perf_counter()
    result = await gql(club.http, CATALOG)
    elapsed = time.perf_counter() - started
    # then
    assert elapsed < club.federation.deadline + 0.1, f"the catalog took {elapsed:.3f} s"
    assert titles(result) == by_price(WINE)
    assert result["errors"] == [missing(club.spa, NO_ANSWER)]
    assert logged(caplog, club.spa) == ["no answer within 1.5 s"]


async def test_a_partner_slower_than_the_deadline_is_named_too(club, wine):
    # given
    wine.switch(latencyMs=3_000)
    # when
    started = time.perf_counter()
    result = await gql(club.http, CATALOG)
    elapsed = time.perf_counter() - started
    # then
    assert elapsed < club.federation.deadline + 0.1, f"the catalog took {elapsed:.3f} s"
    assert titles(result) == by_price(SPA)
    assert result["errors"] == [missing(club.wine, NO_ANSWER)]


async def test_within_the_ttl_a_second_request_does_not_call_the_partner(club, wine, spa):
    # given
    before = catalog_calls(wine), catalog_calls(spa)
    first = await gql(club.http, CATALOG)
    # when
    second = await gql(club.http, CATALOG)
    # then
    assert second == first
    assert (catalog_calls(wine), catalog_calls(spa)) == (before[0] + 1, before[1] + 1)


async def test_after_the_ttl_the_partner_is_called_again(club, wine):
    # given
    club.federation.ttl = 0.2
    before = catalog_calls(wine)
    await gql(club.http, CATALOG)
    await asyncio.sleep(0.25)
    # when
    await gql(club.http, CATALOG)
    # then
    assert catalog_calls(wine) == before + 2


async def test_concurrent_requests_that_miss_the_cache_share_one_call(club, wine, spa):
    # given
    wine.switch(latencyMs=500)
    spa.switch(latencyMs=500)
    before = catalog_calls(wine), catalog_calls(spa)
    # when
    results = await asyncio.gather(*(gql(club.http, CATALOG) for _ in range(20)))
    # then
    assert all(titles(result) == by_price(WINE, SPA) for result in results)
    assert (catalog_calls(wine), catalog_calls(spa)) == (before[0] + 1, before[1] + 1)


async def test_the_circuit_opens_after_three_failures_then_one_probe_closes_it(club, wine, spa, caplog):
    # given: the spa answers 503 to everything
    spa.switch(errorRate=1)
    before = catalog_calls(spa)
    for _ in range(3):
        result = await gql(club.http, CATALOG)
        assert result["errors"] == [missing(club.spa, UNAVAILABLE)]
    assert catalog_calls(spa) == before + 3
    # when: open, the spa is not called and its failure is reported at once
    started = time.perf_counter()
    result = await gql(club.http, CATALOG)
    # then
    assert time.perf_counter() - started < 0.5
    assert catalog_calls(spa) == before + 3
    assert titles(result) == by_price(WINE)
    assert result["errors"] == [missing(club.spa, UNAVAILABLE)]
    assert logged(caplog, club.spa) == ["answered 503"] * 3 + [
        "circuit open after 3 failures in a row (answered 503), retrying after 30 s"
    ]
    assert [state.circuit for state in club.federation.states()] == ["closed", "open"]

    # when: half-open (the open time is over) with the spa still failing, slowly: one probe they all wait for
    club.federation.open_seconds = 1.0
    spa.switch(latencyMs=300)
    await asyncio.sleep(1.05)
    results = await asyncio.gather(*(gql(club.http, CATALOG) for _ in range(5)))
    # then
    assert catalog_calls(spa) == before + 4
    assert [result["errors"] for result in results] == [[missing(club.spa, UNAVAILABLE)]] * 5
    caplog.clear()
    result = await gql(club.http, CATALOG)
    assert result["errors"] == [missing(club.spa, UNAVAILABLE)]
    assert logged(caplog, club.spa) == ["circuit open after 4 failures in a row (answered 503), retrying after 1 s"]
    assert catalog_calls(spa) == before + 4

    # when: the spa recovers; the next probe closes the circuit
    spa.switch(errorRate=0, latencyMs=0)
    await asyncio.sleep(1.05)
    result = await gql(club.http, CATALOG)
    # then
    assert result == {"data": result["data"]}
    assert titles(result) == by_price(WINE, SPA)
    assert catalog_calls(spa) == before + 5
    states = club.federation.states()
    assert [(state.partner_name, state.circuit, state.consecutive_failures) for state in states] == [
        ("Cellier Marceau", "closed", 0),
        ("Thermes Aurelia", "closed", 0),
    ]
    assert all(isinstance(state, PartnerState) and 0 <= state.cache_age_seconds < 5 for state in states)


async def test_filtering_by_partner_calls_only_that_partner(club, wine, spa):
    # given
    before = catalog_calls(wine), catalog_calls(spa)
    # when
    result = await gql(club.http, CATALOG, {"filter": {"partnerId": gid("Partner", club.spa.id)}})
    # then
    assert titles(result) == by_price(SPA)
    assert (catalog_calls(wine), catalog_calls(spa)) == (before[0], before[1] + 1)


async def test_the_club_only_catalog_calls_no_partner(club, wine, spa):
    # given
    await models.Reward.create(title="Club scarf", points_price=500, category="merchandise")
    before = catalog_calls(wine), catalog_calls(spa)
    # when
    result = await gql(club.http, CATALOG, {"filter": {"clubOnly": True}})
    # then
    assert titles(result) == ["Club scarf"]
    assert (catalog_calls(wine), catalog_calls(spa)) == before


async def test_a_fresh_push_is_served_instead_of_calling_the_partner_and_a_stale_one_is_not(club, wine):
    # given: the wine merchant pushed one item a moment ago
    now = datetime.now(timezone.utc)
    pushed = await models.PartnerCatalogItem.create(
        partner_id=club.wine.id, item_id="pushed-magnum", title="Pushed magnum", points_price=3_000,
        category="wine", validity_days=30, pushed_at=now - timedelta(seconds=5),
    )
    before = catalog_calls(wine)
    filter = {"filter": {"partnerId": gid("Partner", club.wine.id)}}
    # when
    fresh = await gql(club.http, CATALOG, filter)
    # then
    assert titles(fresh) == ["Pushed magnum"]
    assert catalog_calls(wine) == before
    # when: the push is older than the TTL
    pushed.pushed_at = now - timedelta(seconds=club.federation.ttl + 1)
    await pushed.save()
    stale = await gql(club.http, CATALOG, filter)
    # then
    assert titles(stale) == by_price(WINE)
    assert catalog_calls(wine) == before + 1


async def test_a_partners_reward_by_id_comes_from_the_cached_catalog(club, wine):
    # given
    await gql(club.http, CATALOG)
    before = catalog_calls(wine)
    barolo = gid("Reward", f"partner:{club.wine.id}:wine-barolo-vertical")
    # when
    result = await gql(
        club.http, "query($id: ID!) { reward(id: $id) { id title tierRestriction stock } node(id: $id) { id } }", {"id": barolo}
    )
    # then
    assert result == {"data": {
        "reward": {"id": barolo, "title": "Barolo vertical, 2015 to 2019", "tierRestriction": "Gold", "stock": 6},
        "node": {"id": barolo},
    }}
    assert catalog_calls(wine) == before


async def test_a_reward_of_a_partner_that_does_not_answer_is_null_with_the_named_error(club, wine):
    # given
    wine.switch(errorRate=1)
    barolo = gid("Reward", f"partner:{club.wine.id}:wine-barolo-vertical")
    # when
    result = await gql(club.http, "query($id: ID!) { reward(id: $id) { id } }", {"id": barolo})
    # then
    assert result == {"data": {"reward": None}, "errors": [{**missing(club.wine, UNAVAILABLE), "path": ["reward"]}]}


async def test_a_failing_partners_detail_is_logged_and_members_read_a_plain_reason(club, wine, caplog):
    # given: the club signs with a secret the partner does not share, so the partner's answers do not verify
    club.wine.signing_secret = "not-the-partners-secret"
    await club.wine.save()
    barolo = gid("Reward", f"partner:{club.wine.id}:wine-barolo-vertical")
    # when
    catalog = await gql(club.http, CATALOG)
    reward = await gql(club.http, "query($id: ID!) { reward(id: $id) { id } }", {"id": barolo})
    # then
    assert catalog["errors"] == [missing(club.wine, UNAVAILABLE)]
    assert reward == {"data": {"reward": None}, "errors": [{**missing(club.wine, UNAVAILABLE), "path": ["reward"]}]}
    assert "signature" not in str(catalog) + str(reward)
    assert logged(caplog, club.wine) == [
        "answered with a bad signature (The signature does not match the body)"
    ] * 2


async def test_an_item_is_read_from_the_cached_catalog_like_the_whole_catalog(club, wine):
    # given: the catalog is cached
    await gql(club.http, CATALOG)
    before = catalog_calls(wine)
    # when
    barolo = await club.federation.item(club.wine, "wine-barolo-vertical")
    gone = await club.federation.item(club.wine, "no-such-item")
    # then
    assert (barolo.title, barolo.points_price, gone) == ("Barolo vertical, 2015 to 2019", 9_500, None)
    assert catalog_calls(wine) == before


async def test_partial_errors_belong_to_the_request_that_met_them(club, spa):
    # given: the spa hangs
    spa.switch(timeoutRate=1, hangMs=10_000)
    # when: at the same time, the whole catalog and the wine merchant's alone
    whole, wine_only = await asyncio.gather(
        gql(club.http, CATALOG),
        gql(club.http, CATALOG, {"filter": {"partnerId": gid("Partner", club.wine.id)}}),
    )
    # then
    assert whole["errors"] == [missing(club.spa, NO_ANSWER)]
    assert wine_only == {"data": {"rewards": wine_only["data"]["rewards"]}}
    assert titles(wine_only) == titles(whole) == by_price(WINE)


async def test_a_silent_partners_rewards_asked_by_id_cost_it_one_call_and_make_one_error_per_field(club, wine):
    # given: every item of the wine merchant, which answers 503
    wine.switch(errorRate=1)
    ids = [gid("Reward", f"partner:{club.wine.id}:{item.id}") for item in WINE]
    spa_id = gid("Reward", f"partner:{club.spa.id}:{SPA[0].id}")
    before = catalog_calls(wine)
    # when
    nodes = await gql(club.http, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [*ids, spa_id]})
    entities = await gql(
        club.http,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Reward { id } } }",
        {"r": [{"__typename": "Reward", "id": reward_id} for reward_id in [*ids, spa_id]]},
    )
    # then
    assert nodes == {
        "data": {"nodes": [None] * len(WINE) + [{"id": spa_id}]},
        "errors": [{**missing(club.wine, UNAVAILABLE), "path": ["nodes"]}],
    }
    assert entities == {
        "data": {"_entities": [None] * len(WINE) + [{"id": spa_id}]},
        "errors": [{**missing(club.wine, UNAVAILABLE), "path": ["_entities"]}],
    }
    assert catalog_calls(wine) == before + 2
