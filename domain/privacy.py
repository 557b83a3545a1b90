"""The field-level privacy matrix: which staff role sees which sensitive member data, kept as data, deny by default.

Reading a member at all is a permission of domain/policy.py; this table decides, field by field, what
a reader who may see the member is shown of the sensitive parts: all of it, a masked form, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domain.models import StaffRole
from domain.viewer import Viewer


class Sensitive(StrEnum):
    PHONE = "phone"  # Member.phone
    EMAIL = "email"  # Member.email
    BIRTHDAY = "birthday"  # Member.birthday
    NOTES = "notes"  # staff notes about the member: private preferences, interaction summaries
    SPEND = "spend"  # money the member spent: purchase amounts, spend towards a tier, the RFM score


class Access(StrEnum):
    FULL = "full"
    OWN_MEMBERS = "own_members"  # full for the members assigned to the account manager, masked for the others
    MASKED = "masked"  # a masked form where the field has one (phone, email); nothing otherwise
    NONE = "none"


# fmt: off
FIELD_ACCESS: dict[StaffRole, dict[Sensitive, Access]] = {
    # Service at the desk: recognise the member ("your number ending in 34?"), nothing personal beyond that.
    StaffRole.FRONT_DESK: {Sensitive.PHONE: Access.MASKED, Sensitive.EMAIL: Access.MASKED},
    StaffRole.ACCOUNT_MANAGER: {field: Access.OWN_MEMBERS for field in Sensitive},
    StaffRole.EVENT_MANAGER: {Sensitive.PHONE: Access.MASKED, Sensitive.EMAIL: Access.MASKED},
    # Works on partners, not members: reads no member at all (policy.py), so nothing here either.
    StaffRole.PARTNER_MANAGER: {},
    StaffRole.CLUB_MANAGER: {field: Access.FULL for field in Sensitive},
    StaffRole.ADMINISTRATOR: {field: Access.FULL for field in Sensitive},
}
# fmt: on


def staff_access(role: StaffRole, field: Sensitive) -> Access:
    """The matrix entry; a role or a field missing from it gets nothing."""
    return FIELD_ACCESS.get(role, {}).get(field, Access.NONE)


def access(viewer: Viewer, field: Sensitive, *, member_id: int, account_manager_id: int | None) -> Access:
    """What this viewer gets of this field of this member: FULL, MASKED or NONE.

    The member themself sees all of their own data except the notes staff keep about them; callers
    who are neither the member nor staff (other members, partners, anonymous) get nothing.
    """
    if viewer.is_member_self(member_id):
        return Access.NONE if field is Sensitive.NOTES else Access.FULL
    if not viewer.is_staff or viewer.role is None:
        return Access.NONE
    level = staff_access(viewer.role, field)
    if level is Access.OWN_MEMBERS:
        return Access.FULL if account_manager_id == viewer.id else Access.MASKED
    return level


class Levels:
    """`access` for one viewer over many members, each answer computed once.

    `access` depends on the member only through two facts, whether they are the viewer and whether
    the viewer manages them, so these (with the field) are the key: a page of fifty members asks the
    matrix a handful of times instead of once per field and member.
    """

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self._known: dict[tuple[Sensitive, bool, bool], Access] = {}
        self._self_id = viewer.id if viewer.is_member else _NOBODY
        self._manager_id = viewer.id if viewer.is_staff else _NOBODY

    def of(self, field: Sensitive, *, member_id: int, account_manager_id: int | None) -> Access:
        key = (field, member_id == self._self_id, account_manager_id == self._manager_id)
        level = self._known.get(key)
        if level is None:
            level = self._known[key] = access(self.viewer, field, member_id=member_id, account_manager_id=account_manager_id)
        return level


_NOBODY = object()  # equal to no id, None included


def shown(level: Access, field: Sensitive, value: Any) -> Any:
    """What a reader with this access is shown of the value: itself, its mask (phone, email), or nothing:
    None, or REDACTED for a field the schema declares non-null."""
    if level is Access.FULL:
        return value
    mask = MASKS.get(field)
    if level is Access.MASKED and mask is not None and isinstance(value, str):
        return mask(value)
    return REDACTED if field in NOT_NULL else None


def mask_phone(phone: str) -> str:
    """+41791234567 -> "+41 •• ••• •• 67": the country code and the last two digits."""
    digits = phone.lstrip("+")
    country = _country_code(digits)
    return f"+{country} •• ••• •• {digits[-2:]}" if len(digits) >= len(country) + 4 else "••"


def mask_email(email: str) -> str:
    """jane@example.com -> "j•••@example.com": the first letter and the domain."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}•••{at}{domain}" if at else "•••"


MASKS: dict[Sensitive, Callable[[str], str]] = {Sensitive.PHONE: mask_phone, Sensitive.EMAIL: mask_email}

# Fields the schema declares non-null (`email: String!`): refused, they show this rather than null, so
# that a refused field never nulls the whole member.
NOT_NULL = frozenset({Sensitive.EMAIL})
REDACTED = "•••"

# E.164 country codes are 1 to 3 digits and prefix-free: "1" and "7" stand alone, a few other 2-digit
# codes too; everything else in zones 2 to 9 takes 3 digits unless listed here.
_TWO_DIGIT_CODES = frozenset(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 "
    "81 82 84 86 90 91 92 93 94 95 98".split()
)


def _country_code(digits: str) -> str:
    if digits[:1] in ("1", "7"):
        return digits[:1]
    return digits[:2] if digits[:2] in _TWO_DIGIT_CODES else digits[:3]
