"""Sign-ins (sessions): the refresh tokens that renew short-lived access tokens, their rotation and revocation.

A refresh token is `<session id>.<secret>`; only the SHA-256 of the current secret is stored, so a
copy of the table signs nobody in. Each refresh rotates the secret with a conditional UPDATE on the
stored hash: of concurrent refreshes with one token, exactly one wins.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from domain import audit, models
from domain.audit import AuditRecord
from domain.db import read_rows
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.models import AuditKind
from domain.policy import Permission, require_permission
from domain.viewer import ANONYMOUS, Viewer, ViewerKind, member_viewer, staff_viewer

SESSION_ID_LENGTH = 32  # hex characters
# A refresh token shown again this soon after its rotation is refused without revoking the sign-in: two
# tabs or a retried request racing one refresh is not theft, and the refused caller gets no tokens
# either way. Shown again later, it is a copy someone kept: see `rotate`.
REUSE_GRACE_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Grant:
    """A sign-in's current refresh token, for the viewer it signs in."""

    viewer: Viewer
    session_id: str
    refresh_token: str
    expires_at: datetime  # when the refresh token stops working, whatever happens


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _subject(session: models.AuthSession) -> Viewer:
    if session.subject_kind == ViewerKind.STAFF and session.role is not None:
        return staff_viewer(session.subject_id, session.role)
    return member_viewer(session.subject_id)


def _invalid() -> DomainError:
    return DomainError("INVALID_REFRESH_TOKEN", "The refresh token is invalid or has expired; sign in again")


