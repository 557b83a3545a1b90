"""The rewards catalog: the club's own rewards (managed here) merged with every active partner's items.

One order for the merged catalog: points price ascending, then the item's key, where the club's own
rewards (by id) come before partners' items (by partner id, then item id) at the same price. Pages
are keyset pages over that order: the club's rewards of a page are read with a LIMIT from the
database, the partners' items come from the federation (cached), are filtered, sorted and cut in
memory (a partner's catalog has at most 1,000 items).

Eligibility (`eligibleForMe`) is for members: an item is open to them when it has stock left (or
unlimited stock) and its tier restriction, resolved through the club's tier ladder by name
(case-insensitively), is at or below the member's tier. An item restricted to a tier name the ladder
does not know is open to nobody: the partner would refuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import catalog, models
from domain.catalog import CatalogItem, PartnerCatalogs, PartnerFailure
from domain.errors import DomainError, NotAuthenticated, NotFound
from domain.models import PartnerStatus, RewardDelivery
from domain.policy import Permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer

MAX_POINTS_PRICE = 10_000_000
MAX_STOCK = 1_000_000
MIN_VALIDITY_DAYS = 1
MAX_VALIDITY_DAYS = 3650
_URL = re.compile(r"^https://[^\s/?#]+\.[^\s/?#]+(/[^\s]*)?$")

# (points price, 0 for the club's own or 1 for a partner's, reward id or partner id, item id)
SortKey = tuple[int, int, int, str]

_FIELDS = (
    "title",
    "description",
    "points_price",
    "stock",
    "tier_id",
    "category",
    "image_url",
    "validity_days",
    "delivery",
    "active",
)
_CAMEL = {"points_price": "pointsPrice", "tier_id": "tierId", "image_url": "imageUrl", "validity_days": "validityDays"}


# --- the club's own rewards ----------------------------------------------------------------------


async def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Checks every value of a reward as it will be; raises the first problem, naming its input field."""
    values["title"] = clean_text(values["title"], field="title", max_length=200)
    values["description"] = clean_text(values["description"], field="description", max_length=5000, required=False)
    values["category"] = clean_text(values["category"], field="category", max_length=64)
    if not 1 <= values["points_price"] <= MAX_POINTS_PRICE:
        raise DomainError(
            "INVALID", f"The price must be between 1 and {MAX_POINTS_PRICE:,} points", field="pointsPrice"
        )
    if values["stock"] is not None and not 0 <= values["stock"] <= MAX_STOCK:
        raise DomainError(
            "INVALID", f"The stock must be between 0 and {MAX_STOCK:,}, or null for unlimited", field="stock"
        )
    if not MIN_VALIDITY_DAYS <= values["validity_days"] <= MAX_VALIDITY_DAYS:
        raise DomainError(
            "INVALID",
            f"A voucher must be valid for {MIN_VALIDITY_DAYS} to {MAX_VALIDITY_DAYS:,} days",
            field="validityDays",
        )
    image_url = values["image_url"]
    if image_url is not None:
        image_url = image_url.strip() or None
    if image_url is not None and (len(image_url) > 500 or not _URL.match(image_url)):
        raise DomainError(
            "INVALID", "The image must be an https:// URL of at most 500 characters, or null", field="imageUrl"
        )
    values["image_url"] = image_url
    values["delivery"] = RewardDelivery(values["delivery"])
    if values["tier_id"] is not None and not await models.Tier.exists(id=values["tier_id"]):
        raise NotFound("Tier", field="tierId")
    return values


async def create_reward(
    *,
    viewer: Viewer,
    title: str,
    points_price: int,
    category: str,
    description: str = "",
    stock: int | None = None,
    tier_id: int | None = None,
    image_url: str | None = None,
    validity_days: int = 90,
    delivery: RewardDelivery = RewardDelivery.VOUCHER,
    active: bool = True,
) -> models.Reward:
    """A new reward of the club's own (REWARD_MANAGE): `stock` None is unlimited, `tier_id` the lowest tier allowed."""
    require_permission(viewer, Permission.REWARD_MANAGE)
    values = await _clean(
        {
            "title": title,
            "description": description,
            "points_price": points_price,
            "stock": stock,
            "tier_id": tier_id,
            "category": category,
            "image_url": image_url,
            "validity_days": validity_days,
            "delivery": delivery,
            "active": active,
        }
    )
    return await models.Reward.create(**values)


