"""Signed, expiring bearer tokens (JWT, HS256) that carry the viewer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt

from domain.models import StaffRole
from domain.viewer import Viewer, ViewerKind, member_viewer, staff_viewer

ALGORITHM = "HS256"
ISSUER = "clubgraph"


class InvalidToken(Exception):
    """The token is malformed, forged or expired."""


def issue_token(viewer: Viewer, *, secret_key: str, ttl_seconds: int) -> tuple[str, datetime]:
    now = datetime.now(timezone.utc)
    expires_at = now + timedelta(seconds=ttl_seconds)
    claims = {
        "iss": ISSUER,
        "sub": f"{viewer.kind}:{viewer.id}",
        "iat": now,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    if viewer.role is not None:
        claims["role"] = str(viewer.role)
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM), expires_at


def read_token(token: str, *, secret_key: str) -> Viewer:
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat", "sub"]}
        )
        kind, _, raw_id = str(claims["sub"]).partition(":")
        viewer_id = int(raw_id)
        if kind == ViewerKind.MEMBER:
            return member_viewer(viewer_id)
        if kind == ViewerKind.STAFF:
            return staff_viewer(viewer_id, StaffRole(claims["role"]))
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from None
    raise InvalidToken("unknown subject")
