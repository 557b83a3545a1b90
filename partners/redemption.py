"""Redemptions: a member spends points on a reward, exactly once, whatever fails on the way.

Two ways to issue a reward:

- The club issues it itself (its own rewards, and items of push-only partners, which have no
  endpoint): ONE transaction takes the stock (a conditional decrement), debits the points (a REDEEM
  entry), records the redemption as completed and makes a voucher with a random club code. Either
  all of it happens or nothing does.
- A partner with an endpoint issues it: the saga of docs/partner-protocol.md section 7.
  1. One transaction holds the points and records the redemption as pending, with a new random
     `rdm_...` reference (the protocol's redemptionId) and `next_attempt_at` = now + a grace.
  2. `POST /rewards`. Issued: complete (capture the hold, make the voucher). A definitive refusal:
     refuse (release the hold). Unknown (timeout, 5xx, dropped connection): one status lookup;
     still unknown: the redemption stays pending and is returned as such.
  3. `reconcile_pending` (at start-up and periodically, in every worker) takes up the pending and
     cancelling ones whose `next_attempt_at` has come, each claimed first (below): status lookup;
     issued: complete; cancelled: cancel; never heard of (404): the row moves to CANCELLING, then
     `POST .../cancel` fences off an issue still in flight; answered cancelled: cancelled, points
     given back; NOT_CANCELLABLE (it was issued after all): back to pending, and the status lookup
     completes it; no valid answer: try again later, with exponential backoff. A cancelling row is
     only ever cancelled (the cancel repeated, it is idempotent) or, on NOT_CANCELLABLE, put back to
     pending. Points are never given back without a definitive answer from the partner.

Every way out of pending (complete, refuse, cancel) is a conditional update `WHERE status =
'pending'` (cancel also from 'cancelling') in the same transaction as the points' move: of a
request, its retry and reconcilers in several processes settling one redemption at the same time,
exactly one moves the points. Nothing completes once the fence is decided: complete and refuse move
from pending only, and the move to cancelling happens before the cancel is sent.

Who drives a pending redemption: its request during the grace; after it, whoever claims the row.
A claim is a conditional update on the row's `attempts` (a version) that also pushes
`next_attempt_at` past the time the work takes (a lease, counted from the moment of the claim); a
reconciler and a member's same-key retry claim alike, so they never drive one row at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain import catalog, ledger, models, outbox, rewards
from domain.catalog import CatalogItem
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.models import EntryKind, EntrySource, MemberStatus, PartnerStatus, RedemptionStatus, VoucherStatus
from domain.references import reference_for
from domain.viewer import Viewer
from partners import faults
from partners.client import (
    ISSUE_DEADLINE,
    STATUS_DEADLINE,
    Endpoint,
    IssuedReward,
    PartnerClient,
    PartnerRefusal,
    PartnerUnavailable,
)

logger = logging.getLogger("clubgraph.redemptions")

MAX_QUANTITY = 10
MAX_KEY_LENGTH = 200
# How long a pending redemption is left to the request that made it before reconcilers take it up:
# at least the issue deadline plus the status lookup's (5 + 3 s, api/settings.py enforces it), so
# that a reconciler does not fence an issue its request is still waiting for.
DEFAULT_GRACE_SECONDS = 60
MIN_GRACE_SECONDS = ISSUE_DEADLINE + STATUS_DEADLINE
# Also the lease of a claimed row: longer than a status lookup plus a cancel (3 + 5 s) and than an
# issue plus a status lookup (5 + 3 s).
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 300
RECONCILE_BATCH = 200
RECONCILE_CONCURRENCY = 10
# A 4xx that does not prove that nothing was issued under this redemption id: 409
# IDEMPOTENCY_CONFLICT says a reward with other arguments exists. The status lookup decides.
_NOT_DEFINITIVE = frozenset({"IDEMPOTENCY_CONFLICT"})
_NOT_CANCELLABLE = "NOT_CANCELLABLE"
_UNSETTLED = (RedemptionStatus.PENDING, RedemptionStatus.CANCELLING)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I: 5 bits each


class ItemSource(Protocol):
    """What the saga needs of the catalog federation: one partner item, fresh."""

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """What a reward id points to: the catalog item and the rows behind it."""

    item: CatalogItem
    partner: models.Partner | None = None
    reward: models.Reward | None = None  # the club's own reward
    pushed: models.PartnerCatalogItem | None = None  # an item of a push-only partner

    @property
    def issued_by_club(self) -> bool:
        return self.partner is None or not self.partner.base_url


def new_reference() -> str:
    """The protocol's redemptionId: random, so that it says nothing and cannot be guessed."""
    return "rdm_" + secrets.token_hex(12)


