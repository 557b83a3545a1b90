"""The `analytics` root field: club-wide figures for the roles allowed to read them."""

from __future__ import annotations

import strawberry

from domain import analytics
from schema.analytics.types import Analytics
from schema.base import Info


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Club-wide figures: members, tiers, points, events and NPS. Club manager and administrators only."
    )
    def analytics(self, info: Info) -> Analytics:
        analytics.authorize(info.context.viewer)
        return Analytics()
