"""The `me` query."""

from __future__ import annotations

import strawberry

from schema.auth.types import Viewer, load_viewer
from schema.base import Info


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in member, staff member or partner (by API key); null for anonymous callers.")
    async def me(self, info: Info) -> Viewer | None:
        return await load_viewer(info, info.context.viewer)
