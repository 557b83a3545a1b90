"""The `Period` enum of per-period aggregates (points flow, NPS trend), shared by the domains that group by it."""

from __future__ import annotations

import strawberry

from domain import db

Period = strawberry.enum(
    db.Period, name="Period", description="A calendar period figures are grouped by, in UTC; weeks start on Monday"
)
