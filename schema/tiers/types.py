"""The Tier and Benefit types (public club information), and a member's tier history and progress."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry
from strawberry import relay

from domain import models, tier_engine
from domain.privacy import Access, Sensitive
from schema.base import Info, pks
from schema.privacy import access, noted
from schema.staff.types import Staff

QuotaPeriod = strawberry.enum(models.QuotaPeriod, name="QuotaPeriod", description="The period a benefit quota renews")


@strawberry.type(description="A privilege of a tier, possibly limited to a number of uses per period.")
class Benefit(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable kind of benefit, e.g. guest_pass")
    name: str
    description: str
    quota: int | None = strawberry.field(description="Uses allowed per period; null means unlimited")
    quota_period: QuotaPeriod | None
    value: Decimal | None = strawberry.field(description="A benefit's figure, e.g. the points multiplier")

    @classmethod
    def from_row(cls, row: models.Benefit) -> Benefit:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            description=row.description,
            quota=row.quota,
            quota_period=row.quota_period,
            value=row.value,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Benefit | None]:
        ids = pks(node_ids)
        rows = {row.id: row for row in await models.Benefit.filter(id__in=ids)}
        return [cls.from_row(rows[pk]) if pk in rows else None for pk in ids]


@strawberry.type(description="A rung of the club's tier ladder.")
class Tier(relay.Node):
    id: relay.NodeID[int]
    name: str
    rank: int = strawberry.field(description="Position on the ladder; higher is better")
    description: str
    qualifying_points: int | None = strawberry.field(
        description="Qualifying points within the window that qualify; null when this tier has no such threshold"
    )
    qualifying_spend: Decimal | None = strawberry.field(
        description="Spend within the window that qualifies; null when this tier has no such threshold"
    )
    qualifying_visits: int | None = strawberry.field(
        description="Visits (days with a purchase) within the window that qualify; null when none"
    )
    window_months: int = strawberry.field(
        description="The rolling window, in months back from today: any one threshold met in it qualifies. "
        "A tier above the lowest with no threshold is by invitation only"
    )
    grace_days: int = strawberry.field(
        description="Days after the review date before a member who no longer qualifies moves down"
    )

    @strawberry.field(description="The privileges of this tier.")
    async def benefits(self, info: Info) -> list[Benefit]:
        rows = await info.context.loaders.benefits_by_tier_id.load(self.id)
        return [Benefit.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Tier) -> Tier:
        return cls(
            id=row.id,
            name=row.name,
            rank=row.rank,
            description=row.description,
            qualifying_points=row.qualifying_points,
            qualifying_spend=row.qualifying_spend,
            qualifying_visits=row.qualifying_visits,
            window_months=row.window_months,
            grace_days=row.grace_days,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Tier | None]:
        rows = await info.context.loaders.tier_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]


TierChangeSource = strawberry.enum(models.TierChangeSource, name="TierChangeSource", description="What moved a member")


@strawberry.type(description="One move of a member between tiers, with its reason.")
class TierChange:
    source: TierChangeSource
    created_at: datetime
    stored_reason: strawberry.Private[str]
    member_id: strawberry.Private[int]
    from_tier_id: strawberry.Private[int | None]
    to_tier_id: strawberry.Private[int]
    changed_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Why; the member's spend figures only for those who may see spend.")
    async def reason(self, info: Info) -> str:
        if not tier_engine.SPEND_FIGURE.search(self.stored_reason):
            return self.stored_reason
        level = await access(info, Sensitive.SPEND, member_id=self.member_id)
        if level is Access.FULL:
            noted(info, "TierChange.reason", self.member_id)
            return self.stored_reason
        return tier_engine.without_spend(self.stored_reason)

    @strawberry.field(description="Null for the enrolment.")
    async def from_tier(self, info: Info) -> Tier | None:
        if self.from_tier_id is None:
            return None
        return Tier.from_row(await info.context.loaders.tier_by_id.load(self.from_tier_id))

    @strawberry.field
    async def to_tier(self, info: Info) -> Tier:
        return Tier.from_row(await info.context.loaders.tier_by_id.load(self.to_tier_id))

    @strawberry.field(description="The staff member who made the change; null for the rules' own changes.")
    async def changed_by(self, info: Info) -> Staff | None:
        if self.changed_by_id is None:
            return None
        row = await info.context.loaders.staff_by_id.load(self.changed_by_id)
        return Staff.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: models.TierChange) -> TierChange:
        return cls(
            source=row.source,
            stored_reason=row.reason,
            member_id=row.member_id,
            created_at=row.created_at,
            from_tier_id=row.from_tier_id,
            to_tier_id=row.to_tier_id,
            changed_by_id=row.changed_by_id,
        )


N = TypeVar("N", int, Decimal)


@strawberry.type(description="One qualification metric: the member's figure and what the next tier asks.")
class TierMetricProgress(Generic[N]):
    value: N = strawberry.field(description="The member's figure in the window")
    next_threshold: N | None = strawberry.field(description="The next tier's threshold; null when it sets none")
    left: N | None = strawberry.field(description="What is still missing to reach the threshold; 0 when reached")

    @classmethod
    def of(cls, value: N, threshold: N | None) -> TierMetricProgress[N]:
        return cls(value=value, next_threshold=threshold, left=None if threshold is None else max(threshold - value, 0))


@strawberry.type(description="Where a member stands on the ladder: what keeps their tier, and what the next one asks.")
class TierProgress:
    tier: Tier
    tier_since: date | None
    review_on: date | None = strawberry.field(
        description="When the tier is reviewed: kept another window if the member qualifies then, "
        "otherwise they move down once the tier's grace days have passed"
    )
    qualifies_for_tier: bool = strawberry.field(
        description="Whether the member's figures in the tier's window meet it (or a higher tier) now"
    )
    next_tier: Tier | None = strawberry.field(description="Null at the top of the ladder")
    window_months: int = strawberry.field(
        description="The window the figures are counted over: the next tier's, or the current one's at the top"
    )
    points: TierMetricProgress[int]
    spend: TierMetricProgress[Decimal] | None = strawberry.field(
        description="Money spent: null unless your role may see the member's spend"
    )
    visits: TierMetricProgress[int]

    @classmethod
    def from_progress(cls, progress: tier_engine.Progress) -> TierProgress:
        following, figures = progress.next_tier, progress.figures
        return cls(
            tier=Tier.from_row(progress.tier),
            tier_since=progress.tier_since,
            review_on=progress.review_on,
            qualifies_for_tier=progress.qualifies_for_tier,
            next_tier=Tier.from_row(following) if following else None,
            window_months=progress.window_months,
            points=TierMetricProgress.of(figures.points, following.qualifying_points if following else None),
            spend=TierMetricProgress.of(figures.spend, following.qualifying_spend if following else None),
            visits=TierMetricProgress.of(figures.visits, following.qualifying_visits if following else None),
        )
