"""webhookEndpointCreate: register a webhook receiver (WEBHOOK_MANAGE); its signing secret is shown this once."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import webhooks
from schema.base import Info
from schema.errors import error_type, perform
from schema.webhooks.types import WebhookEndpoint, WebhookEventType


@strawberry.enum
class WebhookEndpointCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    TOO_MANY_ENDPOINTS = "TOO_MANY_ENDPOINTS"


WebhookEndpointCreateError = error_type("WebhookEndpointCreate", WebhookEndpointCreateErrorCode)


@strawberry.input
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description=f"http(s), without credentials; at most {webhooks.MAX_URL_LENGTH} characters")
    event_types: list[WebhookEventType] = strawberry.field(description="At least one")


@strawberry.type
class WebhookEndpointCreatePayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The HMAC-SHA256 key of the deliveries' signatures: shown this once, give it to the receiver"
    )
    errors: list[WebhookEndpointCreateError]  # type: ignore[valid-type]


async def webhook_endpoint_create(info: Info, input: WebhookEndpointCreateInput) -> WebhookEndpointCreatePayload:
    async def action() -> dict:
        row = await webhooks.create_endpoint(viewer=info.context.viewer, url=input.url, event_types=input.event_types)
        return {"endpoint": WebhookEndpoint.from_row(row), "secret": row.secret}

    return await perform(info, WebhookEndpointCreatePayload, WebhookEndpointCreateError, action())
