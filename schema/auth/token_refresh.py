"""tokenRefresh: exchange a refresh token for a new access token and a new refresh token."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain import sessions
from schema.auth.login import tokens_of
from schema.auth.types import Viewer
from schema.base import Info
from schema.errors import error_type, perform


@strawberry.enum
class TokenRefreshErrorCode(Enum):
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


TokenRefreshError = error_type("TokenRefresh", TokenRefreshErrorCode)


@strawberry.input
class TokenRefreshInput:
    refresh_token: str


@strawberry.type
class TokenRefreshPayload:
    token: str | None = strawberry.field(default=None, description="Send as `Authorization: Bearer <token>`")
    expires_at: datetime | None = strawberry.field(default=None, description="When `token` stops working")
    refresh_token: str | None = strawberry.field(
        default=None, description="The next refresh token; the one sent stops working"
    )
    refresh_expires_at: datetime | None = strawberry.field(
        default=None, description="When this sign-in ends, however often it is refreshed"
    )
    viewer: Viewer | None = None
    errors: list[TokenRefreshError]  # type: ignore[valid-type]


async def token_refresh(info: Info, input: TokenRefreshInput) -> TokenRefreshPayload:
    async def action() -> dict:
        grant = await sessions.rotate(refresh_token=input.refresh_token, request_id=info.context.request_id)
        return await tokens_of(info, grant)

    return await perform(info, TokenRefreshPayload, TokenRefreshError, action())
