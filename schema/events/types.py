"""The event types: events (public club information), registrations and feedback (personal).

A registration and its feedback (as a node, or in `Member.eventRegistrations`) are seen by the member,
by event staff (EVENT_ATTENDEES_READ) and by staff with MEMBER_READ in scope, account managers for their
own members only (`events.may_read_registration`); anyone else gets null. An event's whole lists of
registrations and feedback are for event staff only (`events.may_read_attendees`). The check-in code
is the member's own secret: only they see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain import events, models
from schema.base import Info, account_managers_of, load_member, pks
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate
from schema.tiers.types import Tier

if TYPE_CHECKING:
    from schema.members.types import Member

EventCategory = strawberry.enum(models.EventCategory, name="EventCategory")
EventStatus = strawberry.enum(models.EventStatus, name="EventStatus")
RegistrationStatus = strawberry.enum(
    models.RegistrationStatus, name="RegistrationStatus", description="Cancelled registrations hold no seat"
)


async def _visible(info: Info, rows: Sequence[models.EventRegistration | models.EventFeedback | None]) -> list:
    """The rows the viewer may see, others None; members' account managers are loaded in one batch."""
    viewer = info.context.viewer
    managers = await account_managers_of(info, [row.member_id for row in rows if row])
    return [
        row
        if row
        and events.may_read_registration(
            viewer, member_id=row.member_id, account_manager_id=managers.get(row.member_id)
        )
        else None
        for row in rows
    ]


@strawberry.type(description="A member's rating of an event they attended.")
class EventFeedback(relay.Node):
    id: relay.NodeID[int]
    rating: int = strawberry.field(description="1 to 5")
    comment: str
    created_at: datetime
    event_id: strawberry.Private[int]
    member_id: strawberry.Private[int]

    @strawberry.field
    async def event(self, info: Info) -> Event:
        return Event.from_row(await info.context.loaders.event_by_id.load(self.event_id))

    @strawberry.field
    async def member(self, info: Info) -> Annotated["Member", strawberry.lazy("schema.members.types")]:
        return await load_member(info, self.member_id)

    @classmethod
    def from_row(cls, row: models.EventFeedback) -> EventFeedback:
        return cls(
            id=row.id,
            rating=row.rating,
            comment=row.comment,
            created_at=row.created_at,
            event_id=row.event_id,
            member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EventFeedback | None]:
        rows = await _visible(info, await info.context.loaders.event_feedback_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A member's seats at an event (theirs and their guests'), or their place on its waitlist.")
class EventRegistration(relay.Node):
    id: relay.NodeID[int]
    guests: int
    status: RegistrationStatus
    points_price: int = strawberry.field(
        description="Points for all its seats: paid when confirmed, held while waitlisted"
    )
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    event_id: strawberry.Private[int]
    member_id: strawberry.Private[int]
    code: strawberry.Private[str]

    @strawberry.field(description="Seats it takes: the member and their guests.")
    def seats(self) -> int:
        return 1 + self.guests

    @strawberry.field
    async def event(self, info: Info) -> Event:
        return Event.from_row(await info.context.loaders.event_by_id.load(self.event_id))

    @strawberry.field
    async def member(self, info: Info) -> Annotated["Member", strawberry.lazy("schema.members.types")]:
        return await load_member(info, self.member_id)

    @strawberry.field(description="1 for the head of the waitlist; null unless waitlisted.")
    async def waitlist_position(self, info: Info) -> int | None:
        if self.status != models.RegistrationStatus.WAITLISTED:
            return None
        return await info.context.loaders.waitlist_position_by_registration_id.load(self.id)

    @strawberry.field(description="The member's rating, once they gave it.")
    async def feedback(self, info: Info) -> EventFeedback | None:
        rows = await info.context.loaders.event_feedback_by_registration_id.load(self.id)
        return EventFeedback.from_row(rows[0]) if rows else None

    @strawberry.field(description="The secret in the member's QR code for the door; shown to the member only.")
    def check_in_code(self, info: Info) -> str | None:
        return self.code if info.context.viewer.is_member_self(self.member_id) else None

    @classmethod
    def from_row(cls, row: models.EventRegistration) -> EventRegistration:
        return cls(
            id=row.id,
            guests=row.guests,
            status=row.status,
            points_price=row.points_price,
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
            cancelled_at=row.cancelled_at,
            checked_in_at=row.checked_in_at,
            event_id=row.event_id,
            member_id=row.member_id,
            code=row.check_in_code,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EventRegistration | None]:
        rows = await _visible(info, await info.context.loaders.event_registration_by_id.load_many(pks(node_ids)))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A club event: a salon, a tasting, a lecture, an outing...")