def new_club_code() -> str:
    """A club voucher code, e.g. CLUB-7KQ2-XM9D-4TRA: 12 random symbols of 5 bits, 60 bits."""
    symbols = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"CLUB-{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def fingerprint_of(reward_key: str, quantity: int) -> str:
    return hashlib.sha256(f"{reward_key}\n{quantity}".encode()).hexdigest()


def backoff(attempts: int) -> timedelta:
    """The wait before the next try of a redemption after `attempts` tries: 10 s, 20 s, 40 s... 5 min."""
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


# --- what a reward id points to ----------------------------------------------------------------


async def resolve_target(reward_key: str, items: ItemSource | None) -> Target:
    """The reward behind a catalog key; NOT_FOUND, or PARTNER_UNAVAILABLE when its partner cannot tell."""
    parsed = catalog.parse_key(reward_key)
    if parsed is None:
        raise NotFound("Reward", field="rewardId")
    partner_id, item_id = parsed
    if partner_id is None:
        reward = await models.Reward.get_or_none(id=int(item_id), active=True)
        if reward is None:
            raise NotFound("Reward", field="rewardId")
        tier = await models.Tier.get_or_none(id=reward.tier_id) if reward.tier_id else None
        return Target(catalog.from_reward(reward, tier.name if tier else None), reward=reward)
    partner = await models.Partner.get_or_none(id=partner_id, status=PartnerStatus.ACTIVE)
    if partner is None:
        raise NotFound("Reward", field="rewardId")
    if not partner.base_url:
        pushed = await models.PartnerCatalogItem.get_or_none(partner_id=partner.id, item_id=item_id)
        if pushed is None:
            raise NotFound("Reward", field="rewardId")
        return Target(catalog.from_pushed(pushed), partner=partner, pushed=pushed)
    if items is None:
        raise DomainError("PARTNER_UNAVAILABLE", f"{partner.name}'s catalog is not available here", field="rewardId")
    try:
        item = await items.item(partner, item_id)
    except PartnerUnavailable as unavailable:
        logger.warning("partner %s (%s): redemption refused, catalog unreadable: %s", partner.id, partner.name, unavailable.reason)
        raise DomainError(
            "PARTNER_UNAVAILABLE",
            f"{partner.name} cannot be reached right now ({unavailable.plain_reason}); nothing was held, try again later",
            field="rewardId",
        ) from None
    if item is None:
        raise NotFound("Reward", field="rewardId")
    return Target(item, partner=partner)


async def check_tier(member: models.Member, item: CatalogItem) -> None:
    """Refused unless the member's tier is the item's tier restriction or above.

    Tier names match as in the catalog's eligibility (domain/rewards.py), so that what the catalog
    shows as redeemable is exactly what redeeming allows.
    """
    if item.tier_restriction is None:
        return
    tiers = await rewards.ladder()
    needed = tiers.rank_of_name(item.tier_restriction)
    if needed is None:
        raise DomainError(
            "TIER_NOT_ALLOWED",
            f"{item.title!r} asks for the tier {item.tier_restriction!r}, which the club does not have",
            field="rewardId",
        )
    rank = tiers.rank_of_id.get(member.tier_id) if member.tier_id is not None else None
    if rank is None or rank < needed:
        required = next(name for tier_id, name in tiers.names.items() if tiers.rank_of_id[tier_id] == needed)
        raise DomainError("TIER_NOT_ALLOWED", f"{item.title!r} is for {required} members and above", field="rewardId")


# --- redeeming --------------------------------------------------------------------------------


