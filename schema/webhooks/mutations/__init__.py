"""Webhook mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.webhooks.mutations.webhook_delivery_retry import webhook_delivery_retry
from schema.webhooks.mutations.webhook_endpoint_create import webhook_endpoint_create
from schema.webhooks.mutations.webhook_endpoint_delete import webhook_endpoint_delete
from schema.webhooks.mutations.webhook_endpoint_update import webhook_endpoint_update


@strawberry.type
class WebhookMutation:
    webhook_endpoint_create = strawberry.mutation(
        resolver=webhook_endpoint_create,
        description="Register a webhook receiver; its signing secret is shown once (administrators and club managers).",
    )
    webhook_endpoint_update = strawberry.mutation(
        resolver=webhook_endpoint_update,
        description="Change a webhook receiver's URL, event types or activity (administrators and club managers).",
    )
    webhook_endpoint_delete = strawberry.mutation(
        resolver=webhook_endpoint_delete,
        description="Delete a webhook receiver and its deliveries (administrators and club managers).",
    )
    webhook_delivery_retry = strawberry.mutation(
        resolver=webhook_delivery_retry,
        description="Try a dead delivery again from its first attempt (administrators and club managers).",
    )
