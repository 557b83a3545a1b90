"""Signing in members and staff with email and password, throttled per account and per client address."""

from __future__ import annotations

import hashlib
import math

from domain import audit, buckets, models, sessions
from domain.audit import AuditRecord
from domain.buckets import Bucket
from domain.errors import DomainError
from domain.models import AuditKind
from domain.passwords import verify_password
from domain.validation import normalize_email
from domain.viewer import ANONYMOUS, Viewer, member_viewer, staff_viewer

INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
# Failed sign-ins to one account: 5 in a row, then one more a minute. Password guessing against one
# account stays hopeless, while its owner, who mistyped, waits a minute at most.
ACCOUNT_ATTEMPTS = Bucket(capacity=5, rate=1 / 60)
# Sign-in attempts from one client address, failed or not: a burst of 30, then one every 2 seconds.
# Slows down trying many accounts from one place; generous enough for a club's shared front desk.
ADDRESS_ATTEMPTS = Bucket(capacity=30, rate=1 / 2)


async def sign_in(
    *, email: str, password: str, client_address: str, session_ttl_seconds: int, request_id: str | None
) -> sessions.Grant:
    """A new sign-in for these credentials, unless the account or the address has tried too often.

    Both buckets are charged before the password is checked, as one atomic step each: however many
    attempts arrive at once, no more than the capacity of them reach the password check. A success
    empties the account's bucket; the address's keeps counting.
    """
    email = normalize_email(email)
    attempt = {"email": email[:254], "address": client_address}
    for key, bucket in (
        (f"login-address:{client_address}", ADDRESS_ATTEMPTS),
        (_account_key(email), ACCOUNT_ATTEMPTS),
    ):
        charge = await buckets.charge(key, 1, bucket)
        if not charge.allowed:
            await _record(ANONYMOUS, "TOO_MANY_ATTEMPTS", attempt, request_id)
            seconds = math.ceil(charge.retry_after)
            raise DomainError("TOO_MANY_ATTEMPTS", f"Too many sign-in attempts; try again in {seconds} seconds")
    try:
        viewer = await authenticate(email=email, password=password)
    except DomainError as error:
        await _record(ANONYMOUS, error.code, attempt, request_id)
        raise
    await buckets.reset(_account_key(email))
    grant = await sessions.start(viewer=viewer, client_address=client_address, ttl_seconds=session_ttl_seconds)
    await _record(viewer, "ok", {"session": grant.session_id, "address": client_address}, request_id)
    return grant


def _account_key(email: str) -> str:
    # Hashed: the email may be as long as the caller likes, and the table need not hold addresses.
    return f"login-account:{hashlib.sha256(email.encode()).hexdigest()}"


async def _record(actor: Viewer, outcome: str, detail: dict, request_id: str | None) -> None:
    member_id = actor.id if actor.is_member else None
    await audit.record(actor, [AuditRecord(AuditKind.AUTH, "login", member_id, outcome, detail)], request_id=request_id)


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
