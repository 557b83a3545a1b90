"""Settlement histories made the way production makes them, and their figures read from the ledger alone.

Redemptions go through `partners.redemption.redeem`: items of push-only partners are issued by the
club in one transaction, items of partners with an endpoint through the saga against a real
reference partner. The expected figures never look at `redemption.redeem_entry_id` (the join the
statement's SQL uses): they take the ledger's REDEEM entries of source REDEMPTION whose `reference`
is a redemption's reference (the protocol's redemptionId the saga writes on every entry), group
them by that redemption's partner, and take off the REVERSE entries that give one of them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from domain import ledger, models
from domain.models import EntryKind, EntrySource
from domain.viewer import member_viewer
from partners import redemption
from partners.client import PartnerClient
from partners.federation import CatalogFederation


@dataclass(frozen=True)
class Figures:
    points_redeemed: int  # net of the reversals in the period
    points_reversed: int
    redemptions: int


async def ledger_figures(partner: models.Partner, since: datetime, until: datetime) -> Figures:
    """The partner's figures for [since, until) from ledger entries, grouped by partner through their reference."""
    partner_of = dict(await models.Redemption.all().values_list("reference", "partner_id"))
    entries = await models.LedgerEntry.filter(source=EntrySource.REDEMPTION, kind__in=[EntryKind.REDEEM, EntryKind.REVERSE])
    redeems = {
        entry.id: entry
        for entry in entries
        if entry.kind == EntryKind.REDEEM and entry.reference is not None and partner_of.get(entry.reference) == partner.id
    }
    in_period = [entry for entry in entries if since <= entry.created_at < until]
    redeemed = [entry for entry in in_period if entry.id in redeems]
    reversals = [entry for entry in in_period if entry.kind == EntryKind.REVERSE and entry.reverses_id in redeems]
    assert all(entry.reference == redeems[entry.reverses_id].reference for entry in reversals)
    points_reversed = sum(entry.amount for entry in reversals)
    return Figures(
        points_redeemed=-sum(entry.amount for entry in redeemed) - points_reversed,
        points_reversed=points_reversed,
        redemptions=len(redeemed),
    )


def owed(figures: Figures, partner: models.Partner) -> str:
    """The amount owed as the API writes it: points x the point value, 4 decimal places."""
    return str((Decimal(figures.points_redeemed) * Decimal(partner.point_value)).quantize(Decimal("0.0001")))


class Redeemer:
    """Redeems for members at given moments, through the real `redeem`; one partner client for the saga."""

    def __init__(self) -> None:
        self.client = PartnerClient()
        self.items = CatalogFederation(self.client)
        self._serial = 0

    async def __aenter__(self) -> Redeemer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def redeem(self, member: models.Member, reward_key: str, *, at: datetime, quantity: int = 1) -> models.Redemption:
        self._serial += 1
        return await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=reward_key, quantity=quantity,
            idempotency_key=f"settlement-{self._serial}", items=self.items, client=self.client, now=at,
        )


async def refund(done: models.Redemption, *, at: datetime) -> models.LedgerEntry:
    """Give a completed redemption's points back at `at`: a REVERSE of its REDEEM entry, found by reference."""
    entry = await models.LedgerEntry.get(reference=done.reference, kind=EntryKind.REDEEM)
    return await ledger.refund(entry_id=entry.id, reason="Cancelled", now=at)


async def push_only_item(partner: models.Partner, item_id: str, points_price: int) -> str:
    """An unlimited item of a push-only partner; returns its reward key."""
    await models.PartnerCatalogItem.create(
        partner_id=partner.id, item_id=item_id, title=item_id.replace("-", " ").capitalize(), points_price=points_price,
        stock=None, category="flowers", validity_days=365, pushed_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    return f"partner:{partner.id}:{item_id}"
