"""Who is calling: the actor every rule and every audit record is about."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.models import StaffRole


class ViewerKind(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    STAFF = "staff"
    PARTNER = "partner"  # a partner merchant's system, by API key: neither a member nor staff, no role


@dataclass(frozen=True, slots=True)
class Viewer:
    kind: ViewerKind
    id: int | None = None
    role: StaffRole | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind is ViewerKind.ANONYMOUS

    @property
    def is_member(self) -> bool:
        return self.kind is ViewerKind.MEMBER

    @property
    def is_staff(self) -> bool:
        return self.kind is ViewerKind.STAFF

    @property
    def is_partner(self) -> bool:
        return self.kind is ViewerKind.PARTNER

    def is_member_self(self, member_id: int) -> bool:
        return self.kind is ViewerKind.MEMBER and self.id == member_id


ANONYMOUS = Viewer(ViewerKind.ANONYMOUS)


def member_viewer(member_id: int) -> Viewer:
    return Viewer(ViewerKind.MEMBER, member_id)


def staff_viewer(staff_id: int, role: StaffRole) -> Viewer:
    return Viewer(ViewerKind.STAFF, staff_id, role)


def partner_viewer(partner_id: int) -> Viewer:
    return Viewer(ViewerKind.PARTNER, partner_id)
