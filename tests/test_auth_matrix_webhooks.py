"""The auth matrix of outbound webhooks: club managers and administrators only.

Written out by hand from domain/policy.py read as the spec: WEBHOOK_MANAGE belongs to those two
roles. Nobody else lists, fetches or changes an endpoint or a delivery, not even the member a
delivered event is about.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone

import pytest

from domain import models, outbox, webhooks
from domain.models import DeliveryStatus, WebhookEventType
from tests.auth_matrix import (
    FORBID,
    NULL,
    OK,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    mutation,
)
from tests.factories import gid

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "webhookEndpoints":           (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "webhookDeliveries":          (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "node WebhookEndpoint":       (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
    "nodes WebhookEndpoint":      (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
    "node WebhookDelivery":       (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
    "nodes WebhookDelivery":      (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "webhookEndpointCreate":      (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "webhookEndpointUpdate":      (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "webhookEndpointDelete":      (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "webhookDeliveryRetry":       (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
}
# fmt: on


@dataclass
class WebhookClub(Club):
    """The club, with an endpoint and a dead delivery of an event about the member."""

    endpoint: models.WebhookEndpoint
    delivery: models.WebhookDelivery


async def make_webhook_club() -> WebhookClub:
    club = await make_club()
    now = datetime.now(timezone.utc)
    endpoint = await models.WebhookEndpoint.create(
        url="https://hooks.example/club", secret=webhooks.new_secret(), event_types=["tier.changed"],
        active=True, created_at=now, updated_at=now,
    )
    await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": gid("Member", club.member.id)}, member_id=club.member.id)
    await webhooks.fan_out()
    await models.WebhookDelivery.all().update(status=DeliveryStatus.DEAD, attempts=8)
    return WebhookClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        endpoint=endpoint,
        delivery=await models.WebhookDelivery.get(),
    )


def _node(type_name: str, pk_of, selection: str, seen_fields: dict, many: bool) -> Read:
    document = (
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename id ... on {type_name} {{ {selection} }} }} }}"
        if many
        else f"query($id: ID!) {{ node(id: $id) {{ __typename id ... on {type_name} {{ {selection} }} }} }}"
    )

    def seen(club, caller):
        node = {"__typename": type_name, "id": gid(type_name, pk_of(club)), **seen_fields}
        return {"nodes": [node]} if many else {"node": node}

    if many:
        return Read(document, lambda club: {"ids": [gid(type_name, pk_of(club))]}, seen, {"nodes": [None]})
    return Read(document, lambda club: {"id": gid(type_name, pk_of(club))}, seen, {"node": None})


READ_OPERATIONS = {
    "webhookEndpoints": Read(
        "{ webhookEndpoints { edges { node { url } } } }",
        lambda club: {},
        lambda club, caller: {"webhookEndpoints": {"edges": [{"node": {"url": "https://hooks.example/club"}}]}},
    ),
    "webhookDeliveries": Read(
        "{ webhookDeliveries { edges { node { status attempts } } } }",
        lambda club: {},
        lambda club, caller: {"webhookDeliveries": {"edges": [{"node": {"status": "DEAD", "attempts": 8}}]}},
    ),
    "node WebhookEndpoint": _node("WebhookEndpoint", lambda c: c.endpoint.id, "url", {"url": "https://hooks.example/club"}, False),
    "nodes WebhookEndpoint": _node("WebhookEndpoint", lambda c: c.endpoint.id, "url", {"url": "https://hooks.example/club"}, True),
    "node WebhookDelivery": _node("WebhookDelivery", lambda c: c.delivery.id, "status", {"status": "DEAD"}, False),
    "nodes WebhookDelivery": _node("WebhookDelivery", lambda c: c.delivery.id, "status", {"status": "DEAD"}, True),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_webhook_club(), READ_OPERATIONS[operation], operation, caller, outcome)


async def _endpoints(club: WebhookClub) -> list[tuple[str, bool]]:
    return [(row.url, row.active) for row in await models.WebhookEndpoint.all().order_by("id")]


async def _delivery_status(club: WebhookClub) -> str:
    return str((await models.WebhookDelivery.get(id=club.delivery.id)).status)


WRITE_OPERATIONS = {
    "webhookEndpointCreate": Write(
        mutation("webhookEndpointCreate", "endpoint { url }"),
        lambda club: {"url": "https://other.example/h", "eventTypes": ["TICKET_BREACHED"]},
        lambda club: {"endpoint": {"url": "https://other.example/h"}},
        {"endpoint": None},
        _endpoints,
        before=[("https://hooks.example/club", True)],
        after=[("https://hooks.example/club", True), ("https://other.example/h", True)],
    ),
    "webhookEndpointUpdate": Write(
        mutation("webhookEndpointUpdate", "endpoint { active }"),
        lambda club: {"endpointId": gid("WebhookEndpoint", club.endpoint.id), "active": False},
        lambda club: {"endpoint": {"active": False}},
        {"endpoint": None},
        _endpoints,
        before=[("https://hooks.example/club", True)],
        after=[("https://hooks.example/club", False)],
    ),
    "webhookEndpointDelete": Write(
        mutation("webhookEndpointDelete", "deletedEndpointId"),
        lambda club: {"endpointId": gid("WebhookEndpoint", club.endpoint.id)},
        lambda club: {"deletedEndpointId": gid("WebhookEndpoint", club.endpoint.id)},
        {"deletedEndpointId": None},
        _endpoints,
        before=[("https://hooks.example/club", True)],
        after=[],
    ),
    "webhookDeliveryRetry": Write(
        mutation("webhookDeliveryRetry", "delivery { status }"),
        lambda club: {"deliveryId": gid("WebhookDelivery", club.delivery.id)},
        lambda club: {"delivery": {"status": "PENDING"}},
        {"delivery": None},
        _delivery_status,
        before="dead",
        after="pending",
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_webhook_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)