async def start(*, viewer: Viewer, client_address: str | None, ttl_seconds: int, now: datetime | None = None) -> Grant:
    """A new sign-in of a member or a staff member, lasting `ttl_seconds` however often it is refreshed."""
    now = now or datetime.now(timezone.utc)
    secret = secrets.token_urlsafe(32)
    session = await models.AuthSession.create(
        id=secrets.token_hex(SESSION_ID_LENGTH // 2),
        subject_kind=str(viewer.kind),
        subject_id=viewer.id,
        role=viewer.role,
        refresh_hash=_hash(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        client_address=client_address,
    )
    return Grant(viewer, session.id, f"{session.id}.{secret}", session.expires_at)


async def rotate(*, refresh_token: str, request_id: str | None, now: datetime | None = None) -> Grant:
    """A new refresh token for the sign-in of this one, which stops working; refused with a DomainError.

    The refresh token rotated last, shown again, was copied: used by a thief, or by its owner after
    the thief already rotated it. Either way the sign-in is compromised, so it is revoked
    (`refresh_reuse`) and both must sign in again. Any other wrong secret is only refused: the
    session id is no secret (access tokens carry it), so a guess must not be able to sign anyone out.
    """
    now = now or datetime.now(timezone.utc)
    session_id, _, secret = refresh_token.partition(".")
    session = await models.AuthSession.get_or_none(id=session_id) if len(session_id) == SESSION_ID_LENGTH else None
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        await _refused(None, session_id[:SESSION_ID_LENGTH], "INVALID_REFRESH_TOKEN", None, request_id)
        raise _invalid()
    subject = _subject(session)
    presented = _hash(secret)
    if not hmac.compare_digest(presented, session.refresh_hash):
        if session.previous_refresh_hash is None or not hmac.compare_digest(presented, session.previous_refresh_hash):
            await _refused(subject, session.id, "INVALID_REFRESH_TOKEN", {"reason": "wrong_secret"}, request_id)
            raise _invalid()
        if session.refreshed_at is not None and now - session.refreshed_at < timedelta(seconds=REUSE_GRACE_SECONDS):
            await _refused(subject, session.id, "INVALID_REFRESH_TOKEN", {"reason": "already_rotated"}, request_id)
            raise _invalid()
        await revoke(session_id=session.id, reason="refresh_reuse", now=now)
        await _refused(subject, session.id, "REFRESH_TOKEN_REUSED", {"revoked": True}, request_id)
        raise DomainError(
            "REFRESH_TOKEN_REUSED",
            "This refresh token was used before, so the sign-in has been revoked to be safe; sign in again",
        )
    viewer = await _standing(subject)
    if viewer is None:
        await _refused(subject, session.id, "ACCOUNT_DISABLED", None, request_id)
        raise DomainError("ACCOUNT_DISABLED", "This account is not active; please contact the club")
    secret = secrets.token_urlsafe(32)
    # Conditional on the hash read above: of two refreshes with one token, only the first changes the row.
    rotated = await models.AuthSession.filter(id=session.id, refresh_hash=presented, revoked_at=None).update(
        refresh_hash=_hash(secret), previous_refresh_hash=presented, refreshed_at=now, role=viewer.role
    )
    if rotated != 1:
        await _refused(subject, session.id, "INVALID_REFRESH_TOKEN", {"reason": "lost_race"}, request_id)
        raise _invalid()
    await _record(viewer, "tokenRefresh", session.id, "ok", None, request_id)
    return Grant(viewer, session.id, f"{session.id}.{secret}", session.expires_at)


async def _standing(subject: Viewer) -> Viewer | None:
    """The subject as they stand now (staff with their current role), or None when they may no longer sign in."""
    if subject.is_staff:
        staff = await models.Staff.get_or_none(id=subject.id)
        return staff_viewer(staff.id, staff.role) if staff is not None and staff.is_active else None
    member = await models.Member.get_or_none(id=subject.id)
    return subject if member is not None and member.status == models.MemberStatus.ACTIVE else None


async def is_live(session_id: str, *, now: datetime | None = None) -> bool:
    """Whether the sign-in an access token names still stands: one primary-key lookup."""
    now = now or datetime.now(timezone.utc)
    # On every request: raw SQL, and the comparison made by the database, with no row to read back.
    expires = models.AuthSession._meta.fields_map["expires_at"].to_db_value(now, models.AuthSession)
    return bool(await read_rows(_LIVE, [session_id, expires]))


_LIVE = "SELECT 1 FROM auth_session WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2"


async def revoke(*, session_id: str, reason: str, now: datetime | None = None) -> int:
    """End one sign-in: its refresh token and its access tokens stop working at once. 1 if it stood."""
    now = now or datetime.now(timezone.utc)
    return await models.AuthSession.filter(id=session_id, revoked_at=None).update(revoked_at=now, revoked_reason=reason)


async def revoke_all(*, subject_kind: ViewerKind, subject_id: int, reason: str, now: datetime | None = None) -> int:
    """End every sign-in of a member or a staff member; the number that still stood."""
    now = now or datetime.now(timezone.utc)
    return await models.AuthSession.filter(
        subject_kind=str(subject_kind), subject_id=subject_id, revoked_at=None, expires_at__gt=now
    ).update(revoked_at=now, revoked_reason=reason)


async def sign_out(*, viewer: Viewer, session_id: str | None, everywhere: bool, request_id: str | None) -> int:
    """End the caller's sign-in, or all of theirs; the number of sign-ins ended."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not (viewer.is_member or viewer.is_staff):
        raise PermissionDenied("Only members and staff sign in, and out")
    if everywhere:
        ended = await revoke_all(subject_kind=viewer.kind, subject_id=viewer.id, reason="logout_everywhere")
    elif session_id is None:
        raise DomainError("NO_SESSION", "This token belongs to no sign-in; sign out everywhere instead", field="everywhere")
    else:
        ended = await revoke(session_id=session_id, reason="logout")
    await _record(viewer, "logout", session_id, "ok", {"everywhere": everywhere, "ended": ended}, request_id)
    return ended


async def revoke_person(
    *, viewer: Viewer, member_id: int | None, staff_id: int | None, request_id: str | None
) -> int:
    """Staff with SESSION_REVOKE sign a member or a staff member out everywhere; the number of sign-ins ended."""
    require_permission(viewer, Permission.SESSION_REVOKE)
    if (member_id is None) == (staff_id is None):
        raise DomainError("INVALID", "Name either a member or a staff member")
    if member_id is not None:
        if not await models.Member.exists(id=member_id):
            raise NotFound("Member", field="memberId")
        ended = await revoke_all(subject_kind=ViewerKind.MEMBER, subject_id=member_id, reason="revoked")
    else:
        if not await models.Staff.exists(id=staff_id):
            raise NotFound("Staff", field="staffId")
        ended = await revoke_all(subject_kind=ViewerKind.STAFF, subject_id=staff_id, reason="revoked")
    detail = {"ended": ended, **({"staffId": staff_id} if staff_id is not None else {})}
    record = AuditRecord(AuditKind.AUTH, "sessionRevoke", member_id, "ok", detail)
    await audit.record(viewer, [record], request_id=request_id)
    return ended


async def purge_expired(*, now: datetime, keep_days: int = 7) -> int:
    """Forget sign-ins that ended a while ago. Their access tokens expired with them (access tokens
    never outlive their sign-in), so no token can name a row that is gone; the audit log keeps the story."""
    return await models.AuthSession.filter(expires_at__lt=now - timedelta(days=keep_days)).delete()


async def _record(
    actor: Viewer, action: str, session_id: str | None, outcome: str, detail: dict | None, request_id: str | None
) -> None:
    member_id = actor.id if actor.is_member else None
    detail = {**({"session": session_id} if session_id else {}), **(detail or {})} or None
    await audit.record(actor, [AuditRecord(AuditKind.AUTH, action, member_id, outcome, detail)], request_id=request_id)


async def _refused(
    subject: Viewer | None, session_id: str, outcome: str, detail: dict | None, request_id: str | None
) -> None:
    """A refused refresh: the caller proved nothing, so it is anonymous; the row names whose sign-in it was."""
    member_id = subject.id if subject is not None and subject.is_member else None
    staff = {"staffId": subject.id} if subject is not None and subject.is_staff else {}
    detail = {**({"session": session_id} if session_id else {}), **staff, **(detail or {})} or None
    record = AuditRecord(AuditKind.AUTH, "tokenRefresh", member_id, outcome, detail)
    await audit.record(ANONYMOUS, [record], request_id=request_id)
