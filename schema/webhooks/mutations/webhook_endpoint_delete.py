"""webhookEndpointDelete: delete a webhook receiver and its deliveries (WEBHOOK_MANAGE)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import webhooks
from schema.base import Info, node_pk
from schema.errors import error_type, perform


@strawberry.enum
class WebhookEndpointDeleteErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"


WebhookEndpointDeleteError = error_type("WebhookEndpointDelete", WebhookEndpointDeleteErrorCode)


@strawberry.input
class WebhookEndpointDeleteInput:
    endpoint_id: relay.GlobalID


@strawberry.type
class WebhookEndpointDeletePayload:
    deleted_endpoint_id: relay.GlobalID | None = None
    errors: list[WebhookEndpointDeleteError]  # type: ignore[valid-type]


async def webhook_endpoint_delete(info: Info, input: WebhookEndpointDeleteInput) -> WebhookEndpointDeletePayload:
    async def action() -> dict:
        pk = await webhooks.delete_endpoint(
            viewer=info.context.viewer, endpoint_id=node_pk(input.endpoint_id, "WebhookEndpoint", field="endpointId")
        )
        return {"deleted_endpoint_id": relay.GlobalID("WebhookEndpoint", str(pk))}

    return await perform(info, WebhookEndpointDeletePayload, WebhookEndpointDeleteError, action())
