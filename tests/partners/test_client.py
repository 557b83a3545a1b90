"""The club's protocol client against a tiny local partner that answers too much.

A partner's answer is read up to a cap (5 MB for a catalog, 64 KB for anything else) and the
connection dropped as soon as it goes over, whether the size is announced (Content-Length) or not
(a stream that never ends): the partner is then unavailable, as for any answer the club cannot use.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from partners.catalogs import WINE
from partners.client import (
    ANSWER_MAX_BYTES,
    CATALOG_MAX_BYTES,
    TEMPORARILY_UNAVAILABLE,
    Endpoint,
    PartnerClient,
    PartnerUnavailable,
)
from domain.signatures import signature_headers
from tests.servers import _free_port

SECRET = "client-test-secret"
CHUNK = 64 * 1024


@dataclass
class Oversized:
    """What the partner sends: `padding` bytes more in a valid signed answer, or an endless stream."""

    padding: int = 0
    endless: bool = False
    streamed: list[int] = field(default_factory=list)  # bytes of the endless stream sent so far


def _signed(payload: dict, status: int = 200) -> Response:
    body = json.dumps(payload).encode()
    return Response(body, status_code=status, headers=signature_headers(SECRET, body), media_type="application/json")


def partner_app(state: Oversized) -> Starlette:
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"items": ['
        while True:
            state.streamed.append(CHUNK)
            yield b" " * CHUNK
            await asyncio.sleep(0)

    async def catalog(request: Request) -> Response:
        if state.endless:
            return StreamingResponse(endless(), media_type="application/json")
        items = [item.as_json(item.stock) for item in WINE]
        return _signed({"protocolVersion": 1, "items": items, "padding": "x" * state.padding})

    async def issue(request: Request) -> Response:
        payload = json.loads(await request.body())
        reward = {
            "redemptionId": payload["redemptionId"],
            "status": "issued",
            "itemId": payload["itemId"],
            "quantity": payload["quantity"],
            "voucherCode": "CODE-1",
            "padding": "x" * state.padding,
        }
        return _signed(reward, 201)

    return Starlette(routes=[Route("/catalog", catalog), Route("/rewards", issue, methods=["POST"])])


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """The app on a free loopback port, in a thread of this process; stopped at the end."""
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the partner did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def partner() -> Iterator[tuple[Oversized, Endpoint]]:
    state = Oversized()
    with serve(partner_app(state)) as url:
        yield state, Endpoint(partner_id=1, name="Cellier Marceau", base_url=url, secret=SECRET)


@pytest.fixture
async def client() -> AsyncIterator[PartnerClient]:
    client = PartnerClient()
    yield client
    await client.close()


@pytest.fixture(autouse=True)
def reset(partner) -> None:
    state, _ = partner
    state.padding, state.endless = 0, False
    state.streamed.clear()


async def test_a_catalog_within_the_cap_is_read(partner, client):
    # given: an answer of almost 5 MB
    state, endpoint = partner
    state.padding = CATALOG_MAX_BYTES - 10_000
    # when
    items = await client.catalog(endpoint)
    # then
    assert [item["id"] for item in items] == [item.id for item in WINE]


async def test_a_catalog_over_the_cap_is_refused(partner, client):
    # given: the same answer 20 KB bigger, its size announced
    state, endpoint = partner
    state.padding = CATALOG_MAX_BYTES + 10_000
    # when
    with pytest.raises(PartnerUnavailable) as refused:
        await client.catalog(endpoint)
    # then
    assert refused.value.reason == "answered more than 5,000,000 bytes"
    assert refused.value.plain_reason == TEMPORARILY_UNAVAILABLE


async def test_an_endless_catalog_is_cut_off_once_over_the_cap(partner, client):
    # given: a body without a length that never ends
    state, endpoint = partner
    state.endless = True
    # when
    started = time.perf_counter()
    with pytest.raises(PartnerUnavailable) as refused:
        await client.catalog(endpoint, deadline=10)
    # then: given up on at the cap, long before the deadline
    assert refused.value.reason == "answered more than 5,000,000 bytes"
    assert time.perf_counter() - started < 5
    await asyncio.sleep(0.2)
    sent = sum(state.streamed)
    await asyncio.sleep(0.2)
    assert sum(state.streamed) == sent, "the partner is still sending: the connection was not dropped"
    # What the partner counts as sent includes what the kernel may buffer on both ends of the loopback
    # connection, so that is the slack over the cap; an unbounded read would go far past it in 0.4 s.
    assert sent <= CATALOG_MAX_BYTES + _socket_buffers_max() + 4 * CHUNK


def _socket_buffers_max() -> int:
    """The most the kernel may hold of a TCP connection: the largest send plus receive buffer (Linux)."""
    return sum(int(Path(f"/proc/sys/net/ipv4/tcp_{kind}").read_text().split()[2]) for kind in ("wmem", "rmem"))


@pytest.mark.parametrize(("padding", "refused"), [(ANSWER_MAX_BYTES - 1_000, False), (ANSWER_MAX_BYTES, True)])
async def test_any_other_answer_is_capped_at_64_kb(partner, client, padding, refused):
    # given
    state, endpoint = partner
    state.padding = padding
    issue = client.issue(
        endpoint, redemption_id="r-1", item_id="wine-tasting-evening", quantity=1, member_reference="mbr_1", tier=None
    )
    # when / then
    if refused:
        with pytest.raises(PartnerUnavailable) as unavailable:
            await issue
        assert unavailable.value.reason == "answered more than 64,000 bytes"
    else:
        assert (await issue).voucher_code == "CODE-1"
