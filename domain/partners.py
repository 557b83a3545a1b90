"""The partner registry: partner merchants, their settlement terms and API keys, and key authentication.

An API key reads `<prefix>.<secret>`: the prefix (`pk_` and 10 characters) is public and finds the key,
the secret is 256 random bits of which only the SHA-256 is kept. A fast hash is the standard for
high-entropy random secrets (nothing to brute-force), and it keeps authentication to one indexed
lookup. The key is shown once, by `create_api_key`. A partner holds at most two live keys, so that it
can rotate: create the new key, deploy it, revoke the old one.

The signing secret is the HMAC key of the partner protocol (domain/signatures.py), used both ways:
it is kept as is, since both sides must compute HMACs with it, and shown once by `create_partner`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import models
from domain.errors import DomainError, NotFound
from domain.ledger import utcnow
from domain.models import PartnerStatus, RedemptionStatus
from domain.policy import Permission, has_permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer

MAX_LIVE_KEYS = 2
KEY_PREFIX = "pk_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_LENGTH = 10
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most this often per key
MAX_POINT_VALUE = Decimal("1000")
DEFAULT_DAILY_AWARD_CAP = 10_000
MAX_DAILY_AWARD_CAP = 1_000_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- validation -------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    return clean_text(name, field="name", max_length=200)


def _slug_of(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48].strip("-")
    return slug or "partner"


def _clean_base_url(base_url: str | None) -> str | None:
    if base_url is None or not base_url.strip():
        return None
    base_url = base_url.strip()
    parts = urlsplit(base_url)
    if len(base_url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(
            "INVALID", "Enter the partner's endpoint as an http(s) URL, e.g. https://partner.example/api", field="baseUrl"
        )
    return base_url.rstrip("/")


def _clean_point_value(point_value: Decimal) -> Decimal:
    try:
        value = Decimal(point_value)
        rounded = value.quantize(Decimal("0.0001"))
    except (InvalidOperation, TypeError):
        raise DomainError("INVALID", "Enter the value of a point as a decimal number", field="pointValue") from None
    if rounded != value:
        raise DomainError("INVALID", "The value of a point has at most 4 decimal places", field="pointValue")
    if not Decimal(0) < value <= MAX_POINT_VALUE:
        raise DomainError(
            "INVALID", f"The value of a point must be above 0 and at most {MAX_POINT_VALUE}", field="pointValue"
        )
    return rounded


def _clean_currency(currency: str) -> str:
    currency = currency.strip().upper()
    if not _CURRENCY.match(currency):
        raise DomainError("INVALID", "Enter the currency as an ISO 4217 code, e.g. CHF", field="currency")
    return currency


def _clean_daily_award_cap(cap: int) -> int:
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= MAX_DAILY_AWARD_CAP:
        raise DomainError(
            "INVALID",
            f"The daily cap is a whole number of points from 0 (no awards) to {MAX_DAILY_AWARD_CAP:,}",
            field="dailyAwardCap",
        )
    return cap


async def _name_taken(name: str, *, except_id: int | None = None) -> bool:
    query = models.Partner.filter(name=name)
    if except_id is not None:
        query = query.exclude(id=except_id)
    return await query.exists()


async def _unique_slug(name: str) -> str:
    base = _slug_of(name)
    slug, n = base, 1
    while await models.Partner.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- reads ------------------------------------------------------------------------------------


def partner_query(*, viewer: Viewer) -> QuerySet[models.Partner]:
    require_permission(viewer, Permission.PARTNER_MANAGE)
    return models.Partner.all()


def may_read_partner(viewer: Viewer, partner_id: int) -> bool:
    """Partner managers see every partner; a partner sees itself; nobody else sees any."""
    return has_permission(viewer, Permission.PARTNER_MANAGE) or (viewer.is_partner and viewer.id == partner_id)


# --- writes -----------------------------------------------------------------------------------


async def create_partner(
    *,
    viewer: Viewer,
    name: str,
    point_value: Decimal,
    currency: str,
    base_url: str | None = None,
    require_signature: bool = False,
    daily_award_cap: int = DEFAULT_DAILY_AWARD_CAP,
) -> models.Partner:
    """Register a partner; its `signing_secret` is on the returned row, to be shown this once."""
    require_permission(viewer, Permission.PARTNER_MANAGE)
    name = _clean_name(name)
    values = {
        "base_url": _clean_base_url(base_url),
        "point_value": _clean_point_value(point_value),
        "currency": _clean_currency(currency),
        "require_signature": require_signature,
        "daily_award_cap": _clean_daily_award_cap(daily_award_cap),
    }
    if await _name_taken(name):
        raise DomainError("NAME_TAKEN", "A partner with this name exists already", field="name")
    return await models.Partner.create(
        name=name, slug=await _unique_slug(name), signing_secret=secrets.token_urlsafe(32), **values
    )


async def update_partner(*, viewer: Viewer, partner_id: int, changes: dict[str, Any]) -> models.Partner:
    """Change a partner's name, endpoint, settlement terms, status or signature rule; its slug stays.

    `changes` holds only the fields to change; a None `base_url` makes the partner push-only.
    A suspended partner's keys stop authenticating at once (`authenticate` checks the status).
    """
    require_permission(viewer, Permission.PARTNER_MANAGE)
    assert set(changes) <= {"name", "base_url", "point_value", "status", "require_signature", "daily_award_cap"}, changes
    partner = await models.Partner.get_or_none(id=partner_id)
    if partner is None:
        raise NotFound("Partner", field="partnerId")
    for name, value in changes.items():
        if value is None and name != "base_url":
            raise DomainError("REQUIRED", "This value cannot be cleared", field=_camel(name))
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
        if await _name_taken(changes["name"], except_id=partner_id):
            raise DomainError("NAME_TAKEN", "A partner with this name exists already", field="name")
    if "base_url" in changes:
        changes["base_url"] = _clean_base_url(changes["base_url"])
        if changes["base_url"] is None:
            await _check_nothing_to_settle(partner_id)
    if "point_value" in changes:
        changes["point_value"] = _clean_point_value(changes["point_value"])
    if "status" in changes:
        changes["status"] = PartnerStatus(changes["status"])
    if "daily_award_cap" in changes:
        changes["daily_award_cap"] = _clean_daily_award_cap(changes["daily_award_cap"])
    if changes:
        partner.update_from_dict(changes)
        await partner.save()
    return partner


async def _check_nothing_to_settle(partner_id: int) -> None:
    """Refuse to clear the endpoint while redemptions wait on it: only the partner can settle them."""
    waiting = await models.Redemption.filter(
        partner_id=partner_id, status__in=(RedemptionStatus.PENDING, RedemptionStatus.CANCELLING)
    ).count()
    if waiting:
        raise DomainError(
            "PENDING_REDEMPTIONS",
            f"{waiting} redemption(s) of this partner are not settled yet and need its endpoint to settle: "
            "clear it once they are",
            field="baseUrl",
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    return KEY_PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))


async def create_api_key(
    *, viewer: Viewer, partner_id: int, label: str, now: datetime | None = None
) -> tuple[models.PartnerApiKey, str]:
    """A new key for the partner and the key itself, `<prefix>.<secret>`, which is never shown again.

    Refused when the partner has two live keys: revoke one first. The partner's row is locked first,
    so that two concurrent requests cannot both add a second key.
    """
    require_permission(viewer, Permission.PARTNER_MANAGE)
    label = clean_text(label, field="label", max_length=200)
    now = now or utcnow()
    async with in_transaction():
        # A no-op conditional UPDATE: a row lock on PostgreSQL; SQLite's transactions lock at BEGIN.
        if await models.Partner.filter(id=partner_id).update(require_signature=F("require_signature")) != 1:
            raise NotFound("Partner", field="partnerId")
        live = await models.PartnerApiKey.filter(partner_id=partner_id, revoked_at__isnull=True).count()
        if live >= MAX_LIVE_KEYS:
            raise DomainError(
                "TOO_MANY_KEYS",
                f"This partner has {MAX_LIVE_KEYS} live keys already: revoke one first",
                field="partnerId",
            )
        secret = secrets.token_urlsafe(32)
        row = await models.PartnerApiKey.create(
            partner_id=partner_id,
            prefix=_new_prefix(),
            secret_hash=hash_secret(secret),
            label=label,
            created_at=now,
            created_by_id=viewer.id if viewer.is_staff else None,
        )
    return row, f"{row.prefix}.{secret}"


async def revoke_api_key(*, viewer: Viewer, api_key_id: int, now: datetime | None = None) -> models.PartnerApiKey:
    """Revoke a key: it stops authenticating at once. Revoking a revoked key is refused, so that its
    revocation time stays the first one."""
    require_permission(viewer, Permission.PARTNER_MANAGE)
    now = now or utcnow()
    if await models.PartnerApiKey.filter(id=api_key_id, revoked_at__isnull=True).update(revoked_at=now) != 1:
        if await models.PartnerApiKey.exists(id=api_key_id):
            raise DomainError("ALREADY_REVOKED", "This key is revoked already", field="apiKeyId")
        raise NotFound("API key", field="apiKeyId")
    return await models.PartnerApiKey.get(id=api_key_id)


# --- authentication ---------------------------------------------------------------------------


async def authenticate(key: str, *, now: datetime | None = None) -> models.Partner | None:
    """The active partner a live API key `<prefix>.<secret>` belongs to, or None for any other key.

    The secret's hash is compared in constant time. The partner row is returned (its id is the
    viewer's) because the caller needs its signature rule and secret next. `last_used_at` is
    written at most once a minute per key, so that a busy partner does not write on every request.
    """
    prefix, dot, secret = key.strip().partition(".")
    if not dot or not prefix.startswith(KEY_PREFIX) or len(prefix) > 32 or not secret:
        return None
    row = await models.PartnerApiKey.filter(prefix=prefix).select_related("partner").first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
        return None
    partner = row.partner
    if partner.status != PartnerStatus.ACTIVE:
        return None
    now = now or utcnow()
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_RESOLUTION:
        # Conditional, so that concurrent requests of the same minute write it once.
        await models.PartnerApiKey.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION), id=row.id
        ).update(last_used_at=now)
    return partner
