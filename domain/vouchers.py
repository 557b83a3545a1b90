"""Vouchers at the counter: the issuing partner (or the club's own desk) checks a code and takes it, once.

A partner reaches only the vouchers issued for it (`Voucher.partner_id` = its id); staff with
VOUCHER_CONSUME reach only the club's own vouchers (no partner). A code of another partner, or no
code at all, gets the same NOT_FOUND: the answer never tells that a code exists elsewhere.

A code names one voucher only while it is valid: a partner may reuse a spent code, and a buggy one
may repeat a live one (the club records it anyway, so that the member's redemption completes).
Several vouchers with one code and not exactly one of them valid answer AMBIGUOUS_CODE, and a
warning is logged: the counter never takes one of them at random.

Taking a voucher is one conditional UPDATE issued -> consumed where not expired, so that of any
number of concurrent attempts exactly one succeeds, on SQLite and PostgreSQL alike; the others learn
why not (ALREADY_CONSUMED with when, EXPIRED, CANCELLED) from the row as it then stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from domain import idempotency, models, references
from domain.errors import DomainError, NotAuthenticated, NotFound
from domain.ledger import utcnow
from domain.models import ConsentPurpose, VoucherStatus
from domain.policy import Permission, require_permission
from domain.viewer import Viewer

MAX_CODE_LENGTH = 100
_AMBIGUITY_LIMIT = 10  # vouchers read for one code: enough to tell and to log a repeat
logger = logging.getLogger("clubgraph.vouchers")


@dataclass(frozen=True, slots=True)
class Holder:
    """The member a voucher belongs to, as the counter may see them."""

    reference: str | None  # the partner's pseudonymous reference; None at the club's own counter
    tier_name: str
    name: str | None  # only with the member's live consent to partner sharing (always at the club's counter)


@dataclass(frozen=True, slots=True)
class CounterVoucher:
    """A voucher as its counter sees it."""

    voucher: models.Voucher
    valid: bool  # issued and not expired: the counter may accept it now
    holder: Holder


def counter_partner_id(viewer: Viewer) -> int | None:
    """Whose vouchers the caller may handle: its own partner id, or None for the club's own desk.

    Refuses (top-level) anyone who is neither a partner nor staff with VOUCHER_CONSUME.
    """
    if viewer.is_partner:
        assert viewer.id is not None
        return viewer.id
    if viewer.is_anonymous:
        raise NotAuthenticated()
    require_permission(viewer, Permission.VOUCHER_CONSUME)
    return None


def clean_code(code: str) -> str:
    code = code.strip()
    if not 1 <= len(code) <= MAX_CODE_LENGTH or not code.isprintable():
        raise DomainError(
            "INVALID", f"Enter the voucher code as printed: 1 to {MAX_CODE_LENGTH} characters", field="code"
        )
    return code


def is_valid(voucher: models.Voucher, now: datetime) -> bool:
    return voucher.status == VoucherStatus.ISSUED and (voucher.expires_at is None or voucher.expires_at > now)


async def _find(partner_id: int | None, code: str, now: datetime) -> models.Voucher:
    """The voucher with this code at this counter; AMBIGUOUS_CODE rather than a guess when it repeats.

    Codes are unique per partner only while they are valid (docs/partner-protocol.md 5.2), and the
    club keeps what a partner issued even when it repeats a code: of several vouchers with one code,
    the only valid one is meant; with none or more than one valid, nobody can tell which.
    """
    query = models.Voucher.filter(code=code)
    query = query.filter(partner_id=partner_id) if partner_id is not None else query.filter(partner_id__isnull=True)
    found = await query.order_by("id").limit(_AMBIGUITY_LIMIT)
    if not found:
        raise NotFound("Voucher", field="code")
    if len(found) == 1:
        return found[0]
    valid = [voucher for voucher in found if is_valid(voucher, now)]
    if len(valid) == 1 and len(found) < _AMBIGUITY_LIMIT:
        return valid[0]
    logger.warning(
        "voucher code issued more than once by %s: %s vouchers %s; the counter was refused",
        f"partner {partner_id}" if partner_id is not None else "the club",
        "the" if len(found) < _AMBIGUITY_LIMIT else "at least the",
        ", ".join(str(voucher.id) for voucher in found),
    )
    raise DomainError(
        "AMBIGUOUS_CODE",
        "This code was issued more than once; it cannot be checked or taken until the issuer sorts it out: "
        "ask the member for their voucher's details and contact the club",
        field="code",
    )


async def holder_of(voucher: models.Voucher, *, partner_id: int | None) -> Holder:
    """The holder as this counter may see them: a partner gets a name only with a live consent.

    Called outside any transaction: a first reference for this partner is made here.
    """
    member = await models.Member.get(id=voucher.member_id).prefetch_related("tier")
    if partner_id is None:
        return Holder(reference=None, tier_name=member.tier.name, name=member.name)
    consented = await models.Consent.exists(
        member_id=member.id, purpose=ConsentPurpose.PARTNER_SHARING, granted=True
    )
    return Holder(
        reference=await references.reference_for(partner_id=partner_id, member_id=member.id),
        tier_name=member.tier.name,
        name=member.name if consented else None,
    )


async def view(voucher_id: int, *, partner_id: int | None, now: datetime | None = None) -> CounterVoucher:
    voucher = await models.Voucher.get(id=voucher_id)
    return CounterVoucher(voucher, is_valid(voucher, now or utcnow()), await holder_of(voucher, partner_id=partner_id))


async def validate_voucher(*, viewer: Viewer, code: str, now: datetime | None = None) -> CounterVoucher:
    """What the counter needs to decide: the voucher, whether it may be taken now, and whose it is."""
    partner_id = counter_partner_id(viewer)
    now = now or utcnow()
    voucher = await _find(partner_id, clean_code(code), now)
    return await view(voucher.id, partner_id=partner_id, now=now)


def _why_not(voucher: models.Voucher, now: datetime) -> DomainError:
    """Why a voucher found could not be taken, from the row as it stands after the attempt."""
    if voucher.status == VoucherStatus.CONSUMED:
        when = f" on {voucher.consumed_at:%Y-%m-%d at %H:%M} UTC" if voucher.consumed_at else ""
        return DomainError("ALREADY_CONSUMED", f"This voucher was already used{when}", field="code")
    if voucher.status == VoucherStatus.CANCELLED:
        when = f" on {voucher.cancelled_at:%Y-%m-%d at %H:%M} UTC" if voucher.cancelled_at else ""
        return DomainError("CANCELLED", f"This voucher was cancelled{when}", field="code")
    assert voucher.expires_at is not None and voucher.expires_at <= now
    return DomainError("EXPIRED", f"This voucher expired on {voucher.expires_at:%Y-%m-%d at %H:%M} UTC", field="code")


async def _consume(partner_id: int | None, code: str, now: datetime) -> dict[str, int]:
    voucher = await _find(partner_id, code, now)
    not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    taken = (
        await models.Voucher.filter(id=voucher.id, status=VoucherStatus.ISSUED)
        .filter(not_expired)
        .update(status=VoucherStatus.CONSUMED, consumed_at=now)
    )
    if taken != 1:
        raise _why_not(await models.Voucher.get(id=voucher.id), now)
    return {"voucher_id": voucher.id}


async def consume_voucher(
    *, viewer: Viewer, code: str, idempotency_key: str, now: datetime | None = None
) -> dict[str, int]:
    """Take the voucher at the counter, at most once; returns `voucher_id`.

    A retry with the same idempotency key gets the first answer, even after the voucher was taken.
    """
    partner_id = counter_partner_id(viewer)
    code = clean_code(code)
    now = now or utcnow()
    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "voucher_consume"),
        key=idempotency_key,
        arguments={"code": code},
        action=lambda: _consume(partner_id, code, now),
    )
