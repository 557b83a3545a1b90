"""Queries over feedback: tickets, surveys and NPS figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from strawberry import relay

from domain import surveys, tickets
from domain.ledger import utcnow
from domain.policy import OWN_MEMBERS_ONLY, Permission, require_permission
from domain.validation import as_utc
from schema.base import Info, node_pk_or_none
from schema.feedback.types import (
    NpsFigure,
    NpsGrouping,
    Survey,
    Ticket,
    TicketCategory,
    TicketSeverity,
    TicketStatus,
)
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate
from schema.periods import Period

DEFAULT_NPS_RANGE = timedelta(days=365)


@strawberry.input(description="Narrows the ticket list; all given conditions must hold.")
class TicketFilter:
    status: TicketStatus | None = None
    category: TicketCategory | None = None
    severity: TicketSeverity | None = None
    assignee_id: relay.GlobalID | None = None
    member_id: relay.GlobalID | None = None
    breached: bool | None = strawberry.field(
        default=None,
        description="As the field shows it: flagged, or still unresolved past its SLA due time",
    )


@strawberry.type
class FeedbackQuery:
    @strawberry.field(
        description="Tickets, newest first: a member's own; staff who handle tickets (an account manager: "
        "their members' and those assigned to them)."
    )
    async def tickets(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: TicketFilter | None = None
    ) -> Connection[Ticket]:
        filter = filter or TicketFilter()
        query = tickets.ticket_query(
            viewer=info.context.viewer,
            status=filter.status,
            category=filter.category,
            severity=filter.severity,
            assignee_id=node_pk_or_none(filter.assignee_id, "Staff", missing=0) if filter.assignee_id else None,
            member_id=node_pk_or_none(filter.member_id, "Member", missing=0) if filter.member_id else None,
            breached=filter.breached,
        )
        return await paginate(query, first=first, after=after, node=Ticket.from_row, descending=True)

    @strawberry.field(description="One ticket by ID; null when it does not exist or is not yours to see.")
    async def ticket(self, info: Info, id: relay.GlobalID) -> Ticket | None:
        pk = node_pk_or_none(id, "Ticket")
        if pk is None:
            return None
        return (await Ticket.resolve_nodes(info=info, node_ids=[str(pk)]))[0]

    @strawberry.field(description="Surveys, newest first; staff who send surveys or read feedback.")
    async def surveys(self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Connection[Survey]:
        query = surveys.survey_query(viewer=info.context.viewer)
        return await paginate(query, first=first, after=after, node=Survey.from_row, descending=True)

    @strawberry.field(
        description="NPS and CSAT figures of the answers submitted in [from, to), per period, event or account "
        "manager, in key order; a bounded aggregate, not a connection: the range covers at most 3 years "
        "(default: the year up to now); times without an offset are taken as UTC. Staff with FEEDBACK_READ; an "
        "account manager gets the figures of their own members' answers only."
    )
    async def nps(
        self,
        info: Info,
        by: NpsGrouping,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        period: Period = Period.MONTH,  # type: ignore[valid-type, assignment]
    ) -> list[NpsFigure]:
        viewer = info.context.viewer
        require_permission(viewer, Permission.FEEDBACK_READ)
        until = as_utc(to) if to else utcnow()  # a time without an offset is taken as UTC
        figures = await surveys.nps_figures(
            grouping=by,
            since=from_ or until - DEFAULT_NPS_RANGE,
            until=until,
            period=period,
            account_manager_id=viewer.id if viewer.role in OWN_MEMBERS_ONLY else None,
        )
        return [NpsFigure.from_figure(figure) for figure in figures]
