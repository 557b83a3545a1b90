"""eventCreate: schedule an event (staff with EVENT_MANAGE)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import Event, EventCategory


@strawberry.enum
class EventCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"


EventCreateError = error_type("EventCreate", EventCreateErrorCode)


@strawberry.input
class EventCreateInput:
    title: str
    category: EventCategory
    description: str = ""
    venue: str
    starts_at: datetime = strawberry.field(description="In the future; without an offset: UTC")
    ends_at: datetime = strawberry.field(description="Without an offset: UTC")
    capacity: int = strawberry.field(description=f"Seats, guests included: 1 to {events.MAX_CAPACITY:,}")
    price_points: int = strawberry.field(default=0, description="Points per seat; 0 for a free event")
    min_tier_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The lowest tier that may register; null for every member"
    )
    cancellation_deadline: datetime | None = strawberry.field(
        default=None, description="Refunds end here; defaults to 48 hours before the start; without an offset: UTC"
    )


@strawberry.type
class EventCreatePayload:
    event: Event | None = None
    errors: list[EventCreateError]  # type: ignore[valid-type]


async def event_create(info: Info, input: EventCreateInput) -> EventCreatePayload:
    async def action() -> dict:
        row = await events.create_event(
            viewer=info.context.viewer,
            title=input.title,
            category=input.category,
            description=input.description,
            venue=input.venue,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
            price_points=input.price_points,
            min_tier_id=node_pk(input.min_tier_id, "Tier", field="minTierId") if input.min_tier_id else None,
            cancellation_deadline=input.cancellation_deadline,
        )
        return {"event": Event.from_row(row)}

    return await perform(info, EventCreatePayload, EventCreateError, action())