def require_member(viewer: Viewer) -> int:
    """The calling member's id: only members redeem, for themselves."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not viewer.is_member or viewer.id is None:
        raise PermissionDenied()  # staff do not redeem on a member's behalf
    return viewer.id


def _clean_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "INVALID", f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters", field="idempotencyKey"
        )
    return key


def _check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError("INVALID", f"The quantity must be a whole number from 1 to {MAX_QUANTITY}", field="quantity")
    return quantity


async def redeem(
    *,
    viewer: Viewer,
    reward_key: str,
    quantity: int,
    idempotency_key: str,
    items: ItemSource | None,
    client: PartnerClient | None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    now: datetime | None = None,
) -> models.Redemption:
    """The member redeems a reward for themselves; returns the redemption, completed, refused or pending.

    A retry with the same idempotency key returns the same redemption (a pending one is driven on
    once more when it can be claimed); the same key with another reward or quantity is
    IDEMPOTENCY_KEY_REUSED.
    """
    member_id = require_member(viewer)
    key = _clean_key(idempotency_key)
    quantity = _check_quantity(quantity)
    fingerprint = fingerprint_of(reward_key, quantity)
    existing = await models.Redemption.get_or_none(member_id=member_id, idempotency_key=key)
    if existing is not None:
        return await _replay(existing, fingerprint, client, now)
    try:
        return await _redeem_new(member_id, reward_key, quantity, key, fingerprint, items, client, grace_seconds, now)
    except _KeyTaken as taken:
        # A concurrent request with the same key won the unique (member, key): its redemption is the answer.
        existing = await models.Redemption.get_or_none(member_id=member_id, idempotency_key=key)
        if existing is None:
            raise taken.error from None
        return await _replay(existing, fingerprint, client, now)
    except DomainError as refused:
        # A concurrent request with the same key may have taken the last unit or the points first:
        # then its redemption is the answer, not this refusal (as domain/idempotency.run_once does).
        existing = await models.Redemption.get_or_none(member_id=member_id, idempotency_key=key)
        if existing is not None:
            return await _replay(existing, fingerprint, client, now)
        if refused.code == "INSUFFICIENT_POINTS" and refused.field != "quantity":
            # The ledger's own check, after a concurrent spend: the input that decides it is the quantity.
            raise DomainError(refused.code, refused.message, field="quantity") from None
        raise


class _KeyTaken(Exception):
    """The insert of a new redemption hit a unique violation, most likely a concurrent same-key request."""

    def __init__(self, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.error = error


async def _insert_redemption(**values: object) -> models.Redemption:
    """The only insert that may race on (member, idempotency_key); raised as _KeyTaken so that the
    transaction around it rolls back and `redeem` answers with the winner's redemption."""
    try:
        return await models.Redemption.create(**values)
    except IntegrityError as error:
        raise _KeyTaken(error) from error


async def _redeem_new(
    member_id: int,
    reward_key: str,
    quantity: int,
    key: str,
    fingerprint: str,
    items: ItemSource | None,
    client: PartnerClient | None,
    grace_seconds: float,
    now: datetime | None,
) -> models.Redemption:
    member = await models.Member.get_or_none(id=member_id)
    if member is None:
        raise NotFound("Member")
    if member.status != MemberStatus.ACTIVE:
        raise DomainError("MEMBER_INACTIVE", f"Your membership is {member.status}: redeeming is closed")
    target = await resolve_target(reward_key, items)
    await check_tier(member, target.item)
    points = target.item.points_price * quantity
    if member.points_balance < points:
        raise DomainError(
            "INSUFFICIENT_POINTS", f"This takes {points} points and only {member.points_balance} are available",
            field="quantity",
        )
    if target.issued_by_club:
        return await _issue_by_club(member, target, quantity, points, key, fingerprint, now or ledger.utcnow())
    assert client is not None, "a partner with an endpoint is only called with a client"
    tier = await models.Tier.get(id=member.tier_id)
    return await _start_saga(member, tier, target, quantity, points, key, fingerprint, client, grace_seconds, now)


