"""The webhook types: endpoints, the events of the outbox and their deliveries, for WEBHOOK_MANAGE staff only.

An endpoint's secret is shown once, by `webhookEndpointCreate`; anyone without WEBHOOK_MANAGE gets
null for these nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain import models, webhooks
from domain.policy import Permission, has_permission
from schema.base import Info, pks

WebhookEventType = strawberry.enum(
    models.WebhookEventType,
    name="WebhookEventType",
    description="A domain event a webhook endpoint may subscribe to; the request's `type` is its value, e.g. tier.changed",
)
WebhookDeliveryStatus = strawberry.enum(
    models.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING: to be tried (again); DELIVERED: the receiver answered 2xx; DEAD: every attempt failed",
)


@strawberry.type(description="A receiver of outbound webhooks.")
class WebhookEndpoint(relay.Node):
    id: relay.NodeID[int]
    url: str
    event_types: list[WebhookEventType] = strawberry.field(description="The event types it subscribes to")
    active: bool = strawberry.field(description="An inactive endpoint gets nothing; its pending deliveries wait")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=row.id,
            url=row.url,
            event_types=[models.WebhookEventType(value) for value in row.event_types],
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WebhookEndpoint | None]:
        ids = pks(node_ids)
        if not has_permission(info.context.viewer, Permission.WEBHOOK_MANAGE):
            return [None for _ in ids]
        rows = {row.id: row for row in await models.WebhookEndpoint.filter(id__in=ids)}
        return [cls.from_row(rows[pk]) if pk in rows else None for pk in ids]


@strawberry.type(description="A domain event of the outbox, as its deliveries send it.")
class WebhookEvent:
    event_id: str = strawberry.field(description="evt_ and a number: receivers deduplicate on it (X-Clubgraph-Event-Id)")
    type: WebhookEventType
    created_at: datetime
    data: JSON = strawberry.field(description="The payload: global IDs and the facts a receiver acts on, nothing personal")


@strawberry.type(description="One event to one endpoint, tried until it is delivered or dead.")
class WebhookDelivery(relay.Node):
    id: relay.NodeID[int]
    status: WebhookDeliveryStatus
    attempts: int = strawberry.field(description="Attempts made so far, the one running included")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next; null once delivered or dead")
    last_attempt_at: datetime | None
    last_status_code: int | None = strawberry.field(description="The receiver's HTTP status at the last attempt, if it answered")
    last_error: str | None = strawberry.field(description="Why the last attempt failed, e.g. answered 503 or no answer within 5 s")
    delivered_at: datetime | None
    created_at: datetime
    endpoint: WebhookEndpoint
    event: WebhookEvent

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        event = row.event
        return cls(
            id=row.id,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_attempt_at=row.last_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
            endpoint=WebhookEndpoint.from_row(row.endpoint),
            event=WebhookEvent(
                event_id=webhooks.event_id(event.id), type=event.type, created_at=event.created_at, data=event.payload
            ),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WebhookDelivery | None]:
        ids = pks(node_ids)
        if not has_permission(info.context.viewer, Permission.WEBHOOK_MANAGE):
            return [None for _ in ids]
        rows = {row.id: row for row in await models.WebhookDelivery.filter(id__in=ids).select_related("endpoint", "event")}
        return [cls.from_row(rows[pk]) if pk in rows else None for pk in ids]
