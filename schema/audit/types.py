"""The AuditEntry type: one line of the append-only audit log, seen only by staff who read the log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain import models
from domain.policy import Permission, has_permission, may_read_member
from domain.viewer import ViewerKind
from schema.audit.trail import note_read
from schema.base import Info, load_member, pks
from schema.staff.types import StaffRole

if TYPE_CHECKING:
    from schema.members.types import Member

AuditKind = strawberry.enum(models.AuditKind, name="AuditKind", description="What an audit line records")
ActorKind = strawberry.enum(ViewerKind, name="ActorKind", description="Who acted: a member, staff, a partner or anonymous")

# The node type of an actor's global ID, by kind; anonymous actors have none.
ACTOR_TYPES = {ViewerKind.MEMBER: "Member", ViewerKind.STAFF: "Staff", ViewerKind.PARTNER: "Partner"}


@strawberry.type(description="One line of the audit log: who, in which role, did or read what, about which member, when.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    at: datetime
    kind: AuditKind
    actor_kind: ActorKind
    role: StaffRole | None = strawberry.field(description="The staff member's role at the time; null for others")
    action: str = strawberry.field(description="The mutation, or the Type.field read, e.g. Member.phone")
    outcome: str = strawberry.field(description="ok, or the payload error code, or the refusal (FORBIDDEN…)")
    request_id: str | None
    detail: JSON | None = strawberry.field(description="For a write, the names of the arguments sent (never their values)")
    _actor_id: strawberry.Private[int | None]
    _member_id: strawberry.Private[int | None]

    @strawberry.field(description="The global ID of the member, staff member or partner who acted; null when anonymous")
    def actor_id(self) -> relay.GlobalID | None:
        type_name = ACTOR_TYPES.get(ViewerKind(self.actor_kind))
        return relay.GlobalID(type_name, str(self._actor_id)) if type_name and self._actor_id is not None else None

    @strawberry.field(description="The member concerned, if any and if you may see them")
    async def member(self, info: Info) -> Annotated["Member", strawberry.lazy("schema.members.types")] | None:
        if self._member_id is None or not may_read_member(info.context.viewer, self._member_id):
            return None
        return await load_member(info, self._member_id)

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> AuditEntry:
        return cls(
            id=row.id,
            at=row.at,
            kind=row.kind,
            actor_kind=ViewerKind(row.actor_kind),
            role=models.StaffRole(row.actor_role) if row.actor_role else None,
            action=row.action,
            outcome=row.outcome,
            request_id=row.request_id,
            detail=row.detail,
            _actor_id=row.actor_id,
            _member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntry | None]:
        ids = pks(node_ids)
        if not has_permission(info.context.viewer, Permission.AUDIT_READ):
            return [None for _ in ids]
        rows = {row.id: row for row in await models.AuditEntry.filter(id__in=ids)}
        if rows:
            # Reading the log is itself on the record, once per request: who looked at whose trail.
            note_read("AuditEntry.node", None)
        return [cls.from_row(rows[pk]) if pk in rows else None for pk in ids]
