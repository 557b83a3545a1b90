"""login: exchange an email and a password for an access token and a refresh token."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.tokens import issue_token
from domain.auth import sign_in
from domain.sessions import Grant
from schema.auth.types import Viewer, load_viewer
from schema.base import Info
from schema.errors import error_type, perform


@strawberry.enum
class LoginErrorCode(Enum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


LoginError = error_type("Login", LoginErrorCode)


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(default=None, description="Send as `Authorization: Bearer <token>`")
    expires_at: datetime | None = strawberry.field(default=None, description="When `token` stops working")
    refresh_token: str | None = strawberry.field(
        default=None, description="Exchange it with `tokenRefresh` for a new token before `expiresAt`; keep it secret"
    )
    refresh_expires_at: datetime | None = strawberry.field(
        default=None, description="When this sign-in ends, however often it is refreshed"
    )
    viewer: Viewer | None = None
    errors: list[LoginError]  # type: ignore[valid-type]


async def tokens_of(info: Info, grant: Grant) -> dict:
    """The payload fields of a sign-in's new tokens: what `login` and `tokenRefresh` answer with."""
    settings = info.context.settings
    token, expires_at = issue_token(
        grant.viewer,
        secret_key=settings.secret_key,
        ttl_seconds=settings.token_ttl_seconds,
        session_id=grant.session_id,
        not_after=grant.expires_at,
    )
    return {
        "token": token,
        "expires_at": expires_at,
        "refresh_token": grant.refresh_token,
        "refresh_expires_at": grant.expires_at,
        "viewer": await load_viewer(info, grant.viewer),
    }


async def login(info: Info, input: LoginInput) -> LoginPayload:
    async def action() -> dict:
        context = info.context
        grant = await sign_in(
            email=input.email,
            password=input.password,
            client_address=context.client_address,
            session_ttl_seconds=context.settings.refresh_ttl_seconds,
            request_id=context.request_id,
        )
        return await tokens_of(info, grant)

    return await perform(info, LoginPayload, LoginError, action())
