"""Batch functions for events: counts, averages, a member's own registrations and waitlist places."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.functions import Count, Sum

from domain import events, models
from domain.models import RegistrationStatus


async def load_waitlist_count_by_event_id(event_ids: Sequence[int]) -> list[int]:
    rows = (
        await models.EventRegistration.filter(event_id__in=set(event_ids), status=RegistrationStatus.WAITLISTED)
        .annotate(count=Count("id"))
        .group_by("event_id")
        .values_list("event_id", "count")
    )
    counts = dict(rows)
    return [counts.get(key, 0) for key in event_ids]


async def load_average_rating_by_event_id(event_ids: Sequence[int]) -> list[float | None]:
    rows = (
        await models.EventFeedback.filter(event_id__in=set(event_ids))
        .annotate(total=Sum("rating"), count=Count("id"))
        .group_by("event_id")
        .values_list("event_id", "total", "count")
    )
    # Sum and count, not AVG: the ORM would cast an average of an integer column back to an integer.
    averages = {event_id: int(total) / count for event_id, total, count in rows if count}
    return [averages.get(key) for key in event_ids]


async def load_active_registration_by_event_and_member_id(
    keys: Sequence[tuple[int, int]],
) -> list[models.EventRegistration | None]:
    """Keyed by (event id, member id): the member's confirmed or waitlisted registration, if any."""
    rows = await models.EventRegistration.filter(
        event_id__in={event_id for event_id, _ in keys},
        member_id__in={member_id for _, member_id in keys},
        status__in=events.ACTIVE,
    )
    found = {(row.event_id, row.member_id): row for row in rows}
    return [found.get(key) for key in keys]


async def load_waitlist_position_by_registration_id(registration_ids: Sequence[int]) -> list[int | None]:
    positions = await events.waitlist_positions(registration_ids)
    return [positions.get(key) for key in registration_ids]
