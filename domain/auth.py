"""Signing in members and staff with email and password."""

from __future__ import annotations

from domain import models
from domain.errors import DomainError
from domain.passwords import verify_password
from domain.validation import normalize_email
from domain.viewer import Viewer, member_viewer, staff_viewer

INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


async def authenticate(*, email: str, password: str) -> Viewer:
    """The viewer these credentials belong to; the same error whether the email or the password is wrong."""
    email = normalize_email(email)
    staff = await models.Staff.get_or_none(email=email)
    if staff is not None:
        if verify_password(staff.password_hash, password) and staff.is_active:
            return staff_viewer(staff.id, staff.role)
        raise _invalid()
    member = await models.Member.get_or_none(email=email)
    if not verify_password(member.password_hash if member else None, password) or member is None:
        raise _invalid()
    if member.status != models.MemberStatus.ACTIVE:
        raise DomainError("ACCOUNT_DISABLED", "This membership is not active; please contact the club")
    return member_viewer(member.id)


def _invalid() -> DomainError:
    return DomainError(INVALID_CREDENTIALS, "The email or the password is not correct")