async def update_reward(*, viewer: Viewer, reward_id: int, changes: dict[str, Any]) -> models.Reward:
    """Change the given fields of a reward (REWARD_MANAGE); None clears stock (unlimited), tier_id and image_url.

    The row is locked while it changes, so that a concurrent redemption's stock decrement is not lost.
    """
    require_permission(viewer, Permission.REWARD_MANAGE)
    assert set(changes) <= set(_FIELDS), set(changes) - set(_FIELDS)
    for name in ("title", "description", "points_price", "category", "validity_days", "delivery", "active"):
        if name in changes and changes[name] is None:
            raise DomainError("REQUIRED", "This value cannot be cleared", field=_CAMEL.get(name, name))
    async with in_transaction():
        reward = await models.Reward.filter(id=reward_id).select_for_update().first()
        if reward is None:
            raise NotFound("Reward", field="rewardId")
        values = await _clean({**{name: getattr(reward, name) for name in _FIELDS}, **changes})
        reward.update_from_dict(values)
        await reward.save()
    return reward


# --- who may redeem what ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ladder:
    """The club's tiers, to name a club reward's tier and to rank a partner item's tier name."""

    names: dict[int, str]  # tier id -> name
    ranks: dict[str, int]  # casefolded name -> rank
    rank_of_id: dict[int, int]  # tier id -> rank

    def name_of(self, tier_id: int | None) -> str | None:
        return self.names.get(tier_id) if tier_id is not None else None

    def rank_of_name(self, tier_name: str) -> int | None:
        """The rank a tier restriction names (compared casefolded, as given); None for no such tier."""
        return self.ranks.get(tier_name.casefold())


async def ladder() -> Ladder:
    """The ladder as it is now: one query."""
    tiers = await models.Tier.all()
    return Ladder(
        names={tier.id: tier.name for tier in tiers},
        ranks={tier.name.casefold(): tier.rank for tier in tiers},
        rank_of_id={tier.id: tier.rank for tier in tiers},
    )


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A member's view of the catalog: their tier's rank (None without a tier) on the club's ladder."""

    rank: int | None
    ladder: Ladder

    def allows(self, item: CatalogItem) -> bool:
        if item.stock == 0:
            return False
        if item.tier_restriction is None:
            return True
        needed = self.ladder.rank_of_name(item.tier_restriction)
        return needed is not None and self.rank is not None and needed <= self.rank

    def allowed_tier_ids(self) -> list[int]:
        return [tier_id for tier_id, rank in self.ladder.rank_of_id.items() if self.rank is not None and rank <= self.rank]


async def load_ladders(keys: list[Any]) -> list[Ladder]:
    """A DataLoader's batch function: the ladder once per request, whatever the key."""
    tiers = await ladder()
    return [tiers for _ in keys]


async def eligibility_of(viewer: Viewer, tiers: Ladder, *, member_tier_id: int | None = None) -> Eligibility | None:
    """The calling member's eligibility; None for anyone who is not a member (they have no tier).

    `member_tier_id`: the member's tier when the caller already has their row; read otherwise.
    """
    if not viewer.is_member or viewer.id is None:
        return None
    if member_tier_id is None:
        member_tier_id = await models.Member.filter(id=viewer.id).first().values_list("tier_id", flat=True)
    return Eligibility(rank=tiers.rank_of_id.get(member_tier_id) if member_tier_id is not None else None, ladder=tiers)


# --- the merged catalog ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RewardFilter:
    partner_id: int | None = None  # only this partner's items
    club_only: bool = False  # only the club's own rewards: no partner is called
    category: str | None = None  # exact, case-insensitive
    max_points: int | None = None  # points price at most this
    eligible_for_me: bool = False  # members only


def sort_key(item: CatalogItem) -> SortKey:
    if item.partner_id is None:
        return (item.points_price, 0, int(item.item_id), "")
    return (item.points_price, 1, item.partner_id, item.item_id)


def sort_key_of(points_price: int, key: str) -> SortKey | None:
    """The position of a cursor: the item's price and key; None when the key is malformed."""
    parsed = catalog.parse_key(key)
    if parsed is None:
        return None
    partner_id, item_id = parsed
    if partner_id is None:
        return (points_price, 0, int(item_id), "")
    return (points_price, 1, partner_id, item_id)


