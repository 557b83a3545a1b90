"""Partner registry mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.partners.mutations.partner_api_key_create import partner_api_key_create
from schema.partners.mutations.partner_api_key_revoke import partner_api_key_revoke
from schema.partners.mutations.partner_create import partner_create
from schema.partners.mutations.partner_update import partner_update


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
