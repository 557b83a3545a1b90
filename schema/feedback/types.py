"""The feedback types: tickets with their responses and history, surveys, their instances and answers, NPS figures.

A ticket is seen by its member and by the staff who handle it (an account manager: their own
members' tickets and those assigned to them); internal notes by staff only. A survey instance and
its answers are seen by its member and by staff with FEEDBACK_READ in scope. Anything else is null.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain import models, surveys, tickets
from domain.viewer import Viewer
from schema.base import Info, account_managers_of, load_member, pks
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate
from schema.staff.types import Staff, load_staff

if TYPE_CHECKING:
    from schema.events.types import Event
    from schema.members.types import Member

MemberType = Annotated["Member", strawberry.lazy("schema.members.types")]
EventType = Annotated["Event", strawberry.lazy("schema.events.types")]

TicketCategory = strawberry.enum(models.TicketCategory, name="TicketCategory")
TicketSeverity = strawberry.enum(
    models.TicketSeverity,
    name="TicketSeverity",
    description="How urgent: sets the SLA (critical 4 h, high 24 h, medium 72 h, low 7 days)",
)
TicketStatus = strawberry.enum(
    models.TicketStatus, name="TicketStatus", description="Where a ticket stands in its workflow"
)
SurveyTrigger = strawberry.enum(models.SurveyTrigger, name="SurveyTrigger", description="When a survey is sent")
QuestionKind = strawberry.enum(
    models.QuestionKind, name="QuestionKind", description="NPS: 0 to 10, CSAT: 1 to 5, TEXT: free text"
)
NpsGrouping = strawberry.enum(surveys.NpsGrouping, name="NpsGrouping", description="What NPS figures are grouped by")


async def _event(info: Info, event_id: int | None) -> Event | None:
    from schema.events.types import Event

    if event_id is None:
        return None
    row = await info.context.loaders.event_by_id.load(event_id)
    return Event.from_row(row) if row else None


# --- tickets ------------------------------------------------------------------------------


@strawberry.type(description="One step of a ticket's workflow.")
class TicketStatusChange:
    from_status: TicketStatus | None = strawberry.field(description="Null for the ticket's opening")
    to_status: TicketStatus
    created_at: datetime
    staff_id: strawberry.Private[int | None]
    note_text: strawberry.Private[str]

    @strawberry.field(
        description="Why it moved. Internal: staff write their reasons here, so it is null for anyone but staff, "
        "the member included (even for a note the member wrote when closing their ticket)."
    )
    def note(self, info: Info) -> str | None:
        return self.note_text if info.context.viewer.is_staff else None

    @strawberry.field(description="Who moved it; null when the member did: opened it, or closed it once resolved.")
    async def staff(self, info: Info) -> Staff | None:
        return await load_staff(info, self.staff_id)

    @classmethod
    def from_row(cls, row: models.TicketStatusChange) -> TicketStatusChange:
        return cls(
            from_status=row.from_status,
            to_status=row.to_status,
            note_text=row.note,
            created_at=row.created_at,
            staff_id=row.staff_id,
        )


@strawberry.type(description="A reply on a ticket, by staff or by the member; internal notes are for staff only.")
class TicketResponse(relay.Node):
    id: relay.NodeID[int]
    body: str
    is_internal: bool = strawberry.field(description="A note among staff, never shown to the member")
    created_at: datetime
    ticket_id: strawberry.Private[int]
    staff_id: strawberry.Private[int | None]
    member_id: strawberry.Private[int | None]

    @strawberry.field(description="The member of staff who wrote it; null when the member did.")
    async def staff(self, info: Info) -> Staff | None:
        return await load_staff(info, self.staff_id)

    @strawberry.field(description="The member who wrote it; null when staff did.")
    async def member(self, info: Info) -> MemberType | None:
        return await load_member(info, self.member_id)

    @classmethod
    def from_row(cls, row: models.TicketResponse) -> TicketResponse:
        return cls(
            id=row.id,
            body=row.body,
            is_internal=row.is_internal,
            created_at=row.created_at,
            ticket_id=row.ticket_id,
            staff_id=row.staff_id,
            member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TicketResponse | None]:
        viewer = info.context.viewer
        rows = await info.context.loaders.ticket_response_by_id.load_many(pks(node_ids))
        visible_tickets = await _visible_tickets(info, [row.ticket_id for row in rows if row])
        return [
            cls.from_row(row)
            if row and row.ticket_id in visible_tickets and tickets.response_visible(viewer, row)
            else None
            for row in rows
        ]


async def _visible_tickets(info: Info, ticket_ids: Sequence[int]) -> dict[int, models.Ticket]:
    """The tickets among these that the viewer may see, by id."""
    viewer: Viewer = info.context.viewer
    if viewer.is_anonymous or not ticket_ids:
        return {}
    rows = [row for row in await info.context.loaders.ticket_by_id.load_many(list(ticket_ids)) if row]
    managers = {}
    if tickets.needs_account_manager(viewer):
        managers = await account_managers_of(info, [row.member_id for row in rows])
    return {
        row.id: row
        for row in rows
        if tickets.may_see_ticket(viewer, row, account_manager_id=managers.get(row.member_id))
    }


@strawberry.type(description="A complaint, request or praise, worked through open, in progress, resolved and closed.")
class Ticket(relay.Node):
    id: relay.NodeID[int]
    category: TicketCategory
    severity: TicketSeverity
    subject: str
    description: str
    status: TicketStatus
    sla_due_at: datetime = strawberry.field(
        description="When it must be resolved by: its creation plus the SLA of its severity"
    )
    breached_at: datetime | None = strawberry.field(
        description="When the breach was recorded: at the late resolution or close, or by the hourly check "
        "for unresolved tickets (null until then, though `breached` is already true)"
    )
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    member_id: strawberry.Private[int]
    assignee_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]
    breached_flag: strawberry.Private[bool]

    @strawberry.field(
        description="Whether it missed its SLA: resolved (or closed unresolved) after its SLA due time, or still unresolved "
        "past it (true at once, without waiting for the hourly check)"
    )
    def breached(self) -> bool:
        return tickets.is_breached(
            breached=self.breached_flag, status=models.TicketStatus(self.status), sla_due_at=self.sla_due_at
        )

    @strawberry.field(description="The member the ticket is about.")
    async def member(self, info: Info) -> MemberType:
        member = await load_member(info, self.member_id)
        assert member is not None
        return member

    @strawberry.field(description="The member of staff working on it.")
    async def assignee(self, info: Info) -> Staff | None:
        return await load_staff(info, self.assignee_id)

    @strawberry.field(description="The member of staff who opened it for the member; null when the member did.")
    async def created_by(self, info: Info) -> Staff | None:
        return await load_staff(info, self.created_by_id)

    @strawberry.field(description="The statuses it may move to next.")
    def next_statuses(self) -> list[TicketStatus]:
        return list(tickets.allowed_next(models.TicketStatus(self.status)))

    @strawberry.field(
        description="Replies, oldest first; the member does not see internal notes. The first pages of a whole "
        "page of tickets come in one query; `totalCount` costs one COUNT per ticket, only when asked."
    )
    async def responses(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[TicketResponse]:
        loaders = info.context.loaders
        with_internal = info.context.viewer.is_staff
        query = tickets.response_query(ticket_id=self.id, with_internal=with_internal)
        # Staff read the internal notes too, members not: a loader each, as their first pages differ.
        pages = (
            loaders.ticket_response_pages_by_ticket_id
            if with_internal
            else loaders.public_ticket_response_pages_by_ticket_id
        )
        return await first_page_then_paginate(
            pages,
            self.id,
            query,
            first=first,
            after=after,
            node=TicketResponse.from_row,
        )

    @strawberry.field(description="Every step of its workflow, oldest first.")
    async def status_history(self, info: Info) -> list[TicketStatusChange]:
        rows = await info.context.loaders.ticket_status_changes_by_ticket_id.load(self.id)
        return [TicketStatusChange.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Ticket) -> Ticket:
        return cls(
            id=row.id,
            category=row.category,
            severity=row.severity,
            subject=row.subject,
            description=row.description,
            status=row.status,
            sla_due_at=row.sla_due_at,
            breached_at=row.breached_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
            member_id=row.member_id,
            assignee_id=row.assignee_id,
            created_by_id=row.created_by_id,
            breached_flag=row.breached,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Ticket | None]:
        ids = pks(node_ids)
        visible = await _visible_tickets(info, ids)
        return [cls.from_row(visible[pk]) if pk in visible else None for pk in ids]


# --- surveys ------------------------------------------------------------------------------


@strawberry.type(description="One question of a survey.")
class SurveyQuestion(relay.Node):
    id: relay.NodeID[int]
    position: int = strawberry.field(description="1 for the first question")
    kind: QuestionKind
    prompt: str
    required: bool

    @classmethod
    def from_row(cls, row: models.SurveyQuestion) -> SurveyQuestion:
        return cls(id=row.id, position=row.position, kind=row.kind, prompt=row.prompt, required=row.required)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SurveyQuestion | None]:
        if not surveys.may_read_surveys(info.context.viewer):
            return [None for _ in node_ids]
        rows = await info.context.loaders.survey_question_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A questionnaire, sent as instances to members after events, visits, or by hand.")
class Survey(relay.Node):
    id: relay.NodeID[int]
    title: str
    trigger: SurveyTrigger
    is_active: bool = strawberry.field(description="The newest active survey of a trigger is the one sent")
    created_at: datetime

    @strawberry.field(description="The questions, in order.")
    async def questions(self, info: Info) -> list[SurveyQuestion]:
        rows = await info.context.loaders.survey_questions_by_survey_id.load(self.id)
        return [SurveyQuestion.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Survey) -> Survey:
        return cls(id=row.id, title=row.title, trigger=row.trigger, is_active=row.is_active, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Survey | None]:
        if not surveys.may_read_surveys(info.context.viewer):
            return [None for _ in node_ids]
        rows = await info.context.loaders.survey_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A member's answer to one question.")
class SurveyAnswer:
    kind: QuestionKind
    score: int | None = strawberry.field(description="For NPS and CSAT questions")
    text: str | None = strawberry.field(description="For text questions")
    submitted_at: datetime
    question_id: strawberry.Private[int]

    @strawberry.field
    async def question(self, info: Info) -> SurveyQuestion:
        return SurveyQuestion.from_row(await info.context.loaders.survey_question_by_id.load(self.question_id))

    @classmethod
    def from_row(cls, row: models.SurveyAnswer) -> SurveyAnswer:
        return cls(
            kind=row.kind, score=row.score, text=row.text, submitted_at=row.submitted_at, question_id=row.question_id
        )


@strawberry.type(
    description="A survey sent to one member about one event or visit; answered at most once, before it expires."
)
class SurveyInstance(relay.Node):
    id: relay.NodeID[int]
    sent_at: datetime
    expires_at: datetime = strawberry.field(description="It can be answered until then")
    responded_at: datetime | None = strawberry.field(description="When the member answered; null while unanswered")
    survey_id: strawberry.Private[int]
    member_id: strawberry.Private[int]
    event_id: strawberry.Private[int | None]

    @strawberry.field(description="The questionnaire, with its questions.")
    async def survey(self, info: Info) -> Survey:
        return Survey.from_row(await info.context.loaders.survey_by_id.load(self.survey_id))

    @strawberry.field(description="The member it was sent to.")
    async def member(self, info: Info) -> MemberType:
        member = await load_member(info, self.member_id)
        assert member is not None
        return member

    @strawberry.field(description="The event it asks about; null for visits and manual sends.")
    async def event(self, info: Info) -> EventType | None:
        return await _event(info, self.event_id)

    @strawberry.field(description="The member's answers, in the order given; empty while unanswered.")
    async def answers(self, info: Info) -> list[SurveyAnswer]:
        rows = await info.context.loaders.survey_answers_by_instance_id.load(self.id)
        return [SurveyAnswer.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.SurveyInstance) -> SurveyInstance:
        return cls(
            id=row.id,
            sent_at=row.sent_at,
            expires_at=row.expires_at,
            responded_at=row.responded_at,
            survey_id=row.survey_id,
            member_id=row.member_id,
            event_id=row.event_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SurveyInstance | None]:
        viewer = info.context.viewer
        if viewer.is_anonymous:
            return [None for _ in node_ids]
        rows = await info.context.loaders.survey_instance_by_id.load_many(pks(node_ids))
        managers = await account_managers_of(info, [row.member_id for row in rows if row]) if viewer.is_staff else {}
        return [
            cls.from_row(row)
            if row
            and surveys.may_see_member_surveys(
                viewer, member_id=row.member_id, account_manager_id=managers.get(row.member_id)
            )
            else None
            for row in rows
        ]


# --- aggregates ---------------------------------------------------------------------------


@strawberry.type(description="NPS and CSAT of one group of answers: a period, an event or an account manager.")
class NpsFigure:
    period_start: date | None = strawberry.field(description="The first day of the period (PERIOD grouping)")
    responses: int = strawberry.field(description="NPS answers")
    promoters: int = strawberry.field(description="NPS answers of 9 or 10")
    passives: int = strawberry.field(description="NPS answers of 7 or 8")
    detractors: int = strawberry.field(description="NPS answers of 0 to 6")
    score: float | None = strawberry.field(
        description="Net promoter score: % promoters minus % detractors, -100 to 100, one decimal; "
        "null without NPS answers"
    )
    csat_average: float | None = strawberry.field(
        description="Mean CSAT score, 1 to 5, two decimals; null without CSAT answers"
    )
    event_id: strawberry.Private[int | None]
    account_manager_id: strawberry.Private[int | None]

    @strawberry.field(description="The event (EVENT grouping).")
    async def event(self, info: Info) -> EventType | None:
        return await _event(info, self.event_id)

    @strawberry.field(
        description="The account manager of the members who answered, as when the surveys were sent "
        "(ACCOUNT_MANAGER grouping)."
    )
    async def account_manager(self, info: Info) -> Staff | None:
        return await load_staff(info, self.account_manager_id)

    @classmethod
    def from_figure(cls, figure: surveys.NpsFigure) -> NpsFigure:
        return cls(
            period_start=figure.period_start,
            responses=figure.responses,
            promoters=figure.promoters,
            passives=figure.passives,
            detractors=figure.detractors,
            score=figure.score,
            csat_average=figure.csat_average,
            event_id=figure.event_id,
            account_manager_id=figure.account_manager_id,
        )
