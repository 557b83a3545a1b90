"""The Member fields about feedback: their tickets and their surveys; Member declares them.

Null, rather than an error, for callers who may not see them, so that a page of members read by
the front desk still loads. The first pages of a whole page of members come from one windowed
query each (loaders); a later page (`after`) is read on its own with the same cursors.
"""

from __future__ import annotations

from typing import Any

from domain import surveys, tickets
from schema.base import Info
from schema.feedback.types import SurveyInstance, Ticket
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate, paginate


async def member_tickets(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[Ticket] | None:
    if not tickets.may_list_member_tickets(
        info.context.viewer, member_id=root.id, account_manager_id=root.account_manager_id
    ):
        return None
    return await first_page_then_paginate(
        info.context.loaders.ticket_pages_by_member_id,
        root.id,
        tickets.member_ticket_query(member_id=root.id),
        first=first,
        after=after,
        node=Ticket.from_row,
        descending=True,
    )


async def member_surveys(
    root: Any, info: Info, pending: bool | None = None, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[SurveyInstance] | None:
    """Newest first. Without `pending`, a page of members gets all their first pages in one query;
    with it (it depends on the time of the request, which a loader's constant SQL cannot hold) each
    member's page is one query of its own."""
    if not surveys.may_see_member_surveys(
        info.context.viewer, member_id=root.id, account_manager_id=root.account_manager_id
    ):
        return None
    query = surveys.member_instance_query(member_id=root.id, pending=pending)
    if pending is not None:
        return await paginate(query, first=first, after=after, node=SurveyInstance.from_row, descending=True)
    return await first_page_then_paginate(
        info.context.loaders.survey_instance_pages_by_member_id,
        root.id,
        query,
        first=first,
        after=after,
        node=SurveyInstance.from_row,
        descending=True,
    )
