"""A partner's pushed catalog: the whole catalog, sent through the API instead of served at GET /catalog.

A push replaces everything the partner pushed before, in one transaction: readers see the old
catalog or the new one, never a mix. Items whose id was pushed before keep their row (updated in
place); the others are added or deleted.

Stock: the club issues vouchers from the pushed stock by itself, so the partner's figure is already
out of date for whatever the club issued since the partner counted. Each push says when its figures
were counted (`stock_as_of`, the push time by default), and an item's stock becomes the pushed
stock minus the units of that item the club issued at or after that moment (completed redemptions
of the partner and item id), never below 0. A partner that counts issued units as they happen and
pushes the moment of its count can therefore not be oversold by a push.

Items follow the protocol's catalog items exactly (docs/partner-protocol.md 5.1, checked by
domain/catalog.from_protocol), at most 1,000, ids unique, tier names those of the club's tiers.
A push with any bad item changes nothing, and every problem found names `items.<n>.<field>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from domain import catalog, models
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.ledger import utcnow
from domain.models import RedemptionStatus
from domain.validation import as_utc
from domain.viewer import Viewer

MAX_ITEMS = catalog.MAX_PARTNER_ITEMS
MAX_ERRORS = 50  # reported per push: enough to fix a feed, short enough to read
BATCH = 500  # rows per INSERT or UPDATE statement
# How far ahead of the club's clock a partner's `stock_as_of` may be (clock skew); it then counts as now.
CLOCK_SKEW = timedelta(minutes=5)
# What a push sets on each item; the row of an item id kept from the previous push is updated in
# place, so that its id stays valid for a redemption in flight (partners/redemption.py takes stock by it).
_ITEM_FIELDS = (
    "title",
    "description",
    "points_price",
    "stock",
    "tier_restriction",
    "category",
    "image_url",
    "validity_days",
    "delivery",
)
_PROTOCOL_FIELDS = (
    "id",
    "title",
    "description",
    "pointsPrice",
    "stock",
    "tierRestriction",
    "category",
    "imageUrl",
    "validityDays",
    "delivery",
)


class CatalogRejected(Exception):
    """The push was refused: every problem found, each naming its item and field.

    Not a DomainError, which carries one problem: the schema maps each of these to a payload error.
    """

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__(f"{len(problems)} problems, the first at {problems[0].field}: {problems[0].message}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class PushSummary:
    item_count: int
    added: int  # item ids not in the previous push
    removed: int  # item ids of the previous push left out of this one
    pushed_at: datetime
    stock_as_of: datetime  # the moment the pushed stock figures were counted


def _field_of(message: str) -> str:
    """from_protocol's messages start with the field they are about (e.g. "pointsPrice must be...")."""
    first = message.split(" ", 1)[0]
    return first if first in _PROTOCOL_FIELDS else "id"


def _check(
    partner_id: int, items: Sequence[dict[str, Any]], tier_names: set[str]
) -> tuple[list[catalog.CatalogItem], list[DomainError]]:
    checked: list[catalog.CatalogItem] = []
    problems: list[DomainError] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        try:
            parsed = catalog.from_protocol(partner_id, item)
        except ValueError as error:
            message = str(error)
            problems.append(DomainError("INVALID", message, field=f"items.{n}.{_field_of(message)}"))
            continue
        if parsed.item_id in seen:
            problems.append(
                DomainError(
                    "DUPLICATE_ID",
                    f"Item id {parsed.item_id!r} is already used by items.{seen[parsed.item_id]}",
                    field=f"items.{n}.id",
                )
            )
        seen.setdefault(parsed.item_id, n)
        if parsed.tier_restriction is not None and parsed.tier_restriction not in tier_names:
            problems.append(
                DomainError(
                    "UNKNOWN_TIER",
                    f"No tier is named {parsed.tier_restriction!r}; the tiers are {', '.join(sorted(tier_names))}",
                    field=f"items.{n}.tierRestriction",
                )
            )
        checked.append(parsed)
    return checked, problems


