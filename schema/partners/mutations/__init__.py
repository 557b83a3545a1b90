"""Partner registry and partner API mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.partners.mutations.partner_api_key_create import partner_api_key_create
from schema.partners.mutations.partner_api_key_revoke import partner_api_key_revoke
from schema.partners.mutations.partner_catalog_push import partner_catalog_push
from schema.partners.mutations.partner_create import partner_create
from schema.partners.mutations.partner_points_award import partner_points_award
from schema.partners.mutations.partner_update import partner_update
from schema.partners.mutations.voucher_consume import voucher_consume


@strawberry.type
class PartnerMutation:
    partner_create = strawberry.mutation(
        resolver=partner_create,
        description="Register a partner merchant; its signing secret is shown once (partner managers).",
    )
    partner_update = strawberry.mutation(
        resolver=partner_update,
        description="Change a partner's name, endpoint, settlement terms, status or signature rule (partner managers).",
    )
    partner_api_key_create = strawberry.mutation(
        resolver=partner_api_key_create,
        description="A new API key for a partner, shown once; at most two live keys, for rotation (partner managers).",
    )
    partner_api_key_revoke = strawberry.mutation(
        resolver=partner_api_key_revoke, description="Revoke a partner's API key at once (partner managers)."
    )
    # The partner API: what a partner's API key calls (schema/partners/guard.py PARTNER_FIELDS).
    voucher_consume = strawberry.mutation(
        resolver=voucher_consume,
        description="Take a voucher at the counter, at most once: a partner's key its own vouchers, "
        "staff who take vouchers the club's own.",
    )
    partner_points_award = strawberry.mutation(
        resolver=partner_points_award,
        description="Award a member points for a purchase at your shop, once per purchase reference, "
        "within your daily cap per member (partner API key).",
    )
    partner_catalog_push = strawberry.mutation(
        resolver=partner_catalog_push,
        description="Replace your pushed catalog, all items at once or none (partner API key).",
    )
