"""The one place the schema applies the privacy matrix (domain/privacy.py) to a sensitive member field.

Every path to the data (`members`, `member`, `node`, `nodes`, `_entities`, an attendee's or a
ticket's member, a purchase) resolves the field through `reveal`, so they all show the same thing.
A full disclosure to anyone but the member themself is noted for the audit log.
"""

from __future__ import annotations

from typing import Any, TypeVar

from domain import privacy
from domain.privacy import Access, Sensitive
from schema.audit.trail import note_read
from schema.base import Info, account_managers_of

T = TypeVar("T")

_LOOK_UP: Any = object()  # the member's account manager is not at hand: load it only if the role needs it


async def reveal(
    info: Info,
    field: Sensitive,
    value: T,
    *,
    action: str,
    member_id: int,
    account_manager_id: int | None = _LOOK_UP,
) -> T | str | None:
    """The value, its masked form (phone, email) or nothing, as the viewer's access to this field of this member allows.

    Nothing is None, or privacy.REDACTED for a field the schema declares non-null.
    """
    level = await access(info, field, member_id=member_id, account_manager_id=account_manager_id)
    if level is Access.FULL:
        noted(info, action, member_id)
    return privacy.shown(level, field, value)


async def access(info: Info, field: Sensitive, *, member_id: int, account_manager_id: int | None = _LOOK_UP) -> Access:
    viewer = info.context.viewer
    if account_manager_id is _LOOK_UP:
        needs_scope = viewer.role is not None and privacy.staff_access(viewer.role, field) is Access.OWN_MEMBERS
        account_manager_id = (await account_managers_of(info, [member_id])).get(member_id) if needs_scope else None
    return privacy.access(viewer, field, member_id=member_id, account_manager_id=account_manager_id)


def noted(info: Info, action: str, member_id: int) -> None:
    """Note a full disclosure for the audit log; a member reading their own data is not audited."""
    if not info.context.viewer.is_member_self(member_id):
        note_read(action, member_id)