async def _replay(
    redemption: models.Redemption, fingerprint: str, client: PartnerClient | None, now: datetime | None
) -> models.Redemption:
    """The redemption of a same-key retry; a pending one is driven on if this retry can claim it.

    During the grace the row is its request's, and during a reconciler's lease the reconciler's:
    the retry then answers the redemption as it stands (pending), and never races them.
    """
    if redemption.fingerprint != fingerprint:
        raise DomainError(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was used for another reward or quantity; use a new key for a new redemption",
            field="idempotencyKey",
        )
    if redemption.status != RedemptionStatus.PENDING or redemption.partner_id is None or client is None:
        return redemption
    partner = await models.Partner.get(id=redemption.partner_id)
    if not partner.base_url:
        return redemption
    if not await claim(redemption, at=now or ledger.utcnow()):
        return await models.Redemption.get(id=redemption.id)
    member = await models.Member.get(id=redemption.member_id)
    tier = await models.Tier.get(id=member.tier_id)
    reference = await reference_for(partner_id=partner.id, member_id=member.id)
    # Repeating the issue with the same redemptionId is safe (protocol 6.1) and settles it sooner.
    return await _drive(redemption, Endpoint.of(partner), client, reference, tier.name, now)


async def claim(redemption: models.Redemption, *, at: datetime) -> bool:
    """Take the row for one try, if it is due and nobody took it since it was read.

    A conditional update on `attempts` (the row's version) that pushes `next_attempt_at` past what
    the try takes, counted from `at`, the moment of the claim: whoever claims a row has it to
    itself for that long. `redemption` is updated to the claimed version.
    """
    if redemption.next_attempt_at is not None and redemption.next_attempt_at > at:
        return False
    attempts = redemption.attempts + 1
    next_attempt_at = at + backoff(attempts)
    claimed = await models.Redemption.filter(
        id=redemption.id, status=redemption.status, attempts=redemption.attempts
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at)).update(
        attempts=attempts, next_attempt_at=next_attempt_at
    )
    if not claimed:
        return False
    redemption.attempts, redemption.next_attempt_at = attempts, next_attempt_at
    return True


async def _take_stock(target: Target, quantity: int) -> None:
    """Decrement the stock if enough is left (or it is unlimited), under the row's lock; else OUT_OF_STOCK."""
    if target.reward is not None:
        rows = models.Reward.filter(id=target.reward.id)
    else:
        assert target.pushed is not None
        rows = models.PartnerCatalogItem.filter(id=target.pushed.id)
    if await rows.filter(stock__gte=quantity).update(stock=F("stock") - quantity):
        return
    if await rows.filter(stock__isnull=True).exists():
        return
    raise DomainError("OUT_OF_STOCK", f"Not enough {target.item.title!r} left for {quantity}", field="quantity")


async def _issue_by_club(
    member: models.Member, target: Target, quantity: int, points: int, key: str, fingerprint: str, now: datetime
) -> models.Redemption:
    item = target.item
    reference = new_reference()
    async with in_transaction():
        await _take_stock(target, quantity)
        entry = await ledger.debit(
            member_id=member.id,
            points=points,
            kind=EntryKind.REDEEM,
            fields=ledger.EntryFields(source=EntrySource.REDEMPTION, reason=f"Redeemed: {item.title}", reference=reference),
            now=now,
        )
        assert entry is not None
        redemption = await _insert_redemption(
            reference=reference,
            member_id=member.id,
            partner_id=item.partner_id,
            reward_id=target.reward.id if target.reward else None,
            item_id=item.item_id,
            title=item.title,
            quantity=quantity,
            points=points,
            status=RedemptionStatus.COMPLETED,
            idempotency_key=key,
            fingerprint=fingerprint,
            redeem_entry_id=entry.id,
            created_at=now,
            settled_at=now,
        )
        await models.Voucher.create(
            redemption_id=redemption.id,
            member_id=member.id,
            partner_id=item.partner_id,
            code=new_club_code(),
            title=item.title,
            quantity=quantity,
            status=VoucherStatus.ISSUED,
            issued_at=now,
            expires_at=now + timedelta(days=item.validity_days),
        )
        await _completed_event(redemption, now)
    return redemption


