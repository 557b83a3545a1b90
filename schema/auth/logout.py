"""logout: end the caller's sign-in, or every one of theirs."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import sessions
from schema.base import Info
from schema.errors import error_type, perform


@strawberry.enum
class LogoutErrorCode(Enum):
    NO_SESSION = "NO_SESSION"


LogoutError = error_type("Logout", LogoutErrorCode)


@strawberry.input
class LogoutInput:
    everywhere: bool = strawberry.field(default=False, description="End every sign-in of the caller, on every device")


@strawberry.type
class LogoutPayload:
    ended_sessions: int | None = strawberry.field(default=None, description="How many sign-ins ended")
    errors: list[LogoutError]  # type: ignore[valid-type]


async def logout(info: Info, input: LogoutInput) -> LogoutPayload:
    async def action() -> dict:
        context = info.context
        ended = await sessions.sign_out(
            viewer=context.viewer, session_id=context.session_id, everywhere=input.everywhere, request_id=context.request_id
        )
        return {"ended_sessions": ended}

    return await perform(info, LogoutPayload, LogoutError, action())
