"""Signed, expiring bearer tokens (JWT, HS256) that carry the viewer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from domain.models import StaffRole
from domain.viewer import Viewer, ViewerKind, member_viewer, staff_viewer

ALGORITHM = "HS256"
ISSUER = "clubgraph"


class InvalidToken(Exception):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True, slots=True)
class Bearer:
    """What a valid token says: who is calling, and the sign-in (session) it was issued for, if any."""

    viewer: Viewer
    session_id: str | None
    expires_at: datetime | None = None  # when the token stops working: a subscription ends then


def issue_token(
    viewer: Viewer, *, secret_key: str, ttl_seconds: int, session_id: str | None = None, not_after: datetime | None = None
) -> tuple[str, datetime]:
    """A signed access token; `session_id` names the sign-in that may revoke it, `not_after` caps its expiry."""
    now = datetime.now(timezone.utc)
    expires_at = now + timedelta(seconds=ttl_seconds)
    if not_after is not None:
        expires_at = min(expires_at, not_after)
    claims = {
        "iss": ISSUER,
        "sub": f"{viewer.kind}:{viewer.id}",
        "iat": now,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    if viewer.role is not None:
        claims["role"] = str(viewer.role)
    if session_id is not None:
        claims["sid"] = session_id
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM), expires_at


_VERIFIED_TOKENS = 4096  # a process keeps the bearers of this many tokens it verified last


def read_token(token: str, *, secret_key: str) -> Bearer:
    """The bearer of a token we signed that has not expired; whether its session still stands is asked apart.

    A token verified once is not decoded again while it lasts: an app sends the same token for its
    fifteen minutes, and the signature of a given string does not change. Its expiry is checked on
    every use all the same.
    """
    key = (token, secret_key)
    bearer = _verified.get(key)
    if bearer is None:
        bearer = _decode(token, secret_key)
        _verified[key] = bearer
        if len(_verified) > _VERIFIED_TOKENS:
            del _verified[next(iter(_verified))]  # the oldest
    if bearer.expires_at is not None and bearer.expires_at <= datetime.now(timezone.utc):
        raise InvalidToken("Signature has expired")
    return bearer


_verified: dict[tuple[str, str], Bearer] = {}


def _decode(token: str, secret_key: str) -> Bearer:
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat", "sub"]}
        )
        kind, _, raw_id = str(claims["sub"]).partition(":")
        viewer_id = int(raw_id)
        session_id = claims.get("sid")
        if session_id is not None and not isinstance(session_id, str):
            raise InvalidToken("sid is not a string")
        expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
        if kind == ViewerKind.MEMBER:
            return Bearer(member_viewer(viewer_id), session_id, expires_at)
        if kind == ViewerKind.STAFF:
            return Bearer(staff_viewer(viewer_id, StaffRole(claims["role"])), session_id, expires_at)
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from None
    raise InvalidToken("unknown subject")
