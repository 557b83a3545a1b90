"""sessionRevoke: sign a member or a staff member out everywhere (staff with SESSION_REVOKE)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import sessions
from schema.base import Info, node_pk
from schema.errors import error_type, perform


@strawberry.enum
class SessionRevokeErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


SessionRevokeError = error_type("SessionRevoke", SessionRevokeErrorCode)


@strawberry.input
class SessionRevokeInput:
    member_id: relay.GlobalID | None = strawberry.field(default=None, description="Either a member")
    staff_id: relay.GlobalID | None = strawberry.field(default=None, description="or a staff member")


@strawberry.type
class SessionRevokePayload:
    ended_sessions: int | None = strawberry.field(default=None, description="How many sign-ins ended")
    errors: list[SessionRevokeError]  # type: ignore[valid-type]


async def session_revoke(info: Info, input: SessionRevokeInput) -> SessionRevokePayload:
    async def action() -> dict:
        ended = await sessions.revoke_person(
            viewer=info.context.viewer,
            member_id=node_pk(input.member_id, "Member", field="memberId") if input.member_id else None,
            staff_id=node_pk(input.staff_id, "Staff", field="staffId") if input.staff_id else None,
            request_id=info.context.request_id,
        )
        return {"ended_sessions": ended}

    return await perform(info, SessionRevokePayload, SessionRevokeError, action())
