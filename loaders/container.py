"""The Loaders container, built fresh for every request so that nothing is cached across requests."""

from __future__ import annotations

from functools import partial

from strawberry.dataloader import DataLoader

from domain import models
from loaders.batch import load_by_id, load_children


class Loaders:
    """Named `<entity>_by_<key>`; rows are ORM objects, the schema layer shapes them."""

    __slots__ = (
        "benefits_by_tier_id",
        "consents_by_member_id",
        "important_date_by_id",
        "important_dates_by_member_id",
        "member_by_id",
        "preference_by_id",
        "preferences_by_member_id",
        "staff_by_id",
        "tier_by_id",
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
