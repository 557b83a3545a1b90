"""Batch functions for events: counts, averages, a member's own registrations and waitlist places."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.functions import Count, Sum

from domain import events, models
from domain.models import RegistrationStatus
from loaders.batch import load_first_pages


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


async def load_registration_pages_by_event_and_status(
    keys: Sequence[tuple[tuple[int, RegistrationStatus | None], int]],
) -> list[list[models.EventRegistration]]:
    """Keyed by ((event id, status or None for all), limit): the first registrations of each event in
    arrival order, one windowed query per status asked (usually one) for a whole page of events."""
    by_status: dict[RegistrationStatus | None, list[tuple[int, int]]] = {}
    for (event_id, status), limit in keys:
        by_status.setdefault(status, []).append((event_id, limit))
    pages: dict[tuple[tuple[int, RegistrationStatus | None], int], list[models.EventRegistration]] = {}
    for status, parent_keys in by_status.items():
        # The status is one of the enum's own values, never free input: safe inside the constant condition.
        where = f"status = '{RegistrationStatus(status).value}'" if status is not None else ""
        rows = await load_first_pages(
            models.EventRegistration, "event_id", parent_keys, order_by=("id",), where=where
        )
        for (event_id, limit), page in zip(parent_keys, rows, strict=True):
            pages[((event_id, status), limit)] = page
    return [pages[key] for key in keys]
