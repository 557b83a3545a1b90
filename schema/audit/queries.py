"""The audit log query: newest first, filtered, for staff who read the log."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain import audit
from schema.audit.trail import note_read
from schema.audit.types import ACTOR_TYPES, ActorKind, AuditEntry, AuditKind
from schema.base import Info, node_pk_or_none
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, paginate


@strawberry.input(description="Narrows the audit log; all given conditions must hold.")
class AuditLogFilter:
    member_id: relay.GlobalID | None = None
    actor_kind: ActorKind | None = None
    actor_id: relay.GlobalID | None = strawberry.field(default=None, description="A Member, Staff or Partner ID")
    kind: AuditKind | None = None
    action: str | None = strawberry.field(default=None, description="Exactly, e.g. memberUpdate or Member.phone")
    from_: datetime | None = strawberry.field(default=None, name="from", description="At or after; without an offset: UTC")
    to: datetime | None = strawberry.field(default=None, description="Strictly before; without an offset: UTC")


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The append-only audit log, newest first: every write, and every full read of a sensitive "
        "field; club managers and administrators."
    )
    async def audit_log(
        self, info: Info, filter: AuditLogFilter | None = None, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[AuditEntry]:
        filter = filter or AuditLogFilter()
        member_id = node_pk_or_none(filter.member_id, "Member", missing=0) if filter.member_id else None
        actor_kind, actor_id = filter.actor_kind, None
        if filter.actor_id is not None:
            # The ID's type gives the kind of actor; an ID of another type, or of another kind than asked, matches nobody.
            id_kind = {type_name: kind for kind, type_name in ACTOR_TYPES.items()}.get(filter.actor_id.type_name)
            if id_kind is None or actor_kind not in (None, id_kind):
                actor_id = 0
            else:
                actor_kind = id_kind
                actor_id = node_pk_or_none(filter.actor_id, filter.actor_id.type_name, missing=0)
        query = audit.entry_query(
            viewer=info.context.viewer,
            member_id=member_id,
            actor_kind=str(actor_kind) if actor_kind else None,
            actor_id=actor_id,
            kind=filter.kind,
            action=filter.action,
            since=filter.from_,
            until=filter.to,
        )
        connection = await paginate(query, first=first, after=after, node=AuditEntry.from_row, descending=True)
        # Reading the log is on the record too, once per request, not once per row it shows.
        note_read("Query.auditLog", member_id)
        return connection
