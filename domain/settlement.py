"""Settlement: what the club owes a partner for a period, straight from the ledger.

Points redeemed = the points of the REDEEM entries of the partner's redemptions written in the
period, minus the REVERSE entries that gave any of them back in the period (a refund lowers the
period it happens in, so that the statement of a closed period never changes afterwards). Every
redemption that captured points counts, whatever its status today. Amount owed = points redeemed
x the partner's point value, in its currency, exact (4 decimal places). Vouchers consumed are
those the partner took at its counter in the period. Periods are [from, to) in UTC.

One SQL statement of aggregates: the figures come from the database, not from rows read into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain import models
from domain.db import fetch_dicts
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.models import EntryKind, VoucherStatus
from domain.policy import Permission, require_permission
from domain.validation import clean_range
from domain.viewer import Viewer

_CENTS_OF_CENTS = Decimal("0.0001")  # the point value's own precision: the product is exact


@dataclass(frozen=True, slots=True)
class Statement:
    partner: models.Partner
    since: datetime
    until: datetime
    points_redeemed: int  # net of reversals
    points_reversed: int  # given back in the period, already deducted from points_redeemed
    redemptions: int  # redemptions whose points were taken in the period
    vouchers_consumed: int
    amount_owed: Decimal


_FIGURES = f"""
SELECT
  (SELECT COALESCE(SUM(e.amount), 0) FROM redemption r JOIN ledger_entry e ON e.id = r.redeem_entry_id
   WHERE r.partner_id = $1 AND e.created_at >= $2 AND e.created_at < $3) AS redeemed,
  (SELECT COUNT(*) FROM redemption r JOIN ledger_entry e ON e.id = r.redeem_entry_id
   WHERE r.partner_id = $1 AND e.created_at >= $2 AND e.created_at < $3) AS redemptions,
  (SELECT COALESCE(SUM(v.amount), 0) FROM redemption r JOIN ledger_entry v ON v.reverses_id = r.redeem_entry_id
   WHERE r.partner_id = $1 AND v.kind = '{EntryKind.REVERSE.value}'
     AND v.created_at >= $2 AND v.created_at < $3) AS reversed,
  (SELECT COUNT(*) FROM voucher c
   WHERE c.partner_id = $1 AND c.status = '{VoucherStatus.CONSUMED.value}'
     AND c.consumed_at >= $2 AND c.consumed_at < $3) AS consumed
"""


def _partner_id_for(viewer: Viewer, partner_id: int | None) -> int:
    """A partner gets its own statement only; partner managers name the partner."""
    if viewer.is_partner:
        if partner_id is not None:
            raise PermissionDenied("A partner sees only its own statement: leave out partnerId")
        assert viewer.id is not None
        return viewer.id
    if viewer.is_anonymous:
        raise NotAuthenticated()
    require_permission(viewer, Permission.PARTNER_MANAGE)
    if partner_id is None:
        raise DomainError("REQUIRED", "Name the partner: partnerId", field="partnerId")
    return partner_id


async def settlement_statement(
    *, viewer: Viewer, since: datetime, until: datetime, partner_id: int | None = None
) -> Statement:
    """The partner's statement for [since, until); NOT_FOUND for a partner that does not exist."""
    partner_id = _partner_id_for(viewer, partner_id)
    since, until = clean_range(since, until)
    partner = await models.Partner.get_or_none(id=partner_id)
    if partner is None:
        raise NotFound("Partner", field="partnerId")
    [row] = await fetch_dicts(_FIGURES, [partner_id, since, until])
    reversed_ = int(row["reversed"])
    redeemed = -int(row["redeemed"]) - reversed_
    return Statement(
        partner=partner,
        since=since,
        until=until,
        points_redeemed=redeemed,
        points_reversed=reversed_,
        redemptions=int(row["redemptions"]),
        vouchers_consumed=int(row["consumed"]),
        amount_owed=(Decimal(redeemed) * Decimal(partner.point_value)).quantize(_CENTS_OF_CENTS),
    )
