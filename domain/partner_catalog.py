"""A partner's pushed catalog: the whole catalog, sent through the API instead of served at GET /catalog.

A push replaces everything the partner pushed before, in one transaction: readers see the old
catalog or the new one, never a mix. Items whose id was pushed before keep their row (updated in
place, stock included: the partner's figure is the truth); the others are added or deleted.

Items follow the protocol's catalog items exactly (docs/partner-protocol.md 5.1, checked by
domain/catalog.from_protocol), at most 1,000, ids unique, tier names those of the club's tiers.
A push with any bad item changes nothing, and every problem found names `items.<n>.<field>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain import catalog, models
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.ledger import utcnow
from domain.viewer import Viewer

MAX_ITEMS = catalog.MAX_PARTNER_ITEMS
MAX_ERRORS = 50  # reported per push: enough to fix a feed, short enough to read
BATCH = 500  # rows per INSERT or UPDATE statement
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


async def push_catalog(*, viewer: Viewer, items: Sequence[dict[str, Any]], now: datetime | None = None) -> PushSummary:
    """Replace the calling partner's pushed catalog with `items` (protocol field names)."""
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
    async with in_transaction():
        # The partner's row, locked first: two pushes of one partner queue up instead of colliding.
        await models.Partner.filter(id=partner_id).update(daily_award_cap=F("daily_award_cap"))
        rows = {row.item_id: row for row in await models.PartnerCatalogItem.filter(partner_id=partner_id)}
        kept, added = [], []
        for item in checked:
            row = rows.get(item.item_id) or models.PartnerCatalogItem(partner_id=partner_id, item_id=item.item_id)
            row.update_from_dict({name: getattr(item, name) for name in _ITEM_FIELDS} | {"pushed_at": now})
            (kept if item.item_id in rows else added).append(row)
        pushed_ids = {item.item_id for item in checked}
        removed = [row.id for item_id, row in rows.items() if item_id not in pushed_ids]
        if removed:
            await models.PartnerCatalogItem.filter(id__in=removed).delete()
        if kept:
            await models.PartnerCatalogItem.bulk_update(kept, fields=[*_ITEM_FIELDS, "pushed_at"], batch_size=BATCH)
        if added:
            await models.PartnerCatalogItem.bulk_create(added, batch_size=BATCH)
    return PushSummary(item_count=len(checked), added=len(added), removed=len(removed), pushed_at=now)
