"""Lifecycle stage, churn risk and RFM segment of members, from their visits and spend."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from domain import models


async def note_activity(*, member_id: int, at: datetime) -> None:
    """A visit, a purchase or an attended event: moves the member's last visit forward, then re-grades them."""
    await models.Member.filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=at), id=member_id).update(
        last_visit_at=at
    )
