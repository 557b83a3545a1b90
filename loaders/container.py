"""The Loaders container, built fresh for every request so that nothing is cached across requests."""

from __future__ import annotations

from functools import partial

from strawberry.dataloader import DataLoader

from domain import models
from loaders.batch import load_by_id, load_children
from loaders.points import load_balances_at, load_expiring_soon
from loaders.tiers import load_benefits_by_member_and_tier_id, load_tier_progress_by_member_id


class Loaders:
    """Named `<entity>_by_<key>`; rows are ORM objects, the schema layer shapes them."""

    __slots__ = (
        "balance_at_by_member_and_moment",
        "benefits_by_member_and_tier_id",
        "benefits_by_tier_id",
        "consents_by_member_id",
        "expiring_soon_by_member_and_days",
        "important_date_by_id",
        "important_dates_by_member_id",
        "ledger_entry_by_id",
        "lot_by_id",
        "lot_consumptions_by_entry_id",
        "lots_by_entry_id",
        "member_by_id",
        "preference_by_id",
        "preferences_by_member_id",
        "purchase_by_id",
        "staff_by_id",
        "tier_by_id",
        "tier_changes_by_member_id",
        "tier_progress_by_member_id",
    )

    def __init__(self) -> None:
        self.member_by_id = DataLoader(partial(load_by_id, models.Member))
        self.staff_by_id = DataLoader(partial(load_by_id, models.Staff))
        self.tier_by_id = DataLoader(partial(load_by_id, models.Tier))
        self.preference_by_id = DataLoader(partial(load_by_id, models.MemberPreference))
        self.important_date_by_id = DataLoader(partial(load_by_id, models.ImportantDate))
        self.benefits_by_tier_id = DataLoader(partial(load_children, models.Benefit, "tier_id"))
        self.preferences_by_member_id = DataLoader(
            partial(load_children, models.MemberPreference, "member_id", order_by=("noted_at", "id"))
        )
        self.important_dates_by_member_id = DataLoader(
            partial(load_children, models.ImportantDate, "member_id", order_by=("date", "id"))
        )
        self.consents_by_member_id = DataLoader(
            partial(load_children, models.Consent, "member_id", order_by=("purpose",))
        )
        self.tier_changes_by_member_id = DataLoader(
            partial(load_children, models.TierChange, "member_id", order_by=("-created_at", "-id"))
        )
        self.tier_progress_by_member_id = DataLoader(load_tier_progress_by_member_id)
        self.benefits_by_member_and_tier_id = DataLoader(load_benefits_by_member_and_tier_id)
        # Points: what explains a balance. History itself is a paginated connection, not a loader.
        self.purchase_by_id = DataLoader(partial(load_by_id, models.Purchase))
        self.ledger_entry_by_id = DataLoader(partial(load_by_id, models.LedgerEntry))
        self.lot_by_id = DataLoader(partial(load_by_id, models.PointsLot))
        self.lots_by_entry_id = DataLoader(partial(load_children, models.PointsLot, "entry_id"))
        self.lot_consumptions_by_entry_id = DataLoader(partial(load_children, models.LotConsumption, "entry_id"))
        self.balance_at_by_member_and_moment = DataLoader(load_balances_at)
        self.expiring_soon_by_member_and_days = DataLoader(load_expiring_soon)
