"""/metrics and the access log: what a request counts, the bounded operation label, the partners' circuits,
the database pool and the outbox backlog, who may scrape, and one consistent scrape across two workers."""

from __future__ import annotations

import io
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise import connections

import domain.members
from api.app import create_app
from api.logs import JsonFormatter
from api.metrics import OPERATION_NAME_CAP, multiprocess_directory
from api.persisted import MANIFEST
from api.settings import Settings
from domain import models
from tests.conftest import BACKEND
from tests.factories import gid, make_member, make_partner, make_staff, member_token, staff_token
from tests.servers import serve

Samples = dict[tuple[str, frozenset], float]


@asynccontextmanager
async def client_of(settings: Settings, *, client: tuple[str, int] = ("127.0.0.1", 40000)) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own (so its own counters, from zero), seen as coming from `client`."""
    transport = httpx.ASGITransport(app=create_app(settings), client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://clubgraph.test") as http:
        yield http


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def labelled(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(labels)[label] for sample_name, labels in samples if sample_name == name}


@contextmanager
def json_lines(logger_name: str) -> Iterator[list[dict]]:
    """The JSON lines the logger writes while in the block, formatted as they are written (the operation
    a line names is read from the request's context then)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        lines.extend(orjson.loads(line) for line in stream.getvalue().splitlines())


# --- requests ------------------------------------------------------------------------------------


async def test_requests_are_counted_by_operation_type_and_outcome(client):
    # given
    member = await make_member()
    # when
    for _ in range(2):
        await client.post("/graphql", json={"query": "query Hello { __typename }"})
    await client.post("/graphql", json={"query": "query Staff { members { totalCount } }"}, headers={"Authorization": f"Bearer {member_token(member)}"})
    await client.post("/graphql", json={"query": "{ nope }"})
    await client.post("/graphql", json={"query": "{ __typename"})
    await client.post("/graphql", json={"query": 'mutation Login { login(input: {email: "a@b.c", password: "x"}) { token } }'})
    await client.post("/graphql", json={"variables": {}})
    await client.get("/health")
    samples = await scrape(client)
    # then
    requests = "clubgraph_graphql_requests_total"
    assert {labels: count for (name, labels), count in samples.items() if name == requests} == {
        frozenset({"operation": "Hello", "type": "query", "outcome": "ok"}.items()): 2,
        frozenset({"operation": "Staff", "type": "query", "outcome": "errors"}.items()): 1,
        frozenset({"operation": "anonymous", "type": "query", "outcome": "refused"}.items()): 1,
        frozenset({"operation": "unknown", "type": "unknown", "outcome": "refused"}.items()): 2,
        frozenset({"operation": "Login", "type": "mutation", "outcome": "ok"}.items()): 1,
    }
    assert value(samples, "clubgraph_graphql_request_duration_seconds_count", operation="Hello") == 2
    assert value(samples, "clubgraph_graphql_request_duration_seconds_bucket", operation="Hello", le="+Inf") == 2
    assert value(samples, "clubgraph_graphql_errors_total", operation="Staff", code="FORBIDDEN") == 1
    assert value(samples, "clubgraph_graphql_errors_total", operation="anonymous", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(samples, "clubgraph_graphql_errors_total", operation="unknown", code="GRAPHQL_PARSE_FAILED") == 1
    assert value(samples, "clubgraph_http_responses_total", path="/graphql", status="200") == 6
    assert value(samples, "clubgraph_http_responses_total", path="/graphql", status="400") == 1
    assert value(samples, "clubgraph_http_responses_total", path="/health", status="200") == 1


async def test_an_unexpected_error_is_counted_and_its_log_line_names_the_operation(client, monkeypatch):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))

    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(domain.members, "member_query", broken)
    # when
    with json_lines("clubgraph.graphql") as lines:
        await client.post(
            "/graphql",
            json={"query": "query ListMembers { members { edges { node { id } } } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"},
        )
    samples = await scrape(client)
    # then
    assert value(samples, "clubgraph_graphql_errors_total", operation="ListMembers", code="INTERNAL_SERVER_ERROR") == 1
    assert value(samples, "clubgraph_graphql_requests_total", operation="ListMembers", type="query", outcome="errors") == 1
    assert [(line["message"], line["request_id"], line["operation"], line["operation_type"]) for line in lines] == [
        ("unexpected error in ListMembers at members", "req-7", "ListMembers", "query")
    ]