async def _start_saga(
    member: models.Member,
    tier: models.Tier,
    target: Target,
    quantity: int,
    points: int,
    key: str,
    fingerprint: str,
    client: PartnerClient,
    grace_seconds: float,
    now: datetime | None,
) -> models.Redemption:
    assert target.partner is not None
    item = target.item
    # Outside the transaction: a first use may hit (and recover from) a unique violation.
    member_reference = await reference_for(partner_id=target.partner.id, member_id=member.id)
    started = now or ledger.utcnow()
    reference = new_reference()
    async with in_transaction():
        hold = await ledger.hold(
            member_id=member.id, points=points, reference=reference, now=started, reason=f"Held for: {item.title}"
        )
        redemption = await _insert_redemption(
            reference=reference,
            member_id=member.id,
            partner_id=target.partner.id,
            item_id=item.item_id,
            title=item.title,
            quantity=quantity,
            points=points,
            status=RedemptionStatus.PENDING,
            idempotency_key=key,
            fingerprint=fingerprint,
            hold_entry_id=hold.id,
            next_attempt_at=started + timedelta(seconds=grace_seconds),
            created_at=started,
        )
    faults.crash_point(faults.CRASH_AFTER_HOLD)
    return await _drive(redemption, Endpoint.of(target.partner), client, member_reference, tier.name, now)


async def _drive(
    redemption: models.Redemption,
    endpoint: Endpoint,
    client: PartnerClient,
    member_reference: str,
    tier_name: str | None,
    now: datetime | None,
) -> models.Redemption:
    """Ask the partner to issue, and settle by its answer; leaves the redemption pending when unknown."""
    try:
        reward = await client.issue(
            endpoint,
            redemption_id=redemption.reference,
            item_id=redemption.item_id,
            quantity=redemption.quantity,
            member_reference=member_reference,
            tier=tier_name,
        )
    except PartnerRefusal as refusal:
        if refusal.code in _NOT_DEFINITIVE:
            return await _look_up(redemption, endpoint, client, now)
        await give_back(
            redemption.id,
            RedemptionStatus.REFUSED,
            code=refusal.code,
            message=refusal.message or f"{endpoint.name} refused the reward",
            now=now,
        )
        return await models.Redemption.get(id=redemption.id)
    except PartnerUnavailable as unavailable:
        logger.warning("redemption %s: issue outcome unknown (%s), asking the status", redemption.reference, unavailable)
        return await _look_up(redemption, endpoint, client, now)
    if not _about(reward, redemption):
        logger.warning("redemption %s: the issue answer is about another reward, asking the status", redemption.reference)
        return await _look_up(redemption, endpoint, client, now)
    faults.crash_point(faults.CRASH_AFTER_ISSUE)
    await settle(redemption.id, reward, now=now)
    faults.crash_point(faults.CRASH_AFTER_CAPTURE)
    return await models.Redemption.get(id=redemption.id)


async def _look_up(
    redemption: models.Redemption, endpoint: Endpoint, client: PartnerClient, now: datetime | None
) -> models.Redemption:
    """One status lookup after an unknown outcome; anything but an answer leaves it to reconciliation."""
    try:
        reward = await client.status(endpoint, redemption.reference)
    except (PartnerUnavailable, PartnerRefusal) as failure:
        logger.warning("redemption %s: status unknown (%s), left pending", redemption.reference, failure)
        reward = None
    if reward is not None and _about(reward, redemption):
        await settle(redemption.id, reward, now=now)
    # 404 here may be an issue still in flight: only reconciliation fences it, after the grace.
    return await models.Redemption.get(id=redemption.id)


def _about(reward: IssuedReward, redemption: models.Redemption) -> bool:
    """Whether the partner's answer is about this redemption: its id, and when issued its item and quantity.

    Anything else is no answer at all: settling by it could capture points for another reward.
    """
    if reward.redemption_id != redemption.reference:
        return False
    return not reward.issued or (reward.item_id, reward.quantity) == (redemption.item_id, redemption.quantity)


# --- settling: each a conditional update from pending (cancel: or cancelling) with the points' move


async def settle(redemption_id: int, reward: IssuedReward, *, now: datetime | None = None) -> bool:
    """Settle by the partner's definitive word: issued completes it, cancelled gives the points back."""
    if reward.issued:
        return await complete(redemption_id, reward, now=now)
    return await give_back(
        redemption_id,
        RedemptionStatus.CANCELLED,
        code="CANCELLED",
        message="The partner has the reward cancelled: nothing was issued, the points were given back",
        now=now,
    )


