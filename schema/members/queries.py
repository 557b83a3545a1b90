"""Queries over members: one by ID, and the filtered list for staff."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain import members
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
