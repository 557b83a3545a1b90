"""The Member fields about events; Member declares them, the logic stays here."""

from __future__ import annotations

from typing import Any

from domain import events
from schema.base import Info
from schema.events.types import EventRegistration
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate


async def event_registrations(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[EventRegistration] | None:
    """Newest first; null unless the viewer may read the member's registrations (the member, event staff,
    staff with MEMBER_READ in scope: account managers for their own members only). A page of members
    gets all their first pages in one query."""
    if not events.may_read_registration(
        info.context.viewer, member_id=root.id, account_manager_id=root.account_manager_id
    ):
        return None
    return await first_page_then_paginate(
        info.context.loaders.event_registration_pages_by_member_id,
        root.id,
        events.registration_query(member_id=root.id),
        first=first,
        after=after,
        node=EventRegistration.from_row,
        descending=True,
    )
