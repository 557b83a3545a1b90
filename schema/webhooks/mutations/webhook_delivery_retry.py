"""webhookDeliveryRetry: try a dead delivery again, from its first attempt (WEBHOOK_MANAGE)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import webhooks
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.webhooks.types import WebhookDelivery


@strawberry.enum
class WebhookDeliveryRetryErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_DEAD = "NOT_DEAD"


WebhookDeliveryRetryError = error_type("WebhookDeliveryRetry", WebhookDeliveryRetryErrorCode)


@strawberry.input
class WebhookDeliveryRetryInput:
    delivery_id: relay.GlobalID


@strawberry.type
class WebhookDeliveryRetryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[WebhookDeliveryRetryError]  # type: ignore[valid-type]


async def webhook_delivery_retry(info: Info, input: WebhookDeliveryRetryInput) -> WebhookDeliveryRetryPayload:
    async def action() -> dict:
        row = await webhooks.retry_delivery(
            viewer=info.context.viewer, delivery_id=node_pk(input.delivery_id, "WebhookDelivery", field="deliveryId")
        )
        return {"delivery": WebhookDelivery.from_row(row)}

    return await perform(info, WebhookDeliveryRetryPayload, WebhookDeliveryRetryError, action())
