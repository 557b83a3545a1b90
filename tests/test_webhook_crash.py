"""A real clubgraph server killed with SIGKILL while it delivers a webhook, then restarted: nothing is lost.

The change (a tier set by staff) goes through the server's GraphQL API, so its event is written by
the server in the change's transaction. The receiver (tests/webhook_receiver.py, its own thread)
holds the first request open; the test kills the server while it waits for the answer. The delivery
is left claimed, its lease running; a new server tries it again once the lease is over, and the
receiver gets the same event, signed, a second time: at least once, and deduplicable by its id.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime, timedelta, timezone

import httpx

from domain import models, webhooks
from domain.models import DeliveryStatus, WebhookEventType
from domain.signatures import verify
from tests.factories import gid, make_member, make_staff, make_tiers, staff_token
from tests.servers import serve
from tests.webhook_receiver import receiving

SET_TIER = """mutation($input: MemberSetTierInput!) { memberSetTier(input: $input) { errors { code } } }"""
TIMEOUT = "1"  # the lease is then 2 x 1 + 1 = 3 s
ENV = {"CLUBGRAPH_WEBHOOK_INTERVAL_SECONDS": "1", "CLUBGRAPH_WEBHOOK_TIMEOUT_SECONDS": TIMEOUT, "CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0"}


async def _delivered(delivery_id: int, timeout: float) -> models.WebhookDelivery:
    deadline = time.monotonic() + timeout
    while True:
        row = await models.WebhookDelivery.get(id=delivery_id)
        if row.status != DeliveryStatus.PENDING or time.monotonic() > deadline:
            return row
        await asyncio.sleep(0.1)


async def test_a_server_killed_mid_delivery_delivers_the_event_after_restart(database_url):
    with receiving() as receiver:
        # given: an endpoint, and a receiver that holds the first request open
        ladder = await make_tiers()
        admin = await make_staff(models.StaffRole.ADMINISTRATOR)
        member = await make_member(tier=ladder["Silver"])
        endpoint = await models.WebhookEndpoint.create(
            url=receiver.url, secret=webhooks.new_secret(), event_types=[WebhookEventType.TIER_CHANGED.value],
            active=True, created_at=datetime.now(timezone.utc), updated_at=datetime.now(timezone.utc),
        )
        receiver.hold = True
        variables = {"input": {"memberId": gid("Member", member.id), "tierId": gid("Tier", ladder["Gold"].id), "reason": "r"}}
        # when: the server makes the change, starts delivering it, and is killed while it waits
        with serve(database_url, env=ENV) as server:
            answer = httpx.post(
                f"{server.url}/graphql", json={"query": SET_TIER, "variables": variables},
                headers={"Authorization": f"Bearer {staff_token(admin)}"}, timeout=10,
            )
            [held] = receiver.wait_for(1, timeout=10)
            server.process.send_signal(signal.SIGKILL)
            assert server.process.wait(timeout=10) == -signal.SIGKILL
        [delivery] = await models.WebhookDelivery.all()
        # killed mid-attempt: claimed, its lease running, no outcome recorded
        assert (delivery.status, delivery.attempts, delivery.last_error, delivery.last_status_code) == (
            DeliveryStatus.PENDING, 1, None, None,
        )
        assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=3)
        # ...and a new server starts, while the receiver now answers
        receiver.hold = False
        with serve(database_url, env=ENV) as server:
            delivery = await _delivered(delivery.id, timeout=20)
        received = receiver.requests
    # then: the same event, signed, delivered after the lease
    event = await models.OutboxEvent.get()
    assert answer.json() == {"data": {"memberSetTier": {"errors": []}}}
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert len(received) == 2
    for request in received:
        verify(endpoint.secret, request.headers, request.body)
        assert request.json()["id"] == f"evt_{event.id}"
        assert request.json()["data"]["toTier"] == "Gold"
    assert [r.headers["x-clubgraph-delivery-attempt"] for r in received] == ["1", "2"]
    assert received[1].at - held.at >= 2 * float(TIMEOUT)  # not before the killed attempt's lease ran out

