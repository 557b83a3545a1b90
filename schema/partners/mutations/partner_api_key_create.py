"""partnerApiKeyCreate: a new API key for a partner (PARTNER_MANAGE); the key is shown this once."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import partners
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.partners.types import PartnerApiKey


@strawberry.enum
class PartnerApiKeyCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    TOO_MANY_KEYS = "TOO_MANY_KEYS"


PartnerApiKeyCreateError = error_type("PartnerApiKeyCreate", PartnerApiKeyCreateErrorCode)


@strawberry.input
class PartnerApiKeyCreateInput:
    partner_id: relay.GlobalID
    label: str = strawberry.field(description="What the key is for, e.g. 'POS 2026'; at most 200 characters")


@strawberry.type
class PartnerApiKeyCreatePayload:
    api_key: PartnerApiKey | None = None
    key: str | None = strawberry.field(
        default=None,
        description="The key, `<prefix>.<secret>`, sent as `Authorization: ApiKey <key>`: shown this once, "
        "only its hash is kept",
    )
    errors: list[PartnerApiKeyCreateError]  # type: ignore[valid-type]


async def partner_api_key_create(info: Info, input: PartnerApiKeyCreateInput) -> PartnerApiKeyCreatePayload:
    async def action() -> dict:
        row, key = await partners.create_api_key(
            viewer=info.context.viewer,
            partner_id=node_pk(input.partner_id, "Partner", field="partnerId"),
            label=input.label,
        )
        return {"api_key": PartnerApiKey.from_row(row), "key": key}

    return await perform(info, PartnerApiKeyCreatePayload, PartnerApiKeyCreateError, action())
