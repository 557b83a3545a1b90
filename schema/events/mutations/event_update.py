"""eventUpdate: change an event that is neither over nor cancelled (staff with EVENT_MANAGE)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.utils.str_converters import to_camel_case

from domain import events
from domain.errors import DomainError
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.events.types import Event, EventCategory


@strawberry.enum
class EventUpdateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    EVENT_CLOSED = "EVENT_CLOSED"
    CAPACITY_BELOW_TAKEN = "CAPACITY_BELOW_TAKEN"
    CAPACITY_BELOW_PARTY = "CAPACITY_BELOW_PARTY"


EventUpdateError = error_type("EventUpdate", EventUpdateErrorCode)


@strawberry.input(description="Only the fields given are changed; a null minTierId opens the event to every tier.")
class EventUpdateInput:
    event_id: relay.GlobalID
    title: str | None = strawberry.UNSET
    category: EventCategory | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    venue: str | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="Without cancellationDeadline, the deadline moves with the start by the same time; "
        "without an offset: UTC",
    )
    ends_at: datetime | None = strawberry.field(default=strawberry.UNSET, description="Without an offset: UTC")
    capacity: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Not below the seats taken nor the largest confirmed or waitlisted party; "
        "more seats promote the waitlist",
    )
    price_points: int | None = strawberry.field(
        default=strawberry.UNSET, description="For new registrations; those made keep their price"
    )
    min_tier_id: relay.GlobalID | None = strawberry.UNSET
    cancellation_deadline: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="At or before the start; without an offset: UTC"
    )


_FIELDS = (
    "title",
    "category",
    "description",
    "venue",
    "starts_at",
    "ends_at",
    "capacity",
    "price_points",
    "cancellation_deadline",
)


@strawberry.type
class EventUpdatePayload:
    event: Event | None = None
    errors: list[EventUpdateError]  # type: ignore[valid-type]


def _changes(input: EventUpdateInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if value is None:
            raise DomainError("REQUIRED", "This value cannot be cleared", field=to_camel_case(name))
        changes[name] = value
    if input.min_tier_id is not strawberry.UNSET:
        changes["min_tier_id"] = node_pk(input.min_tier_id, "Tier", field="minTierId") if input.min_tier_id else None
    return changes


async def event_update(info: Info, input: EventUpdateInput) -> EventUpdatePayload:
    async def action() -> dict:
        row = await events.update_event(
            viewer=info.context.viewer,
            event_id=node_pk(input.event_id, "Event", field="eventId"),
            changes=_changes(input),
        )
        return {"event": Event.from_row(row)}

    return await perform(info, EventUpdatePayload, EventUpdateError, action())
