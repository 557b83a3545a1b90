"""Signed requests: HMAC-SHA256 over a timestamp and the raw body, for the partner protocol both ways and webhooks.

The sender puts the Unix time in `X-Clubgraph-Timestamp` and `v1=<hex HMAC of "<timestamp>." + body>`
in `X-Clubgraph-Signature`, keyed with the partner's signing secret. The receiver recomputes it and
refuses a signature that differs, or a timestamp more than 300 seconds from its own clock, so that
a captured request cannot be replayed later. docs/partner-protocol.md is the contract in full.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Clubgraph-Timestamp"
SIGNATURE_HEADER = "X-Clubgraph-Signature"
WINDOW_SECONDS = 300
_VERSION = "v1="


class SignatureError(Exception):
    """A request whose signature is missing, wrong or too old: refuse it, and say which."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return _VERSION + digest


def signature_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers that sign `body` now."""
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Check a request's signature; raises SignatureError naming what is wrong."""
    lowered = {name.lower(): value for name, value in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not stamp or not signature:
        raise SignatureError(f"Sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be a Unix time in seconds") from None
    if abs((time.time() if now is None else now) - timestamp) > WINDOW_SECONDS:
        raise SignatureError(f"The timestamp is more than {WINDOW_SECONDS} seconds from our clock")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise SignatureError("The signature does not match the body")
