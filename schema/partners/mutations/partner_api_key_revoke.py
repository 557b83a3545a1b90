"""partnerApiKeyRevoke: revoke a partner's API key; it is refused from the next request on (PARTNER_MANAGE)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import partners
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.partners.types import PartnerApiKey


@strawberry.enum
class PartnerApiKeyRevokeErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    ALREADY_REVOKED = "ALREADY_REVOKED"


PartnerApiKeyRevokeError = error_type("PartnerApiKeyRevoke", PartnerApiKeyRevokeErrorCode)


@strawberry.input
class PartnerApiKeyRevokeInput:
    api_key_id: relay.GlobalID


@strawberry.type
class PartnerApiKeyRevokePayload:
    api_key: PartnerApiKey | None = None
    errors: list[PartnerApiKeyRevokeError]  # type: ignore[valid-type]


async def partner_api_key_revoke(info: Info, input: PartnerApiKeyRevokeInput) -> PartnerApiKeyRevokePayload:
    async def action() -> dict:
        row = await partners.revoke_api_key(
            viewer=info.context.viewer, api_key_id=node_pk(input.api_key_id, "PartnerApiKey", field="apiKeyId")
        )
        return {"api_key": PartnerApiKey.from_row(row)}

    return await perform(info, PartnerApiKeyRevokePayload, PartnerApiKeyRevokeError, action())
