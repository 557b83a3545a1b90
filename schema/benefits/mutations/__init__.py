"""Benefit mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.benefits.mutations.benefit_use import benefit_use


@strawberry.type
class BenefitMutation:
    benefit_use = strawberry.mutation(
        resolver=benefit_use, description="Record a use of a benefit of the member's tier, within its quota (staff)."
    )