async def test_operation_names_past_the_cap_are_counted_as_other(settings):
    # given
    persisted = sorted(operation.name for operation in MANIFEST.values())[0]
    async with client_of(settings) as http:
        # when: more distinct names than the cap, then a persisted operation's name and an overlong one
        for n in range(OPERATION_NAME_CAP + 5):
            await http.post("/graphql", json={"query": f"query Op{n} {{ __typename }}"})
        await http.post("/graphql", json={"query": f"query {persisted} {{ __typename }}"})
        await http.post("/graphql", json={"query": "query Op0 { __typename }"})
        samples = await scrape(http)
    # then
    names = labelled(samples, "clubgraph_graphql_requests_total", "operation")
    assert names == {f"Op{n}" for n in range(OPERATION_NAME_CAP)} | {"other", persisted}
    assert value(samples, "clubgraph_graphql_requests_total", operation="other", type="query", outcome="ok") == 5
    assert value(samples, "clubgraph_graphql_requests_total", operation="Op0", type="query", outcome="ok") == 2
    assert labelled(samples, "clubgraph_graphql_request_duration_seconds_count", "operation") == names


async def test_an_overlong_operation_name_is_counted_as_other(client):
    # when
    await client.post("/graphql", json={"query": f"query {'N' * 65} {{ __typename }}"})
    samples = await scrape(client)
    # then
    assert labelled(samples, "clubgraph_graphql_requests_total", "operation") == {"other"}


# --- access log ----------------------------------------------------------------------------------


async def test_every_request_writes_one_json_access_line_without_tokens_or_variables(client):
    # given
    member = await make_member()
    token = member_token(member)
    query = "query Me($id: ID!) { node(id: $id) { id } }"
    # when
    with json_lines("clubgraph.access") as lines:
        await client.post(
            "/graphql",
            json={"query": query, "variables": {"id": gid("Member", member.id)}},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "access-1"},
        )
        await client.get("/graphql", params={"query": "{ __typename }", "variables": '{"secret": "s3cr3t"}'}, headers={"X-Request-ID": "access-2"})
        await client.get("/health", headers={"X-Request-ID": "access-3"})
    # then
    for line in lines:
        assert isinstance(line.pop("duration_ms"), float)
        assert line.pop("time")
    assert lines == [
        {
            "level": "info", "logger": "clubgraph.access", "message": "POST /graphql 200", "request_id": "access-1",
            "method": "POST", "path": "/graphql", "status": 200, "operation": "Me", "operation_type": "query",
            "outcome": "ok", "viewer": "member",
        },
        {
            "level": "info", "logger": "clubgraph.access", "message": "GET /graphql 200", "request_id": "access-2",
            "method": "GET", "path": "/graphql", "status": 200, "operation": None, "operation_type": "query",
            "outcome": "ok", "viewer": "anonymous",
        },
        {
            "level": "info", "logger": "clubgraph.access", "message": "GET /health 200", "request_id": "access-3",
            "method": "GET", "path": "/health", "status": 200, "operation": None, "operation_type": None,
            "outcome": None, "viewer": "anonymous",
        },
    ]
    text = orjson.dumps(lines).decode()
    assert token not in text and "s3cr3t" not in text and gid("Member", member.id) not in text


# --- partners, database, outbox ------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


async def test_a_failing_partner_shows_its_calls_and_its_open_circuit(client):
    # given: a partner whose endpoint refuses connections
    partner = await make_partner("Cave Fermée", base_url=f"http://127.0.0.1:{_closed_port()}", signing_secret="s" * 32)
    # when: three failures in a row open its circuit; the fourth request does not call it
    for _ in range(4):
        await client.post("/graphql", json={"query": "{ rewards(first: 5) { totalCount } }"})
    samples = await scrape(client)
    # then
    labels = {"partner_id": str(partner.id), "partner": "Cave Fermée"}
    assert value(samples, "clubgraph_partner_circuit_state", **labels) == 2
    assert value(samples, "clubgraph_partner_call_duration_seconds_count", **labels, outcome="unavailable") == 3
    assert value(samples, "clubgraph_graphql_errors_total", operation="anonymous", code="PARTNER_UNAVAILABLE") == 4


async def test_the_database_pool_is_reported(client):
    # given
    await client.post("/graphql", json={"query": "{ tiers { totalCount } }"})
    # when
    samples = await scrape(client)
    # then
    connection = connections.get("default")
    most = 1 if BACKEND == "sqlite" else connection._pool.get_max_size()
    assert value(samples, "clubgraph_db_pool_connections_max") == most
    assert 1 <= value(samples, "clubgraph_db_pool_connections") <= most
    assert value(samples, "clubgraph_db_pool_connections_in_use") == 0


