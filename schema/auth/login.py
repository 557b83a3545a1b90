"""login: exchange an email and a password for a bearer token."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.tokens import issue_token
from domain.auth import authenticate
from schema.auth.types import Viewer, load_viewer
from schema.base import Info
from schema.errors import error_type, perform


@strawberry.enum
class LoginErrorCode(Enum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


LoginError = error_type("Login", LoginErrorCode)


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(default=None, description="Send as `Authorization: Bearer <token>`")
    expires_at: datetime | None = None
    viewer: Viewer | None = None
    errors: list[LoginError]  # type: ignore[valid-type]


async def login(info: Info, input: LoginInput) -> LoginPayload:
    async def action() -> dict:
        identity = await authenticate(email=input.email, password=input.password)
        settings = info.context.settings
        token, expires_at = issue_token(identity, secret_key=settings.secret_key, ttl_seconds=settings.token_ttl_seconds)
        return {"token": token, "expires_at": expires_at, "viewer": await load_viewer(info, identity)}

    return await perform(info, LoginPayload, LoginError, action())
