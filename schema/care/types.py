"""The care types: interactions, tasks, calendar entries, and the enums of the grading.

An interaction is seen by CARE_READ staff in scope (account managers: their own members'); a task
by TASK_WRITE staff (account managers: tasks assigned to them or about their own members). Anyone
else gets null, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain import care, models, tasks
from schema.base import Info, account_managers_of, load_member, pks
from schema.privacy import noted
from schema.staff.types import Staff, load_staff

if TYPE_CHECKING:
    from schema.members.types import Member

InteractionKind = strawberry.enum(models.InteractionKind, name="InteractionKind")
TaskKind = strawberry.enum(models.TaskKind, name="TaskKind")
TaskStatus = strawberry.enum(models.TaskStatus, name="TaskStatus")
LifecycleStage = strawberry.enum(
    models.LifecycleStage, name="LifecycleStage", description="Where a member stands, from their visits over time"
)
ChurnRisk = strawberry.enum(models.ChurnRisk, name="ChurnRisk", description="How likely the member is to drift away")
Segment = strawberry.enum(models.Segment, name="Segment", description="Value grade from recency, frequency and spend")
CareDateKind = strawberry.enum(care.CareDateKind, name="CareDateKind")

MemberRef = Annotated["Member", strawberry.lazy("schema.members.types")]


@strawberry.type(description="A moment of care: a visit, a call, a message or a gift, by a member of staff.")
class Interaction(relay.Node):
    id: relay.NodeID[int]
    kind: InteractionKind
    occurred_at: datetime
    member_id: strawberry.Private[int]
    staff_id: strawberry.Private[int | None]
    _summary: strawberry.Private[str]

    @strawberry.field(description="A staff note about the member: whoever may see the interaction may read it.")
    def summary(self, info: Info) -> str:
        # Those who may see an interaction are those with full access to notes (tests/test_privacy_matrix.py
        # pins it), and the front desk in the payload of the one it records: a note is not read from its writer.
        if not (info.context.viewer.is_staff and info.context.viewer.id == self.staff_id):
            noted(info, "Interaction.summary", self.member_id)
        return self._summary

    @strawberry.field
    async def member(self, info: Info) -> MemberRef:
        return await load_member(info, self.member_id)

    @strawberry.field(description="Who recorded it; null when that staff member was removed.")
    async def staff(self, info: Info) -> Staff | None:
        return await load_staff(info, self.staff_id)

    @classmethod
    def from_row(cls, row: models.Interaction) -> Interaction:
        return cls(
            id=row.id,
            kind=row.kind,
            _summary=row.summary,
            occurred_at=row.occurred_at,
            member_id=row.member_id,
            staff_id=row.staff_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Interaction | None]:
        rows = await info.context.loaders.interaction_by_id.load_many(pks(node_ids))
        managers = await account_managers_of(info, [row.member_id for row in rows if row])
        viewer = info.context.viewer
        return [
            cls.from_row(row)
            if row and row.member_id in managers and care.may_read_care(viewer, account_manager_id=managers[row.member_id])
            else None
            for row in rows
        ]


@strawberry.type(description="A follow-up for staff, made by hand or raised by the club (birthdays, complaints, churn).")
class Task(relay.Node):
    id: relay.NodeID[int]
    kind: TaskKind
    title: str
    notes: str
    due_at: datetime
    status: TaskStatus
    outcome: str = strawberry.field(
        description="What came of it, noted on completion; why, when the club cancelled it (the member came back)"
    )
    created_at: datetime
    completed_at: datetime | None = strawberry.field(description="When it was done or cancelled")
    member_id: strawberry.Private[int | None]
    assignee_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]
    completed_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The member it is about, if any.")
    async def member(self, info: Info) -> MemberRef | None:
        return await load_member(info, self.member_id)

    @strawberry.field
    async def assignee(self, info: Info) -> Staff | None:
        return await load_staff(info, self.assignee_id)

    @strawberry.field(description="Who made it; null when the club raised it by itself.")
    async def created_by(self, info: Info) -> Staff | None:
        return await load_staff(info, self.created_by_id)

    @strawberry.field(description="Who completed it; null when the club cancelled it by itself.")
    async def completed_by(self, info: Info) -> Staff | None:
        return await load_staff(info, self.completed_by_id)

    @classmethod
    def from_row(cls, row: models.Task) -> Task:
        return cls(
            id=row.id,
            kind=row.kind,
            title=row.title,
            notes=row.notes,
            due_at=row.due_at,
            status=row.status,
            outcome=row.outcome,
            created_at=row.created_at,
            completed_at=row.completed_at,
            member_id=row.member_id,
            assignee_id=row.assignee_id,
            created_by_id=row.created_by_id,
            completed_by_id=row.completed_by_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Task | None]:
        rows = await info.context.loaders.task_by_id.load_many(pks(node_ids))
        managers = await account_managers_of(info, [row.member_id for row in rows if row])
        viewer = info.context.viewer
        return [
            cls.from_row(row)
            if row
            and tasks.may_see_task(
                viewer, row, member_account_manager_id=managers.get(row.member_id) if row.member_id else None
            )
            else None
            for row in rows
        ]


@strawberry.type(description="A birthday or important date of a member, at its next occurrence.")
class CareCalendarEntry:
    date: date = strawberry.field(description="The next occurrence, today included")
    days_away: int = strawberry.field(description="0 for today")
    kind: CareDateKind
    label: str
    member_id: strawberry.Private[int]
    age_or_years: strawberry.Private[int | None]

    @strawberry.field(description="The age, or years since the date; null before its first return")
    def years(self, info: Info) -> int | None:
        # A birthday's date and the age together are the member's birthday: a sensitive read.
        if self.kind is care.CareDateKind.BIRTHDAY:
            noted(info, "Member.birthday", self.member_id)
        return self.age_or_years

    @strawberry.field
    async def member(self, info: Info) -> MemberRef:
        return await load_member(info, self.member_id)

    @classmethod
    def from_entry(cls, entry: care.CalendarEntry) -> CareCalendarEntry:
        return cls(
            date=entry.date,
            days_away=entry.days_away,
            kind=entry.kind,
            label=entry.label,
            age_or_years=entry.years,
            member_id=entry.member_id,
        )
