"""The Staff type."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from domain import models
from domain.policy import Permission, has_permission
from schema.base import Info, pks

StaffRole = strawberry.enum(models.StaffRole, name="StaffRole", description="A staff member's duty")


@strawberry.type(description="A member of the club's staff.")
class Staff(relay.Node):
    id: relay.NodeID[int]
    name: str
    role: StaffRole
    _email: strawberry.Private[str]

    @strawberry.field(description="Work email; shown to staff only.")
    def email(self, info: Info) -> str | None:
        return self._email if info.context.viewer.is_staff else None

    @classmethod
    def from_row(cls, row: models.Staff) -> Staff:
        return cls(id=row.id, name=row.name, role=row.role, _email=row.email)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Staff | None]:
        if not has_permission(info.context.viewer, Permission.STAFF_READ):
            return [None for _ in node_ids]
        rows = await info.context.loaders.staff_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row else None for row in rows]


async def load_staff(info: Info, staff_id: int | None) -> Staff | None:
    """The staff member behind a foreign key, through the request's loader; None when there is none."""
    if staff_id is None:
        return None
    row = await info.context.loaders.staff_by_id.load(staff_id)
    return Staff.from_row(row) if row else None
