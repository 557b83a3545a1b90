"""Pseudonymous member references: how one partner knows one member, and nothing more.

A reference is random (`mbr_` and 20 hexadecimal digits), made the first time a partner needs it
and kept: stable for one member and one partner, different for every partner, meaningless
elsewhere. The member shows it at the partner's counter (e.g. as a QR code) to collect points, and
the club sends it with each redemption. Nothing about the member can be derived from it.
"""

from __future__ import annotations

import secrets

from tortoise.exceptions import IntegrityError

from domain import models

PREFIX = "mbr_"


def _new_reference() -> str:
    return PREFIX + secrets.token_hex(10)


async def reference_for(*, partner_id: int, member_id: int) -> str:
    """The member's reference for this partner, made on first use (safe under concurrent first uses)."""
    row = await models.PartnerMemberReference.get_or_none(partner_id=partner_id, member_id=member_id)
    if row is None:
        try:
            row = await models.PartnerMemberReference.create(
                partner_id=partner_id, member_id=member_id, reference=_new_reference()
            )
        except IntegrityError:
            row = await models.PartnerMemberReference.get(partner_id=partner_id, member_id=member_id)
    return row.reference


async def member_id_for(*, partner_id: int, reference: str) -> int | None:
    """The member this partner's reference stands for; None for a reference of another partner or none."""
    row = await models.PartnerMemberReference.get_or_none(partner_id=partner_id, reference=reference.strip())
    return row.member_id if row else None
