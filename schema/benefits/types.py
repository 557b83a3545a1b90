"""The MemberBenefit type: a benefit of the member's tier with what is used and left this period."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.benefits import BenefitStatus
from schema.tiers.types import Benefit


@strawberry.type(description="A benefit of the member's tier, with what is used and left in the current period.")
class MemberBenefit:
    benefit: Benefit
    used: int = strawberry.field(description="Uses in the current period, in any tier")
    remaining: int | None = strawberry.field(description="Uses left in the current period; null when unlimited")
    period_start: date = strawberry.field(description="The first day of the current period (UTC)")
    period_end: date = strawberry.field(description="The last day of the current period (UTC)")

    @classmethod
    def from_status(cls, status: BenefitStatus) -> MemberBenefit:
        return cls(
            benefit=Benefit.from_row(status.benefit),
            used=status.used,
            remaining=status.remaining,
            period_start=status.period_start,
            period_end=status.period_end,
        )