async def test_the_outbox_backlog_is_counted_at_scrape_time(client):
    # given: two deliveries waiting, one dead, one delivered; one event not fanned out yet
    now = datetime.now(timezone.utc)
    endpoint = await models.WebhookEndpoint.create(
        url="https://hooks.example/x", secret="k" * 32, event_types=["tier.changed"], created_at=now, updated_at=now
    )
    for n, status in enumerate(["pending", "pending", "dead", "delivered"]):
        event = await models.OutboxEvent.create(type="tier.changed", payload={}, created_at=now, fanned_out=True, key=f"k{n}")
        await models.WebhookDelivery.create(endpoint=endpoint, event=event, status=status, created_at=now)
    await models.OutboxEvent.create(type="tier.changed", payload={}, created_at=now, fanned_out=False)
    # when
    samples = await scrape(client)
    # then
    assert value(samples, "clubgraph_webhook_deliveries_pending") == 2
    assert value(samples, "clubgraph_webhook_deliveries_dead") == 1
    assert value(samples, "clubgraph_outbox_events_pending") == 1


# --- who may scrape -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_address", "headers", "status"),
    [
        ("127.0.0.1", {}, 200),
        ("10.1.2.3", {}, 200),
        ("::1", {}, 200),
        ("93.184.216.34", {}, 403),
        ("::ffff:93.184.216.34", {}, 403),
        ("10.1.2.3", {"X-Forwarded-For": "93.184.216.34"}, 403),
        ("127.0.0.1", {"Forwarded": "for=93.184.216.34"}, 403),
    ],
)
async def test_without_a_token_only_private_addresses_reached_directly_may_scrape(settings, client_address, headers, status):
    # given
    async with client_of(settings, client=(client_address, 40000)) as http:
        # when
        response = await http.get("/metrics", headers=headers)
    # then
    assert response.status_code == status
    if status == 403:
        assert response.text == "Metrics are served to private addresses only, or with CLUBGRAPH_METRICS_TOKEN"


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong-token-0123456789", 401), ("Basic c2NyYXBlOnRva2Vu", 401), ("Bearer scrape-token-0123456789", 200)],
)
async def test_with_a_token_only_its_bearer_may_scrape_from_anywhere(settings, authorization, status):
    # given
    async with client_of(replace(settings, metrics_token="scrape-token-0123456789"), client=("93.184.216.34", 40000)) as http:
        # when
        response = await http.get("/metrics", headers={"Authorization": authorization} if authorization else {})
    # then
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


# --- several workers --------------------------------------------------------------------------------


def test_the_multiprocess_folder_is_made_and_removed_or_emptied(tmp_path, monkeypatch):
    # given
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"stale")
    (given / "keep.txt").write_text("not ours")
    # when
    with multiprocess_directory() as made:
        during = (os.environ["PROMETHEUS_MULTIPROC_DIR"], Path(made).is_dir())
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    with multiprocess_directory() as reused:
        pass
    # then
    assert during == (made, True)
    assert not Path(made).exists()
    assert reused == str(given)
    assert sorted(path.name for path in given.iterdir()) == ["keep.txt"]


def test_two_workers_give_one_consistent_scrape_and_json_access_lines(database_url, database, tmp_path):
    # given: two workers sharing their metrics through a folder
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "CLUBGRAPH_LOG_LEVEL": "info"}
    with serve(database_url, workers=2, env=env) as server:
        # when: 40 requests, each on a connection of its own, so that both workers answer some
        for _ in range(40):
            response = httpx.post(f"{server.url}/graphql", json={"query": "query Spread { __typename }"}, timeout=5)
            assert response.status_code == 200
        scrapes = [parse(httpx.get(f"{server.url}/metrics", timeout=5).text) for _ in range(6)]
        deadline = time.monotonic() + 5
        while server.output().count('"logger":"clubgraph.access"') < 46 and time.monotonic() < deadline:
            time.sleep(0.05)
        output = server.output()
    # then: every scrape, whichever worker answered it, counts all 40
    served_by = {path.name for path in folder.glob("counter_*.db")}
    assert len(served_by) == 2
    for samples in scrapes:
        assert value(samples, "clubgraph_graphql_requests_total", operation="Spread", type="query", outcome="ok") == 40
        assert value(samples, "clubgraph_graphql_request_duration_seconds_count", operation="Spread") == 40
    access = [orjson.loads(line) for line in output.splitlines() if line.startswith("{") and '"clubgraph.access"' in line]
    spread = [line for line in access if line["operation"] == "Spread"]
    assert len(spread) == 40
    assert {(line["method"], line["path"], line["status"], line["operation_type"], line["outcome"], line["viewer"]) for line in spread} == {
        ("POST", "/graphql", 200, "query", "ok", "anonymous")
    }
    assert len({line["request_id"] for line in spread}) == 40
