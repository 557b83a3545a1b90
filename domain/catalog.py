"""One catalog of rewards: the club's own and the partners' items, in one shape.

An item's key says where it comes from: `club:<reward id>` for the club's own rewards,
`partner:<partner id>:<item id>` for a partner's. The key is what the GraphQL `Reward` id wraps, so a
reward id stays valid across catalog refreshes for as long as the partner keeps its item id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain import models
from domain.models import RewardDelivery

_ITEM_ID = re.compile(r"^[^\x00-\x1f]{1,100}$")
MAX_PARTNER_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class CatalogItem:
    key: str
    partner_id: int | None  # None for the club's own rewards
    item_id: str
    title: str
    description: str
    points_price: int
    stock: int | None  # None: unlimited
    tier_restriction: str | None  # the lowest tier's name, None: every tier
    category: str
    image_url: str | None
    validity_days: int
    delivery: RewardDelivery

    @property
    def is_club_reward(self) -> bool:
        return self.partner_id is None


@dataclass(frozen=True, slots=True)
class PartnerFailure:
    """A partner whose catalog could not be read, and why, in words fit for the member's app."""

    partner_id: int
    partner_name: str
    reason: str


class PartnerCatalogs(Protocol):
    """Where the partners' catalogs come from (partners/federation.py), as the domain needs it."""

    async def partner_items(
        self, partners: list[models.Partner] | None = None, *, now: datetime | None = None
    ) -> tuple[list[CatalogItem], list[PartnerFailure]]: ...

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None: ...


def club_key(reward_id: int) -> str:
    return f"club:{reward_id}"


def partner_key(partner_id: int, item_id: str) -> str:
    return f"partner:{partner_id}:{item_id}"


def parse_key(key: str) -> tuple[int | None, str] | None:
    """(None, reward id) for a club reward, (partner id, item id) for a partner's item, None if malformed."""
    kind, _, rest = key.partition(":")
    if kind == "club" and rest.isdigit():
        return None, rest
    if kind == "partner":
        partner_id, _, item_id = rest.partition(":")
        if partner_id.isdigit() and _ITEM_ID.match(item_id):
            return int(partner_id), item_id
    return None


def from_reward(reward: models.Reward, tier_name: str | None) -> CatalogItem:
    return CatalogItem(
        key=club_key(reward.id),
        partner_id=None,
        item_id=str(reward.id),
        title=reward.title,
        description=reward.description,
        points_price=reward.points_price,
        stock=reward.stock,
        tier_restriction=tier_name,
        category=reward.category,
        image_url=reward.image_url,
        validity_days=reward.validity_days,
        delivery=RewardDelivery(reward.delivery),
    )


def from_pushed(row: models.PartnerCatalogItem) -> CatalogItem:
    return CatalogItem(
        key=partner_key(row.partner_id, row.item_id),
        partner_id=row.partner_id,
        item_id=row.item_id,
        title=row.title,
        description=row.description,
        points_price=row.points_price,
        stock=row.stock,
        tier_restriction=row.tier_restriction,
        category=row.category,
        image_url=row.image_url,
        validity_days=row.validity_days,
        delivery=RewardDelivery(row.delivery),
    )


def from_protocol(partner_id: int, item: Any) -> CatalogItem:
    """An item of a partner's `GET /catalog` answer (docs/partner-protocol.md 5.1); ValueError names what is wrong."""
    if not isinstance(item, dict):
        raise ValueError("an item is not an object")

    def text(name: str, *, max_length: int, optional: bool = False) -> str | None:
        value = item.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise ValueError(f"{name} must be a text of 1 to {max_length} characters")
        return value

    def whole(name: str, *, minimum: int, optional: bool = False) -> int | None:
        value = item.get(name)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be a whole number of at least {minimum}")
        return value

    item_id = text("id", max_length=100)
    assert item_id is not None
    if not _ITEM_ID.match(item_id):
        raise ValueError("id must not contain control characters")
    try:
        delivery = RewardDelivery(item.get("delivery", "voucher"))
    except ValueError:
        raise ValueError("delivery must be voucher or fulfilment") from None
    return CatalogItem(
        key=partner_key(partner_id, item_id),
        partner_id=partner_id,
        item_id=item_id,
        title=text("title", max_length=200) or "",
        description=item.get("description") if isinstance(item.get("description"), str) else "",
        points_price=whole("pointsPrice", minimum=1) or 0,
        stock=whole("stock", minimum=0, optional=True),
        tier_restriction=text("tierRestriction", max_length=64, optional=True),
        category=text("category", max_length=64) or "",
        image_url=text("imageUrl", max_length=500, optional=True),
        validity_days=whole("validityDays", minimum=1) or 1,
        delivery=delivery,
    )
