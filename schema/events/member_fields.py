"""The Member fields about events; Member declares them, the logic stays here."""

from __future__ import annotations

from typing import Any

from domain import events
from domain.errors import PermissionDenied
from domain.policy import may_read_member
from schema.base import Info
from schema.events.types import EventRegistration
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate


async def event_registrations(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[EventRegistration]:
    if not may_read_member(info.context.viewer, root.id):
        raise PermissionDenied()
    query = events.registration_query(member_id=root.id)
    return await paginate(query, first=first, after=after, node=EventRegistration.from_row, descending=True)