@dataclass(slots=True)
class CatalogPage:
    """Up to `first` + 1 items after the cursor (one more tells there is a next page), and the partners missing."""

    items: list[CatalogItem]
    failures: list[PartnerFailure]
    eligibility: Eligibility | None
    club_query: QuerySet[models.Reward] | None = None  # every matching club reward, for a total count
    partner_matches: int = 0
    partner_names: dict[int, str] = field(default_factory=dict)
    _total: int | None = field(default=None, repr=False)

    async def total_count(self) -> int:
        if self._total is None:
            self._total = self.partner_matches + (await self.club_query.count() if self.club_query is not None else 0)
        return self._total


def _check(filter: RewardFilter, viewer: Viewer) -> None:
    if filter.club_only and filter.partner_id is not None:
        raise DomainError("INVALID", "Give either `partnerId` or `clubOnly`, not both", field="filter")
    if filter.max_points is not None and filter.max_points < 0:
        raise DomainError("INVALID", "`maxPoints` must be 0 or more", field="maxPoints")
    if filter.eligible_for_me:
        if viewer.is_anonymous:
            raise NotAuthenticated("Sign in to see the rewards you may redeem")
        if not viewer.is_member:
            raise DomainError("INVALID", "`eligibleForMe` is for members: staff see every reward", field="eligibleForMe")


def _club_query(filter: RewardFilter, eligibility: Eligibility | None) -> QuerySet[models.Reward]:
    query = models.Reward.filter(active=True)
    if filter.category is not None:
        query = query.filter(category__iexact=filter.category.strip())
    if filter.max_points is not None:
        query = query.filter(points_price__lte=filter.max_points)
    if filter.eligible_for_me and eligibility is not None:
        query = query.filter(
            Q(tier_id__isnull=True) | Q(tier_id__in=eligibility.allowed_tier_ids() or [0]),
            Q(stock__isnull=True) | Q(stock__gt=0),
        )
    return query


def _after(query: QuerySet[models.Reward], after: SortKey | None) -> QuerySet[models.Reward]:
    if after is None:
        return query
    price, kind, number, _ = after
    if kind == 1:  # after a partner's item: club rewards at that price came before it
        return query.filter(points_price__gt=price)
    return query.filter(Q(points_price__gt=price) | Q(points_price=price, id__gt=number))


def _matches(item: CatalogItem, filter: RewardFilter, eligibility: Eligibility | None) -> bool:
    if filter.category is not None and item.category.casefold() != filter.category.strip().casefold():
        return False
    if filter.max_points is not None and item.points_price > filter.max_points:
        return False
    return not (filter.eligible_for_me and (eligibility is None or not eligibility.allows(item)))


async def catalog_page(
    *,
    viewer: Viewer,
    federation: PartnerCatalogs,
    filter: RewardFilter,
    first: int,
    after: SortKey | None = None,
    tiers: Ladder | None = None,
    eligibility: Eligibility | None = None,
    now: datetime | None = None,
) -> CatalogPage:
    """The page of the merged catalog after `after`, and the partners whose items are missing from it.

    Partners are asked only when the filter may include them: never with `club_only`, only the one
    with `partner_id`. `tiers` and `eligibility` are read unless given (the schema has them from its loaders).
    """
    _check(filter, viewer)
    if tiers is None:
        tiers = await ladder()
        eligibility = await eligibility_of(viewer, tiers)
    if filter.eligible_for_me and eligibility is None:
        raise DomainError("INVALID", "`eligibleForMe` is for members", field="eligibleForMe")
    items: list[CatalogItem] = []
    failures: list[PartnerFailure] = []
    club_query = None
    if filter.partner_id is None:
        club_query = _club_query(filter, eligibility)
        rows = await _after(club_query, after).order_by("points_price", "id").limit(first + 1)
        items = [catalog.from_reward(row, tiers.name_of(row.tier_id)) for row in rows]
    partner_matches = 0
    partner_names: dict[int, str] = {}
    if not filter.club_only:
        partners_query = models.Partner.filter(status=PartnerStatus.ACTIVE)
        if filter.partner_id is not None:
            partners_query = partners_query.filter(id=filter.partner_id)
        partners = await partners_query.order_by("id")
        partner_names = {partner.id: partner.name for partner in partners}
        partner_items, failures = await federation.partner_items(partners, now=now)
        matching = [item for item in partner_items if _matches(item, filter, eligibility)]
        partner_matches = len(matching)
        items.extend(item for item in matching if after is None or sort_key(item) > after)
    items.sort(key=sort_key)
    return CatalogPage(
        items=items[: first + 1],
        failures=failures,
        eligibility=eligibility,
        club_query=club_query,
        partner_matches=partner_matches,
        partner_names=partner_names,
    )
