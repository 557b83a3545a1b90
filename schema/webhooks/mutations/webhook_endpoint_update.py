"""webhookEndpointUpdate: change a webhook receiver's URL, event types or activity (WEBHOOK_MANAGE)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from domain import webhooks
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.webhooks.types import WebhookEndpoint, WebhookEventType


@strawberry.enum
class WebhookEndpointUpdateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


WebhookEndpointUpdateError = error_type("WebhookEndpointUpdate", WebhookEndpointUpdateErrorCode)


@strawberry.input(description="Only the fields given are changed.")
class WebhookEndpointUpdateInput:
    endpoint_id: relay.GlobalID
    url: str | None = strawberry.UNSET
    event_types: list[WebhookEventType] | None = strawberry.field(
        default=strawberry.UNSET, description="Applies to events fanned out from now on"
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false pauses it: its pending deliveries wait until it is active again"
    )


@strawberry.type
class WebhookEndpointUpdatePayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[WebhookEndpointUpdateError]  # type: ignore[valid-type]


def _changes(input: WebhookEndpointUpdateInput) -> dict[str, Any]:
    names = ("url", "event_types", "active")
    return {name: getattr(input, name) for name in names if getattr(input, name) is not strawberry.UNSET}


async def webhook_endpoint_update(info: Info, input: WebhookEndpointUpdateInput) -> WebhookEndpointUpdatePayload:
    async def action() -> dict:
        row = await webhooks.update_endpoint(
            viewer=info.context.viewer,
            endpoint_id=node_pk(input.endpoint_id, "WebhookEndpoint", field="endpointId"),
            changes=_changes(input),
        )
        return {"endpoint": WebhookEndpoint.from_row(row)}

    return await perform(info, WebhookEndpointUpdatePayload, WebhookEndpointUpdateError, action())
