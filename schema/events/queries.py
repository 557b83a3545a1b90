"""Queries over events: public club information, readable by anyone."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain import events
from schema.base import Info, node_pk_or_none
from schema.events.types import Event, EventCategory
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate


@strawberry.input(description="Narrows the event list; all given conditions must hold.")
class EventFilter:
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Starting at or after; without an offset: UTC"
    )
    to: datetime | None = strawberry.field(default=None, description="Starting before; without an offset: UTC")
    category: EventCategory | None = None
    eligible_for_me: bool = strawberry.field(
        default=False,
        description="Only events open to the calling member's tier that are scheduled and not started. "
        "Full events (registering joins the waitlist) and events they already registered for are included: "
        "see seatsLeft and myRegistration. Members only",
    )


@strawberry.type
class EventQuery:
    @strawberry.field(description="Events by start time, then ID.")
    async def events(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: EventFilter | None = None
    ) -> Connection[Event]:
        filter = filter or EventFilter()
        query = await events.event_query(
            viewer=info.context.viewer,
            since=filter.from_,
            until=filter.to,
            category=filter.category,
            eligible_for_me=filter.eligible_for_me,
        )
        return await paginate(query, first=first, after=after, node=Event.from_row, sort="starts_at")

    @strawberry.field(description="One event by its ID.")
    async def event(self, info: Info, id: relay.GlobalID) -> Event | None:
        pk = node_pk_or_none(id, "Event")
        row = await info.context.loaders.event_by_id.load(pk) if pk is not None else None
        return Event.from_row(row) if row else None
