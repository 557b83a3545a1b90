"""Queries over webhook endpoints and deliveries (WEBHOOK_MANAGE)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain import webhooks
from schema.base import Info, node_pk_or_none
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate
from schema.webhooks.types import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint


@strawberry.input(description="Narrows the deliveries; all given conditions must hold.")
class WebhookDeliveriesFilter:
    status: WebhookDeliveryStatus | None = None
    endpoint_id: relay.GlobalID | None = None


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The webhook endpoints, oldest first (administrators and club managers).")
    async def webhook_endpoints(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        query = webhooks.endpoint_query(viewer=info.context.viewer)
        return await paginate(query, first=first, after=after, node=WebhookEndpoint.from_row)

    @strawberry.field(description="Webhook deliveries, newest first, with their attempts (administrators and club managers).")
    async def webhook_deliveries(
        self,
        info: Info,
        filter: WebhookDeliveriesFilter | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        filter = filter or WebhookDeliveriesFilter()
        endpoint_id = node_pk_or_none(filter.endpoint_id, "WebhookEndpoint", missing=0) if filter.endpoint_id else None
        query = webhooks.delivery_query(viewer=info.context.viewer, status=filter.status, endpoint_id=endpoint_id)
        return await paginate(
            query.select_related("endpoint", "event"), first=first, after=after, node=WebhookDelivery.from_row, descending=True
        )