async def complete(redemption_id: int, reward: IssuedReward, *, now: datetime | None = None) -> bool:
    """Pending to completed, the hold captured and the partner's voucher recorded; False if not pending.

    Never from cancelling: once a reconciler decided to fence the redemption, its cancel may void
    the reward at the partner, so capturing the points for it could charge for a void voucher.
    """
    now = now or ledger.utcnow()
    async with in_transaction():
        moved = await models.Redemption.filter(id=redemption_id, status=RedemptionStatus.PENDING).update(
            status=RedemptionStatus.COMPLETED, settled_at=now, next_attempt_at=None
        )
        if not moved:
            return False
        redemption = await models.Redemption.get(id=redemption_id)
        assert redemption.hold_entry_id is not None
        entry = await ledger.capture(hold_entry_id=redemption.hold_entry_id, reason=f"Redeemed: {redemption.title}", now=now)
        await models.Redemption.filter(id=redemption_id).update(redeem_entry_id=entry.id)
        await models.Voucher.create(
            redemption_id=redemption_id,
            member_id=redemption.member_id,
            partner_id=redemption.partner_id,
            code=reward.voucher_code,
            fulfilment_id=reward.fulfilment_id,
            title=redemption.title,
            quantity=redemption.quantity,
            status=VoucherStatus.ISSUED,
            issued_at=reward.issued_at or now,
            expires_at=reward.expires_at,
        )
        await _completed_event(redemption, now)
    return True


async def _completed_event(redemption: models.Redemption, now: datetime) -> None:
    """The `redemption.completed` webhook event, in the transaction that completes the redemption."""
    payload = outbox.redemption_completed(redemption, completed_at=now)
    await outbox.enqueue(models.WebhookEventType.REDEMPTION_COMPLETED, payload, member_id=redemption.member_id, now=now)


async def give_back(
    redemption_id: int, status: RedemptionStatus, *, code: str, message: str, now: datetime | None = None
) -> bool:
    """To refused (from pending) or cancelled (from pending or cancelling), the hold released; False otherwise."""
    assert status in (RedemptionStatus.REFUSED, RedemptionStatus.CANCELLED)
    now = now or ledger.utcnow()
    from_statuses = _UNSETTLED if status == RedemptionStatus.CANCELLED else (RedemptionStatus.PENDING,)
    async with in_transaction():
        moved = await models.Redemption.filter(id=redemption_id, status__in=from_statuses).update(
            status=status, settled_at=now, next_attempt_at=None, failure_code=code[:64], failure_message=message[:500]
        )
        if not moved:
            return False
        redemption = await models.Redemption.get(id=redemption_id)
        assert redemption.hold_entry_id is not None
        await ledger.release(
            hold_entry_id=redemption.hold_entry_id, reason=f"Given back: {redemption.title} ({code})", now=now
        )
    return True


# --- reconciliation ----------------------------------------------------------------------------


