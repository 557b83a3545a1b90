"""The analytics types: figures and per-period series. Bounded by their range, so plain lists, not connections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain import analytics
from schema.base import Info
from schema.events.types import Event
from schema.periods import Period
from schema.tiers.types import Tier

SERIES = "A plain list with one item per period of the range, zeros included (at most 3 years: not a connection)."
From = Annotated[datetime, strawberry.argument(name="from", description="Start of the range, included (UTC)")]
To = Annotated[
    datetime, strawberry.argument(description="End of the range, excluded (UTC); at most 3 years after `from`")
]


@strawberry.type(description="How many members the club has, by status and recent activity.")
class MemberCounts:
    total: int = strawberry.field(description="Members who had joined by `asOf`, whatever their status")
    active: int = strawberry.field(description="Of them, active today")
    suspended: int = strawberry.field(description="Of them, suspended today")
    resigned: int = strawberry.field(description="Of them, resigned today")
    visited_last_90_days: int = strawberry.field(
        description=(
            "Of them, those who visited (a purchase not wholly refunded, a VISIT interaction or an event "
            "check-in) in the 90 days up to `asOf`"
        )
    )
    joined_last_30_days: int = strawberry.field(description="Of them, those who joined in the 30 days up to `asOf`")

    @classmethod
    def of(cls, counts: analytics.MemberCounts) -> MemberCounts:
        return cls(
            total=counts.total,
            active=counts.active,
            suspended=counts.suspended,
            resigned=counts.resigned,
            visited_last_90_days=counts.visited_last_90_days,
            joined_last_30_days=counts.joined_last_30_days,
        )


@strawberry.type(description="Active members in one tier.")
class TierShare:
    members: int = strawberry.field(description="Active members in the tier")
    share: float = strawberry.field(description="Their part of all active members, 0 to 1")
    tier_id: strawberry.Private[int]

    @strawberry.field
    async def tier(self, info: Info) -> Tier:
        return Tier.from_row(await info.context.loaders.tier_by_id.load(self.tier_id))


@strawberry.type(description="What the club owes its members in points, today.")
class PointsLiability:
    outstanding: int = strawberry.field(description="Points members can spend: the sum of all balances")
    owed: int = strawberry.field(
        description="Points members owe from refunds of purchases whose points were already spent; "
        "new earnings clear them first"
    )
    members_with_points: int = strawberry.field(description="Members with a balance above zero")
    expiring_within_30_days: int = strawberry.field(description="Points of the outstanding that expire within 30 days")

    @strawberry.field(
        description="Points set aside for redemptions in progress, not in the balances but still owed "
        "until the redemption completes (one more aggregate over the ledger, run only when asked)"
    )
    async def held(self, info: Info) -> int:
        return await analytics.points_held(viewer=info.context.viewer)


@strawberry.type(description="The points that moved in one period.")
class PointsFlowPeriod:
    period_start: date = strawberry.field(description="First day of the period (UTC)")
    issued: int = strawberry.field(
        description="Points earned: purchases, partners, events, surveys, referrals, birthdays and campaigns. "
        "Transfers between members and released holds are not new points and are not counted"
    )
    redeemed: int = strawberry.field(
        description="Points spent on rewards and events, less redemptions given back in this period"
    )
    expired: int = strawberry.field(description="Points that expired")
    adjusted: int = strawberry.field(description="Net of staff adjustments: positive when more was given than taken")
    clawed_back: int = strawberry.field(description="Points taken back for refunded purchases")

    @classmethod
    def of(cls, flow: analytics.PointsFlow) -> PointsFlowPeriod:
        return cls(
            period_start=flow.period_start,
            issued=flow.issued,
            redeemed=flow.redeemed,
            expired=flow.expired,
            adjusted=flow.adjusted,
            clawed_back=flow.clawed_back,
        )


@strawberry.type(description="How full one event is.")
class EventFillRate:
    capacity: int = strawberry.field(description="Seats, guests included")
    seats_taken: int = strawberry.field(description="Seats of confirmed registrations, guests included")
    fill_rate: float = strawberry.field(description="Seats taken over capacity, 0 to 1")
    waitlisted: int = strawberry.field(description="Registrations on the waitlist")
    attended: int = strawberry.field(description="Registrations checked in at the door")
    cancelled: int = strawberry.field(description="Registrations cancelled")
    event_id: strawberry.Private[int]

    @strawberry.field
    async def event(self, info: Info) -> Event:
        return Event.from_row(await info.context.loaders.event_by_id.load(self.event_id))

    @classmethod
    def of(cls, rate: analytics.EventFillRate) -> EventFillRate:
        return cls(
            capacity=rate.capacity,
            seats_taken=rate.seats_taken,
            fill_rate=rate.fill_rate,
            waitlisted=rate.waitlisted,
            attended=rate.attended,
            cancelled=rate.cancelled,
            event_id=rate.event_id,
        )


@strawberry.type(description="Net Promoter Score of the answers submitted in one period.")
class NpsTrendPeriod:
    period_start: date = strawberry.field(description="First day of the period (UTC)")
    responses: int = strawberry.field(description="NPS answers submitted")
    promoters: int = strawberry.field(description="Answers of 9 or 10")
    passives: int = strawberry.field(description="Answers of 7 or 8")
    detractors: int = strawberry.field(description="Answers of 0 to 6")
    score: float | None = strawberry.field(
        description="% promoters minus % detractors, -100 to 100, to one decimal; null without answers"
    )

    @classmethod
    def of(cls, point: analytics.NpsPoint) -> NpsTrendPeriod:
        return cls(
            period_start=point.period_start,
            responses=point.responses,
            promoters=point.promoters,
            passives=point.passives,
            detractors=point.detractors,
            score=point.score,
        )


@strawberry.type(
    description="Club-wide figures for the club manager and administrators. Each field runs one or a few "
    "SQL aggregates: ask only for what you show."
)
class Analytics:
    @strawberry.field(description="Members by status and recent activity.")
    async def members(
        self,
        info: Info,
        as_of: Annotated[
            datetime | None, strawberry.argument(description="The moment the windows end at; now when not given")
        ] = None,
    ) -> MemberCounts:
        return MemberCounts.of(await analytics.member_counts(viewer=info.context.viewer, as_of=as_of))

    @strawberry.field(
        description="Active members per tier, lowest rank first, empty tiers included. A plain list: one item per tier."
    )
    async def tier_distribution(self, info: Info) -> list[TierShare]:
        shares = await analytics.tier_distribution(viewer=info.context.viewer)
        return [TierShare(members=share.members, share=share.share, tier_id=share.tier_id) for share in shares]

    @strawberry.field(description="Points owed to members today.")
    async def points_liability(self, info: Info) -> PointsLiability:
        liability = await analytics.points_liability(viewer=info.context.viewer)
        return PointsLiability(
            outstanding=liability.outstanding,
            owed=liability.owed,
            members_with_points=liability.members_with_points,
            expiring_within_30_days=liability.expiring_within_30_days,
        )

    @strawberry.field(description="Points issued, redeemed, expired and adjusted per period. " + SERIES)
    async def points_flow(
        self, info: Info, from_: From, to: To, period: Period = Period.MONTH
    ) -> list[PointsFlowPeriod]:
        flows = await analytics.points_flow(viewer=info.context.viewer, start=from_, end=to, period=period)
        return [PointsFlowPeriod.of(flow) for flow in flows]

    @strawberry.field(
        description="Seats, waitlist, attendance and cancellations of each event starting in the range, "
        f"earliest first, cancelled events included. A plain list of at most {analytics.MAX_EVENTS} events "
        "(a longer one is refused: narrow the range)."
    )
    async def event_fill_rates(self, info: Info, from_: From, to: To) -> list[EventFillRate]:
        rates = await analytics.event_fill_rates(viewer=info.context.viewer, start=from_, end=to)
        return [EventFillRate.of(rate) for rate in rates]

    @strawberry.field(description="Net Promoter Score per period, by when the answers were submitted. " + SERIES)
    async def nps_trend(self, info: Info, from_: From, to: To, period: Period = Period.MONTH) -> list[NpsTrendPeriod]:
        points = await analytics.nps_trend(viewer=info.context.viewer, start=from_, end=to, period=period)
        return [NpsTrendPeriod.of(point) for point in points]
