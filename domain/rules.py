"""The club's configurable points rules, read once at start-up; tests and tools may replace them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PointsRules:
    points_lifetime_days: int = 730
    currency: str = "CHF"  # the one currency purchases earn in: points per unit mean nothing across currencies
    points_per_currency_unit: Decimal = Decimal("1")
    transfer_daily_limit: int = 5_000
    birthday_bonus: int = 500
    referral_reward: int = 1_000
    survey_points: int = 50
    event_attendance_points: int = 100
    idempotency_retention_days: int = 7


RULES = PointsRules()


def configure(**changes: object) -> PointsRules:
    """Replace some rules for this process, e.g. from settings at start-up."""
    global RULES
    RULES = replace(RULES, **changes)  # type: ignore[arg-type]
    return RULES
