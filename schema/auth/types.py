"""The Viewer union: whoever is signed in, a member, a staff member or a partner (by API key)."""

from __future__ import annotations

from typing import Annotated, TypeAlias

import strawberry

from domain.viewer import Viewer as ViewerIdentity
from schema.base import Info
from schema.members.types import Member
from schema.partners.types import Partner
from schema.staff.types import Staff

Viewer: TypeAlias = Annotated[Member | Staff | Partner, strawberry.union("Viewer", description="Whoever is signed in.")]


async def load_viewer(info: Info, viewer: ViewerIdentity) -> Member | Staff | Partner | None:
    if viewer.is_member:
        row = await info.context.loaders.member_by_id.load(viewer.id)
        return Member.from_row(row) if row else None
    if viewer.is_staff:
        row = await info.context.loaders.staff_by_id.load(viewer.id)
        return Staff.from_row(row) if row else None
    if viewer.is_partner:
        row = await info.context.loaders.partner_by_id.load(viewer.id)
        return Partner.from_row(row) if row else None
    return None
