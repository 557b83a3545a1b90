"""Points a partner awards a member for a purchase at its shop: once per purchase, capped per day.

The partner names the member by its own pseudonymous reference (domain/references.py); a reference
of another partner, or none, is NOT_FOUND, as is a member who is not active (a partner is not told
why). The cap (`Partner.daily_award_cap`) counts what this partner awarded this member in the same
UTC day. It is counted after the member's row is locked, in the ledger's transaction, so that
concurrent awards queue up and cannot both fit in what is left.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from domain import idempotency, ledger, models, references, tiers
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.ledger import EntryFields, utcnow
from domain.models import EntrySource, MemberStatus
from domain.validation import clean_text
from domain.viewer import Viewer

MAX_POINTS = 100_000


def _partner_of(viewer: Viewer) -> int:
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not viewer.is_partner:
        raise PermissionDenied()  # the partner API: for partner keys only
    assert viewer.id is not None
    return viewer.id


def _points(points: int) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise DomainError("INVALID", f"Award 1 to {MAX_POINTS:,} points", field="points")
    return points


def utc_day(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day `now` falls in, as [start, end)."""
    start = datetime.combine(now.astimezone(timezone.utc).date(), time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


async def awarded_today(*, partner_id: int, member_id: int, now: datetime) -> int:
    start, end = utc_day(now)
    total = (
        await models.PartnerPointsAward.filter(
            partner_id=partner_id, member_id=member_id, created_at__gte=start, created_at__lt=end
        )
        .annotate(total=Sum("points"))
        .first()
        .values_list("total", flat=True)
    )
    return int(total or 0)


async def _award(
    partner: models.Partner, member_id: int, points: int, purchase_reference: str, now: datetime
) -> dict[str, int]:
    async with in_transaction():
        member = (await ledger.lock_members([member_id]))[member_id]
        if member.status != MemberStatus.ACTIVE:
            raise NotFound("Member", field="memberReference")
        earlier = await models.PartnerPointsAward.get_or_none(
            partner_id=partner.id, purchase_reference=purchase_reference
        )
        if earlier is not None:
            raise _already_awarded(earlier)
        # Under the member's lock: concurrent awards to this member wait here, then count each other.
        left = partner.daily_award_cap - await awarded_today(partner_id=partner.id, member_id=member_id, now=now)
        if points > left:
            raise DomainError(
                "DAILY_CAP_EXCEEDED",
                f"This member can get {max(left, 0):,} more points from you today "
                f"(at most {partner.daily_award_cap:,} a UTC day)",
                field="points",
            )
        fields = EntryFields(
            source=EntrySource.PARTNER, reason=f"Purchase at {partner.name}", reference=purchase_reference
        )
        [entry, *_] = await ledger.credit(member_id=member_id, points=points, fields=fields, now=now)
        try:
            award = await models.PartnerPointsAward.create(
                partner_id=partner.id,
                member_id=member_id,
                points=points,
                purchase_reference=purchase_reference,
                entry_id=entry.id,
                created_at=now,
            )
        except IntegrityError:
            # The same purchase, awarded to another member at the same moment: the other one won.
            raise DomainError(
                "ALREADY_AWARDED", "Points for this purchase reference were already awarded", field="purchaseReference"
            ) from None
    return {"award_id": award.id}


def _already_awarded(earlier: models.PartnerPointsAward) -> DomainError:
    return DomainError(
        "ALREADY_AWARDED",
        f"Points for this purchase reference were already awarded on {earlier.created_at:%Y-%m-%d at %H:%M} UTC",
        field="purchaseReference",
    )


async def award_points(
    *,
    viewer: Viewer,
    member_reference: str,
    points: int,
    purchase_reference: str,
    idempotency_key: str,
    now: datetime | None = None,
) -> dict[str, int]:
    """Credit the member for a purchase at the calling partner's shop; returns `award_id`.

    A retry with the same idempotency key gets the first answer; the same purchase reference under
    another key is ALREADY_AWARDED. A qualifying credit: the member may move up a tier at once.
    """
    partner_id = _partner_of(viewer)
    points = _points(points)
    purchase_reference = clean_text(purchase_reference, field="purchaseReference", max_length=100)
    member_reference = clean_text(member_reference, field="memberReference", max_length=40)
    member_id = await references.member_id_for(partner_id=partner_id, reference=member_reference)
    if member_id is None:
        raise NotFound("Member", field="memberReference")
    partner = await models.Partner.get(id=partner_id)
    now = now or utcnow()
    result = await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "partner_points_award"),
        key=idempotency_key,
        arguments={"member_reference": member_reference, "points": points, "purchase_reference": purchase_reference},
        action=lambda: _award(partner, member_id, points, purchase_reference, now),
    )
    # After the commit, and on replays too: a crash between the two is mended by the partner's retry.
    await tiers.evaluate_upgrade(member_id=member_id, now=now)
    return result
