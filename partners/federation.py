"""The federated catalog: every active partner's items, fetched concurrently, each within a deadline.

A partner with an endpoint is asked `GET /catalog`; a push-only partner's catalog is what it last
pushed (`partnerCatalogPush`). A partner that does not answer in time is left out and named in a
`PartnerFailure`, so that the catalog still comes with every other partner's items.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from domain import catalog, models
from domain.catalog import CatalogItem
from domain.models import PartnerStatus
from partners.client import CATALOG_DEADLINE, Endpoint, PartnerClient, PartnerRefusal, PartnerUnavailable

logger = logging.getLogger("clubgraph.partners")


@dataclass(frozen=True, slots=True)
class PartnerFailure:
    partner_id: int
    partner_name: str
    reason: str


class CatalogFederation:
    """One per process: it owns the pooled client every call to a partner goes through."""

    def __init__(self, client: PartnerClient | None = None, *, deadline: float = CATALOG_DEADLINE) -> None:
        self.client = client or PartnerClient()
        self.deadline = deadline

    async def _items_of(self, partner: models.Partner) -> list[CatalogItem]:
        if not partner.base_url:
            rows = await models.PartnerCatalogItem.filter(partner_id=partner.id).order_by("id")
            return [catalog.from_pushed(row) for row in rows]
        try:
            raw = await self.client.catalog(Endpoint.of(partner), deadline=self.deadline)
        except PartnerRefusal as refusal:
            raise PartnerUnavailable(partner.name, f"refused the catalog request ({refusal.code})") from None
        items = []
        for entry in raw[: catalog.MAX_PARTNER_ITEMS]:
            try:
                items.append(catalog.from_protocol(partner.id, entry))
            except ValueError as exc:
                logger.warning("partner %s: catalog item skipped: %s", partner.name, exc)
        return items

    async def partner_items(
        self, partners: list[models.Partner] | None = None
    ) -> tuple[list[CatalogItem], list[PartnerFailure]]:
        """Every item of the given (default: every active) partner, and the partners that failed."""
        if partners is None:
            partners = await models.Partner.filter(status=PartnerStatus.ACTIVE).order_by("id")
        results = await asyncio.gather(*(self._items_of(partner) for partner in partners), return_exceptions=True)
        items: list[CatalogItem] = []
        failures: list[PartnerFailure] = []
        for partner, result in zip(partners, results, strict=True):
            if isinstance(result, PartnerUnavailable):
                failures.append(PartnerFailure(partner.id, partner.name, result.reason))
            elif isinstance(result, BaseException):
                raise result
            else:
                items.extend(result)
        return items, failures

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None:
        """One item of a partner's catalog, None when the partner has no such item.

        Raises PartnerUnavailable when the partner's catalog cannot be read.
        """
        for candidate in await self._items_of(partner):
            if candidate.item_id == item_id:
                return candidate
        return None