def _clean_stock_as_of(stock_as_of: datetime | None, now: datetime) -> datetime:
    """The moment the stock figures were counted: the push time when not given; never after the push."""
    if stock_as_of is None:
        return now
    stock_as_of = as_utc(stock_as_of)
    if stock_as_of > now + CLOCK_SKEW:
        raise DomainError(
            "INVALID",
            f"stockAsOf is {stock_as_of.isoformat()}, later than now ({now.isoformat()}): "
            "give the moment your stock figures were counted",
            field="stockAsOf",
        )
    return min(stock_as_of, now)


async def _issued_since(partner_id: int, since: datetime) -> dict[str, int]:
    """Units of each item the club issued for the partner at or after `since`: completed redemptions
    by the moment they completed (indexed by partner), in one grouped query."""
    rows = (
        await models.Redemption.filter(partner_id=partner_id, status=RedemptionStatus.COMPLETED, settled_at__gte=since)
        .annotate(units=Sum("quantity"))
        .group_by("item_id")
        .values_list("item_id", "units")
    )
    return {item_id: int(units or 0) for item_id, units in rows}


async def push_catalog(
    *,
    viewer: Viewer,
    items: Sequence[dict[str, Any]],
    stock_as_of: datetime | None = None,
    now: datetime | None = None,
) -> PushSummary:
    """Replace the calling partner's pushed catalog with `items` (protocol field names), their stock
    counted at `stock_as_of` (default: now) less what the club issued since."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not viewer.is_partner:
        raise PermissionDenied()  # the partner API: for partner keys only
    assert viewer.id is not None
    partner_id = viewer.id
    if len(items) > MAX_ITEMS:
        raise DomainError("TOO_MANY", f"Push at most {MAX_ITEMS:,} items at once, not {len(items):,}", field="items")
    tier_names = set(await models.Tier.all().values_list("name", flat=True))
    checked, problems = _check(partner_id, items, tier_names)
    if problems:
        raise CatalogRejected(problems[:MAX_ERRORS])
    now = now or utcnow()
    stock_as_of = _clean_stock_as_of(stock_as_of, now)
    async with in_transaction():
        # The partner's row, locked first: two pushes of one partner queue up instead of colliding.
        await models.Partner.filter(id=partner_id).update(daily_award_cap=F("daily_award_cap"))
        # The item rows locked before counting what was issued: an issue in flight takes stock under
        # the row's lock, so it is either counted below or waits and takes it from the new figure.
        locked = await models.PartnerCatalogItem.filter(partner_id=partner_id).select_for_update()
        rows = {row.item_id: row for row in locked}
        issued = await _issued_since(partner_id, stock_as_of)
        kept, added = [], []
        for item in checked:
            row = rows.get(item.item_id) or models.PartnerCatalogItem(partner_id=partner_id, item_id=item.item_id)
            values = {name: getattr(item, name) for name in _ITEM_FIELDS} | {"pushed_at": now}
            if item.stock is not None:
                values["stock"] = max(0, item.stock - issued.get(item.item_id, 0))
            row.update_from_dict(values)
            (kept if item.item_id in rows else added).append(row)
        pushed_ids = {item.item_id for item in checked}
        removed = [row.id for item_id, row in rows.items() if item_id not in pushed_ids]
        if removed:
            await models.PartnerCatalogItem.filter(id__in=removed).delete()
        if kept:
            await models.PartnerCatalogItem.bulk_update(kept, fields=[*_ITEM_FIELDS, "pushed_at"], batch_size=BATCH)
        if added:
            await models.PartnerCatalogItem.bulk_create(added, batch_size=BATCH)
    return PushSummary(
        item_count=len(checked), added=len(added), removed=len(removed), pushed_at=now, stock_as_of=stock_as_of
    )
