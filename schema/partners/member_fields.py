"""The Member field about partners: the reference a member shows at a partner's counter.

Member declares it, the logic stays here. Only the member themself sees it: a reference is theirs to
hand to the partner, and staff have no use for it.
"""

from __future__ import annotations

from typing import Any

from strawberry import relay

from domain import references
from domain.models import PartnerStatus
from schema.base import Info, node_pk_or_none


async def partner_reference(root: Any, info: Info, partner_id: relay.GlobalID) -> str | None:
    if not info.context.viewer.is_member_self(root.id):
        return None
    pk = node_pk_or_none(partner_id, "Partner")
    partner = await info.context.loaders.partner_by_id.load(pk) if pk is not None else None
    if partner is None or partner.status != PartnerStatus.ACTIVE:
        return None
    # Made on first use, outside any transaction: the member shows it before the partner ever needs it.
    return await references.reference_for(partner_id=partner.id, member_id=root.id)