class Event(relay.Node):
    id: relay.NodeID[int]
    title: str
    category: EventCategory
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int = strawberry.field(description="Seats, guests included")
    seats_taken: int = strawberry.field(description="Seats of confirmed registrations")
    price_points: int = strawberry.field(description="Points per seat; 0 when free")
    cancellation_deadline: datetime = strawberry.field(
        description="Confirmed registrations cancelled before it are refunded; after it, not"
    )
    status: EventStatus
    cancelled_at: datetime | None
    cancellation_reason: str
    min_tier_id: strawberry.Private[int | None]

    @strawberry.field(description="Seats still free.")
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    @strawberry.field(description="Registrations waiting for a seat.")
    async def waitlist_count(self, info: Info) -> int:
        return await info.context.loaders.waitlist_count_by_event_id.load(self.id)

    @strawberry.field(description="The lowest tier that may register; null when open to every member.")
    async def min_tier(self, info: Info) -> Tier | None:
        if self.min_tier_id is None:
            return None
        return Tier.from_row(await info.context.loaders.tier_by_id.load(self.min_tier_id))

    @strawberry.field(description="The calling member's confirmed or waitlisted registration; null otherwise.")
    async def my_registration(self, info: Info) -> EventRegistration | None:
        viewer = info.context.viewer
        if not viewer.is_member or viewer.id is None:
            return None
        row = await info.context.loaders.active_registration_by_event_and_member_id.load((self.id, viewer.id))
        return EventRegistration.from_row(row) if row else None

    @strawberry.field(
        description="Registrations in arrival order, of one status when given; event staff only, null for others."
    )
    async def registrations(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        status: RegistrationStatus | None = None,
    ) -> Connection[EventRegistration] | None:
        if not events.may_read_attendees(info.context.viewer):
            return None
        status_value = models.RegistrationStatus(status.value) if status is not None else None
        return await first_page_then_paginate(
            info.context.loaders.event_registration_pages_by_event_and_status,
            (self.id, status_value),  # type: ignore[arg-type]  # the loader's parent key is (event, status)
            events.registration_query(event_id=self.id, status=status_value),
            first=first,
            after=after,
            node=EventRegistration.from_row,
        )

    @strawberry.field(description="Ratings of those who attended, oldest first; event staff only, null for others.")
    async def feedback(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[EventFeedback] | None:
        if not events.may_read_attendees(info.context.viewer):
            return None
        return await first_page_then_paginate(
            info.context.loaders.event_feedback_pages_by_event_id,
            self.id,
            events.feedback_query(event_id=self.id),
            first=first,
            after=after,
            node=EventFeedback.from_row,
        )

    @strawberry.field(description="The mean rating; null without ratings, and for others than event staff.")
    async def average_rating(self, info: Info) -> float | None:
        if not events.may_read_attendees(info.context.viewer):
            return None
        return await info.context.loaders.average_rating_by_event_id.load(self.id)

    @classmethod
    def from_row(cls, row: models.Event) -> Event:
        return cls(
            id=row.id,
            title=row.title,
            category=row.category,
            description=row.description,
            venue=row.venue,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            capacity=row.capacity,
            seats_taken=row.seats_taken,
            price_points=row.price_points,
            cancellation_deadline=row.cancellation_deadline,
            status=row.status,
            cancelled_at=row.cancelled_at,
            cancellation_reason=row.cancellation_reason,
            min_tier_id=row.min_tier_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Event | None]:
        rows = await info.context.loaders.event_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]