async def reconcile_pending(
    *, client: PartnerClient, now: datetime | None = None, batch: int = RECONCILE_BATCH
) -> dict[str, int]:
    """Settle the pending and cancelling redemptions that are due, by the partner's word. Returns outcome counts.

    Safe in several processes at once: each row is claimed (`claim`) before it is worked on. The
    claims' leases count from the moment of each claim, not from the batch's start, so that a row
    worked late in a long batch is not due again, for another worker, before its try is over.
    """
    started = ledger.utcnow()
    now = now or started
    rows = await (
        models.Redemption.filter(status__in=_UNSETTLED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(batch)
    )
    partners = {
        partner.id: partner
        for partner in await models.Partner.filter(id__in={row.partner_id for row in rows if row.partner_id})
    }
    gate = asyncio.Semaphore(RECONCILE_CONCURRENCY)

    def clock() -> datetime:
        """`now` moved on by the time spent since the batch started: the moment of a claim."""
        return now + (ledger.utcnow() - started)

    async def one(row: models.Redemption) -> str:
        async with gate:
            try:
                return await reconcile_one(row, partners.get(row.partner_id or 0), client, clock())
            except Exception:
                logger.exception("redemption %s: reconciliation failed; it is tried again later", row.reference)
                return "failed"

    outcomes = Counter(await asyncio.gather(*(one(row) for row in rows)))
    if rows:
        logger.info("reconciled pending redemptions: %s", dict(outcomes))
    return dict(outcomes)


async def reconcile_one(
    redemption: models.Redemption, partner: models.Partner | None, client: PartnerClient, now: datetime
) -> str:
    """One try at settling a pending or cancelling redemption, claimed at `now`.

    Returns completed, cancelled, retry_later, taken or no_endpoint.
    """
    if not await claim(redemption, at=now):
        return "taken"
    if partner is None or not partner.base_url:
        # Only partners with an endpoint leave redemptions pending: this one lost it since. Backed
        # off like a failed try, so that it does not stay first in every batch and starve the rest.
        logger.error(
            "redemption %s: partner %s has no endpoint any more, so it cannot be settled (points held); "
            "give the partner its base URL back",
            redemption.reference,
            partner.name if partner is not None else redemption.partner_id,
        )
        return "no_endpoint"
    endpoint = Endpoint.of(partner)
    try:
        if redemption.status == RedemptionStatus.CANCELLING:
            return await _fence(redemption, endpoint, client, now)
        reward = await client.status(endpoint, redemption.reference)
        if reward is None:
            # Never heard of: decide the fence first (nothing completes after this), then send it,
            # so that an issue still in flight can no longer land.
            fenced = await models.Redemption.filter(
                id=redemption.id, status=RedemptionStatus.PENDING, attempts=redemption.attempts
            ).update(status=RedemptionStatus.CANCELLING)
            if not fenced:
                return "taken"
            redemption.status = RedemptionStatus.CANCELLING
            return await _fence(redemption, endpoint, client, now)
        if not _about(reward, redemption):
            raise PartnerUnavailable(endpoint.name, "answered about another reward")
    except (PartnerUnavailable, PartnerRefusal) as failure:
        # No definitive answer: tried again after the backoff the claim set.
        logger.warning(
            "redemption %s: still %s after %s tries (%s)", redemption.reference, redemption.status, redemption.attempts, failure
        )
        return "retry_later"
    if not await settle(redemption.id, reward, now=now):
        return "taken"
    return "completed" if reward.issued else "cancelled"


async def _fence(redemption: models.Redemption, endpoint: Endpoint, client: PartnerClient, now: datetime) -> str:
    """Cancel a cancelling redemption at the partner (idempotent), and settle by the answer.

    Cancelled: the points go back. NOT_CANCELLABLE: the reward was issued after all and can no
    longer be taken back: back to pending, and the status lookup completes it. Anything else
    (PartnerUnavailable, another refusal) is raised: the row stays cancelling and is tried again.
    """
    try:
        reward = await client.cancel(
            endpoint, redemption.reference, reason="The club could not learn whether the reward was issued"
        )
    except PartnerRefusal as refusal:
        if refusal.code != _NOT_CANCELLABLE:
            raise
        back = await models.Redemption.filter(
            id=redemption.id, status=RedemptionStatus.CANCELLING, attempts=redemption.attempts
        ).update(status=RedemptionStatus.PENDING)
        if not back:
            return "taken"
        logger.warning("redemption %s: not cancellable at %s, so issued: completing it", redemption.reference, endpoint.name)
        redemption.status = RedemptionStatus.PENDING
        issued = await client.status(endpoint, redemption.reference)
        if issued is None or not issued.issued or not _about(issued, redemption):
            return "retry_later"
        return "completed" if await complete(redemption.id, issued, now=now) else "taken"
    if reward.issued or not _about(reward, redemption):
        raise PartnerUnavailable(endpoint.name, "answered a cancel with something that is not a cancelled reward")
    if not await give_back(
        redemption.id,
        RedemptionStatus.CANCELLED,
        code="CANCELLED",
        message="The partner has the reward cancelled: nothing was issued, the points were given back",
        now=now,
    ):
        return "taken"
    return "cancelled"


async def run_reconciler(client: PartnerClient, interval_seconds: float) -> None:
    """Reconcile now (start-up), then every `interval_seconds`, until cancelled."""
    while True:
        try:
            await reconcile_pending(client=client)
        except Exception:
            logger.exception("reconciliation failed; it runs again at the next interval")
        await asyncio.sleep(interval_seconds)
