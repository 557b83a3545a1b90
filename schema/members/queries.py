"""Queries over members: one by ID, the filtered list for staff, and a member's data export."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain import member_data, members
from schema.base import Info, node_pk_or_none
from schema.care.types import ChurnRisk, LifecycleStage, Segment
from schema.members.types import Member, MemberStatus
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate


@strawberry.input(description="Narrows the member list; all given conditions must hold.")
class MemberFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name, email or phone")
    tier_id: relay.GlobalID | None = None
    account_manager_id: relay.GlobalID | None = None
    status: MemberStatus | None = None
    segment: Segment | None = strawberry.field(default=None, description="Care grading: staff who handle care")
    lifecycle_stage: LifecycleStage | None = strawberry.field(default=None, description="Care grading: staff who handle care")
    churn_risk: ChurnRisk | None = strawberry.field(default=None, description="Care grading: staff who handle care")


@strawberry.type(description="Everything the club holds about one member, as one machine-readable document.")
class MemberDataExport:
    format_version: int = strawberry.field(description="Of `data`: raised when a key is renamed or removed")
    exported_at: datetime
    data: JSON = strawberry.field(description="The document, grouped by section; README, Data export and erasure")


@strawberry.type
class MemberQuery:
    @strawberry.field(description="Members in order of enrolment; staff only.")
    async def members(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: MemberFilter | None = None
    ) -> Connection[Member]:
        filter = filter or MemberFilter()
        query = members.member_query(
            viewer=info.context.viewer,
            search=filter.search,
            tier_id=node_pk_or_none(filter.tier_id, "Tier", missing=0) if filter.tier_id else None,
            account_manager_id=node_pk_or_none(filter.account_manager_id, "Staff", missing=0)
            if filter.account_manager_id
            else None,
            status=filter.status,
            segment=filter.segment,
            lifecycle_stage=filter.lifecycle_stage,
            churn_risk=filter.churn_risk,
        )
        return await paginate(query, first=first, after=after, node=Member.from_row)

    @strawberry.field(description="One member by ID; null when it does not exist or is not yours to see.")
    async def member(self, info: Info, id: relay.GlobalID) -> Member | None:
        pk = node_pk_or_none(id, "Member")
        if pk is None:
            return None
        nodes = await Member.resolve_nodes(info=info, node_ids=[str(pk)])
        return nodes[0]

    @strawberry.field(
        description="Everything the club holds about a member: the member themself, club managers and "
        "administrators; null for another member or a member that does not exist. Every export is audited."
    )
    async def member_data_export(self, info: Info, id: relay.GlobalID) -> MemberDataExport | None:
        pk = node_pk_or_none(id, "Member", missing=0)
        export = await member_data.export_member_data(
            viewer=info.context.viewer, member_id=pk, request_id=info.context.request_id
        )
        if export is None:
            return None
        return MemberDataExport(
            format_version=member_data.FORMAT_VERSION, exported_at=export.exported_at, data=export.document
        )
