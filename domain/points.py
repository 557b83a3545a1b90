"""Points business actions: purchases and refunds, staff adjustments, transfers, bonuses, and reads.

Every balance move goes through `ledger`. Every move a caller asks for runs through
`idempotency.run_once`, so a retry with the same key gets the first result back, a dict of ids
that the schema layer turns into the same payload; the bonuses the club grants by itself are
idempotent through the entry's `reference` instead, for ever, not just for the keys' retention.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import idempotency, ledger, lifecycle, models, outbox, rules, tiers
from domain.db import fetch_dicts, month_day_sql
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.ledger import EntryFields
from domain.members import member_for_write
from domain.models import EntryKind, EntrySource, MemberStatus
from domain.policy import Permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000.00")  # keeps points within the 32-bit balance columns
MAX_POINTS = 1_000_000
MAX_EXPIRY_DAYS = 3650
MULTIPLIER_BENEFIT = "points_multiplier"
_CURRENCY = re.compile(r"^[A-Z]{3}$")

Result = dict[str, Any]


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _money(value: Decimal, *, field: str, label: str, allow_zero: bool = False) -> Decimal:
    """A currency amount with at most two decimals, within range."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("INVALID", f"{label} must be a number", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError("INVALID", f"{label} must be greater than zero", field=field)
    if value > MAX_AMOUNT:
        raise DomainError("INVALID", f"{label} must be at most {MAX_AMOUNT}", field=field)
    if value != value.quantize(CENT):
        raise DomainError("INVALID", f"{label} can have at most two decimals", field=field)
    return value.quantize(CENT)


def _points(points: int, *, signed: bool = False) -> int:
    if not isinstance(points, int) or points == 0 or abs(points) > MAX_POINTS or (points < 0 and not signed):
        kind = "non-zero" if signed else "positive"
        raise DomainError(
            "INVALID", f"The points must be a {kind} whole number of at most {MAX_POINTS:,}", field="points"
        )
    return points


def _currency(currency: str) -> str:
    currency = currency.strip().upper()
    if not _CURRENCY.match(currency):
        raise DomainError("INVALID", "Enter the currency as a three-letter ISO code, e.g. CHF", field="currency")
    if currency != rules.RULES.currency:
        raise DomainError(
            "UNSUPPORTED_CURRENCY", f"Purchases earn points in {rules.RULES.currency} only", field="currency"
        )
    return currency


async def _sum(query: QuerySet[Any], column: str) -> int:
    total = await query.annotate(total=Sum(column)).first().values_list("total", flat=True)
    return int(total or 0)


# --- purchases ---------------------------------------------------------------------------------


async def record_purchase(
    *,
    viewer: Viewer,
    member_id: int,
    amount: Decimal,
    currency: str,
    outlet: str,
    external_reference: str,
    paid_with_points: Decimal = Decimal(0),
    idempotency_key: str,
    now: datetime | None = None,
) -> Result:
    """Record a purchase and credit what it earns; returns `purchase_id` and the member's `entry_ids`.

    Earns floor(cash part x points per unit x tier multiplier), plus the bonus of every campaign
    running at `now` within its caps. A member's first purchase rewards their referrer, once.
    """
    require_permission(viewer, Permission.PURCHASE_RECORD)
    await member_for_write(viewer=viewer, member_id=member_id, permission=Permission.PURCHASE_RECORD, allow_self=False)
    amount = _money(amount, field="amount", label="The amount")
    paid_with_points = _money(
        paid_with_points, field="paidWithPoints", label="The part paid with points", allow_zero=True
    )
    if paid_with_points > amount:
        raise DomainError("INVALID", "The part paid with points cannot exceed the amount", field="paidWithPoints")
    purchase = {
        "member_id": member_id,
        "amount": amount,
        "paid_with_points": paid_with_points,
        "currency": _currency(currency),
        "outlet": clean_text(outlet, field="outlet", max_length=100),
        "external_reference": clean_text(external_reference, field="externalReference", max_length=100),
    }
    now = now or ledger.utcnow()
    result = await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "purchase_record"),
        key=idempotency_key,
        arguments=purchase,
        action=lambda: _record_purchase(purchase, staff_id=viewer.id, now=now),
    )
    # After the commit, and on replays too: a crash between the two is mended by the client's retry.
    await tiers.evaluate_upgrade(member_id=member_id, now=now)
    await lifecycle.note_activity(member_id=member_id, at=now)
    return result


async def _record_purchase(purchase: dict[str, Any], *, staff_id: int | None, now: datetime) -> Result:
    member_id = purchase["member_id"]
    member = await models.Member.get(id=member_id)
    referrer_id = member.referred_by_id if member.referral_rewarded_at is None else None
    # Both rows before anything else: the referrer is credited below, after the campaign rows are locked.
    member = (await ledger.lock_members([member_id, referrer_id]))[member_id]
    if member.status != MemberStatus.ACTIVE:
        raise DomainError("MEMBER_INACTIVE", "Only active members earn points", field="memberId")
    first_purchase = not await models.Purchase.filter(member_id=member_id).exists()
    base = _floor(
        (purchase["amount"] - purchase["paid_with_points"])
        * rules.RULES.points_per_currency_unit
        * await _multiplier(member.tier_id)
    )
    bonuses = [(campaign, await _campaign_bonus(campaign, member_id, base)) for campaign in await _campaigns(now)]
    earned = base + sum(bonus for _, bonus in bonuses)
    if earned > MAX_POINTS:
        # Refused, not capped: a silent cap would short the member. The campaign budgets roll back too.
        raise DomainError(
            "INVALID", f"This purchase would earn {earned:,} points, more than the {MAX_POINTS:,} one purchase may earn",
            field="amount",
        )
    try:
        row = await models.Purchase.create(
            **purchase,
            points_earned=earned,
            recorded_by_id=staff_id,
            created_at=now,
        )
    except IntegrityError:
        raise DomainError(
            "DUPLICATE_PURCHASE",
            "This outlet already recorded a purchase with this reference",
            field="externalReference",
        ) from None
    entries = []
    if base:
        fields = EntryFields(
            source=EntrySource.PURCHASE, reason=f"Purchase at {row.outlet}", purchase_id=row.id, created_by_id=staff_id
        )
        entries += await ledger.credit(member_id=member_id, points=base, fields=fields, now=now)
    for campaign, bonus in bonuses:
        if bonus:
            fields = EntryFields(
                source=EntrySource.CAMPAIGN,
                reason=campaign.name,
                purchase_id=row.id,
                campaign_id=campaign.id,
                created_by_id=staff_id,
            )
            entries += await ledger.credit(member_id=member_id, points=bonus, fields=fields, now=now)
    if first_purchase and referrer_id is not None:
        await _reward_referrer(member_id=member_id, referrer_id=referrer_id, purchase_id=row.id, now=now)
    return {"purchase_id": row.id, "entry_ids": [entry.id for entry in entries]}


async def _multiplier(tier_id: int) -> Decimal:
    value = await (
        models.Benefit.filter(tier_id=tier_id, code=MULTIPLIER_BENEFIT).first().values_list("value", flat=True)
    )
    return Decimal(value) if value is not None else Decimal(1)


async def _campaigns(now: datetime) -> list[models.Campaign]:
    return await models.Campaign.filter(starts_at__lte=now, ends_at__gt=now).order_by("id")


async def _campaign_bonus(campaign: models.Campaign, member_id: int, base: int) -> int:
    """The campaign's bonus on `base` points, within its caps; takes it from the campaign's budget.

    Caps count points awarded: a refund takes the points back but does not give the cap back.
    """
    bonus = _floor(base * campaign.bonus_multiplier)
    if campaign.cap_per_member is not None and bonus > 0:
        # The member's row is locked: their concurrent purchases cannot both see the same room.
        awarded = await _sum(
            models.LedgerEntry.filter(member_id=member_id, campaign_id=campaign.id, kind=EntryKind.EARN), "amount"
        )
        bonus = min(bonus, campaign.cap_per_member - awarded)
    while bonus > 0:
        budget = models.Campaign.filter(id=campaign.id)
        if campaign.cap_total is not None:
            budget = budget.filter(awarded_total__lte=campaign.cap_total - bonus)
        if await budget.update(awarded_total=F("awarded_total") + bonus) == 1:
            return bonus
        # Other purchases took the budget meanwhile: offer what is left of it, which only shrinks.
        awarded_total = (await models.Campaign.get(id=campaign.id)).awarded_total
        bonus = min(bonus, campaign.cap_total - awarded_total)  # type: ignore[operator]
    return 0


async def _reward_referrer(*, member_id: int, referrer_id: int, purchase_id: int, now: datetime) -> None:
    referrer = await models.Member.get_or_none(id=referrer_id)
    if referrer is None or referrer.status != MemberStatus.ACTIVE:
        return
    # Conditional on no reward yet: with the row-count check, the reward flows exactly once.
    if not await models.Member.filter(id=member_id, referral_rewarded_at__isnull=True).update(referral_rewarded_at=now):
        return
    fields = EntryFields(
        source=EntrySource.REFERRAL,
        reason="A member you referred made their first purchase",
        purchase_id=purchase_id,
        counterpart_id=member_id,
    )
    await ledger.credit(member_id=referrer_id, points=rules.RULES.referral_reward, fields=fields, now=now)


async def refund_purchase(
    *,
    viewer: Viewer,
    purchase_id: int,
    amount: Decimal | None = None,
    idempotency_key: str,
    now: datetime | None = None,
) -> Result:
    """Refund a purchase, in full (`amount` None: what is left) or in part, and take back its points.

    Takes back the refunded share of the points earned, from the purchase's own lots first; what
    the balance cannot cover becomes debt that later credits clear. A full refund also takes back
    the referral reward the purchase paid. Returns `purchase_id`, `entry_ids`, `amount`,
    `points_reversed` and `points_owed`.
    """
    require_permission(viewer, Permission.PURCHASE_REFUND)
    purchase = await models.Purchase.get_or_none(id=purchase_id)
    if purchase is None:
        raise NotFound("Purchase", field="purchaseId")
    await member_for_write(
        viewer=viewer, member_id=purchase.member_id, permission=Permission.PURCHASE_REFUND, allow_self=False
    )
    if amount is not None:
        amount = _money(amount, field="amount", label="The amount")
    now = now or ledger.utcnow()
    result = await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "purchase_refund"),
        key=idempotency_key,
        arguments={"purchase_id": purchase_id, "amount": amount},
        action=lambda: _refund(purchase, amount, staff_id=viewer.id, now=now),
    )
    # After the commit: the refund lowers the spend, and a whole one takes the day's visit away.
    await lifecycle.note_activity(member_id=purchase.member_id, at=now)
    return result


async def _refund(purchase: models.Purchase, amount: Decimal | None, *, staff_id: int | None, now: datetime) -> Result:
    referral = await models.LedgerEntry.get_or_none(purchase_id=purchase.id, source=EntrySource.REFERRAL)
    await ledger.lock_members([purchase.member_id, referral.member_id if referral else None])
    # Re-read under the member's lock: refunds of one purchase queue up and see each other.
    purchase = await models.Purchase.get(id=purchase.id)
    left = purchase.amount - purchase.refunded_amount
    if left <= 0:
        raise DomainError("ALREADY_REFUNDED", "This purchase was already refunded in full", field="purchaseId")
    amount = left if amount is None else amount
    if amount > left:
        raise DomainError(
            "REFUND_TOO_LARGE", f"At most {left} {purchase.currency} of this purchase is left to refund", field="amount"
        )
    refunded = purchase.refunded_amount + amount
    # The points kept are rounded down, so refunding in parts never keeps more than refunding at once.
    kept = _floor(purchase.points_earned * (purchase.amount - refunded) / purchase.amount)
    points = purchase.points_earned - kept - purchase.points_reversed
    entries = []
    if points > 0:
        own_lots = await models.PointsLot.filter(
            member_id=purchase.member_id, entry__purchase_id=purchase.id
        ).values_list("id", flat=True)
        fields = EntryFields(
            source=EntrySource.REFUND,
            # No amount: money spent is for the roles that may see spend (domain/privacy.py), and the
            # points history is shown to every reader of the member.
            reason=f"Refund of a purchase at {purchase.outlet}",
            purchase_id=purchase.id,
            created_by_id=staff_id,
        )
        entry = await ledger.debit(
            member_id=purchase.member_id,
            points=points,
            kind=EntryKind.REVERSE,
            fields=fields,
            now=now,
            prefer_lot_ids=own_lots,
            shortfall_to_debt=True,
        )
        entries += [entry] if entry else []
    await models.Purchase.filter(id=purchase.id).update(
        refunded_amount=refunded, points_reversed=purchase.points_reversed + points
    )
    if refunded == purchase.amount and referral is not None:
        await _take_back(referral, reason="The referred member's first purchase was refunded", now=now)
    taken = sum(-entry.amount for entry in entries)
    return {
        "purchase_id": purchase.id,
        "entry_ids": [entry.id for entry in entries],
        "amount": str(amount),
        "points_reversed": points,
        "points_owed": points - taken,
    }


async def _take_back(credit: models.LedgerEntry, *, reason: str, now: datetime) -> None:
    """Reverse a credit from its own lot first, as debt where the balance falls short."""
    lots = await models.PointsLot.filter(entry_id=credit.id).values_list("id", flat=True)
    fields = EntryFields(
        source=EntrySource.REFUND, reason=reason, reverses_id=credit.id, purchase_id=credit.purchase_id
    )
    await ledger.debit(
        member_id=credit.member_id,
        points=credit.amount,
        kind=EntryKind.REVERSE,
        fields=fields,
        now=now,
        prefer_lot_ids=lots,
        shortfall_to_debt=True,
    )


# --- adjustments and transfers -------------------------------------------------------------------


async def adjust_points(
    *, viewer: Viewer, member_id: int, points: int, reason: str, idempotency_key: str, now: datetime | None = None
) -> Result:
    """Staff add (points > 0) or remove (points < 0) points, with a reason; returns `entry_ids`.

    A removal never goes below zero: it is refused when the balance is short.
    """
    require_permission(viewer, Permission.POINTS_ADJUST)
    await member_for_write(viewer=viewer, member_id=member_id, permission=Permission.POINTS_ADJUST, allow_self=False)
    points = _points(points, signed=True)
    fields = EntryFields(
        source=EntrySource.STAFF, reason=clean_text(reason, field="reason", max_length=500), created_by_id=viewer.id
    )
    now = now or ledger.utcnow()

    async def action() -> Result:
        if points > 0:
            entries = await ledger.credit(
                member_id=member_id, points=points, fields=fields, kind=EntryKind.ADJUST, now=now
            )
        else:
            entries = [
                await ledger.debit(member_id=member_id, points=-points, kind=EntryKind.ADJUST, fields=fields, now=now)
            ]
        return {"entry_ids": [entry.id for entry in entries]}

    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "points_adjust"),
        key=idempotency_key,
        arguments={"member_id": member_id, "points": points, "reason": fields.reason},
        action=action,
    )


async def transfer_points(
    *,
    viewer: Viewer,
    from_member_id: int,
    to_member_id: int,
    points: int,
    idempotency_key: str,
    note: str = "",
    now: datetime | None = None,
) -> Result:
    """A member gives points from their own account to another active member; returns `entry_id`.

    The receiver gets the very lots' expiry dates, so a transfer never extends the points' life.
    Points sent per sender and UTC day are limited by `RULES.transfer_daily_limit`.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if viewer.is_staff:
        raise PermissionDenied()  # staff adjust points; transfers are the members' own decision
    if not viewer.is_member_self(from_member_id):
        raise NotFound("Member", field="fromMemberId")
    points = _points(points)
    if to_member_id == from_member_id:
        raise DomainError("SELF_TRANSFER", "Choose another member to send points to", field="toMemberId")
    note = clean_text(note, field="note", max_length=200, required=False)
    now = now or ledger.utcnow()
    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "points_transfer"),
        key=idempotency_key,
        arguments={"from_member_id": from_member_id, "to_member_id": to_member_id, "points": points, "note": note},
        action=lambda: _transfer(from_member_id, to_member_id, points, note, now),
    )


async def _transfer(sender_id: int, receiver_id: int, points: int, note: str, now: datetime) -> Result:
    if not await models.Member.exists(id=receiver_id):
        raise NotFound("Member", field="toMemberId")
    locked = await ledger.lock_members([sender_id, receiver_id])
    if locked[sender_id].status != MemberStatus.ACTIVE:
        raise DomainError("MEMBER_INACTIVE", "Your membership is not active", field="fromMemberId")
    if locked[receiver_id].status != MemberStatus.ACTIVE:
        # Told apart from an unknown member, it would let a member probe who exists and who is suspended.
        raise NotFound("Member", field="toMemberId")
    # Counted under the sender's lock, so that concurrent transfers cannot both fit in the limit.
    day = datetime.combine(now.astimezone(timezone.utc).date(), time(), tzinfo=timezone.utc)
    sent_today = -await _sum(
        models.LedgerEntry.filter(
            member_id=sender_id,
            kind=EntryKind.TRANSFER_OUT,
            created_at__gte=day,
            created_at__lt=day + timedelta(days=1),
        ),
        "amount",
    )
    limit = rules.RULES.transfer_daily_limit
    if sent_today + points > limit:
        raise DomainError(
            "DAILY_LIMIT_EXCEEDED",
            f"You can send {max(limit - sent_today, 0):,} more points today (at most {limit:,} a day)",
            field="points",
        )
    reason = note or "Points transfer"
    sent = await ledger.debit(
        member_id=sender_id,
        points=points,
        kind=EntryKind.TRANSFER_OUT,
        fields=EntryFields(source=EntrySource.TRANSFER, reason=reason, counterpart_id=receiver_id),
        now=now,
    )
    assert sent is not None
    # One credit per expiry date of the lots the points came from.
    by_expiry: dict[datetime, int] = defaultdict(int)
    for expires_at, taken in await models.LotConsumption.filter(entry_id=sent.id).values_list(
        "lot__expires_at", "amount"
    ):
        by_expiry[expires_at] += taken
    fields = EntryFields(source=EntrySource.TRANSFER, reason=reason, counterpart_id=sender_id)
    for expires_at in sorted(by_expiry):
        await ledger.credit(
            member_id=receiver_id,
            points=by_expiry[expires_at],
            fields=fields,
            kind=EntryKind.TRANSFER_IN,
            now=now,
            expires_at=expires_at,
        )
    return {"entry_id": sent.id}


# --- bonuses the club grants by itself ---------------------------------------------------------


async def _award_once(
    *, member_id: int, source: EntrySource, reference: str, points: int, reason: str, now: datetime | None
) -> models.LedgerEntry | None:
    """Credit an active member once per (source, reference); None when done before or not active."""
    async with in_transaction():
        member = (await ledger.lock_members([member_id]))[member_id]
        done = await models.LedgerEntry.exists(member_id=member_id, source=source, reference=reference)
        if done or member.status != MemberStatus.ACTIVE:
            return None
        fields = EntryFields(source=source, reason=reason, reference=reference)
        entries = await ledger.credit(member_id=member_id, points=points, fields=fields, now=now)
    return entries[0]


async def award_birthday_bonus(*, member_id: int, year: int, now: datetime | None = None) -> models.LedgerEntry | None:
    return await _award_once(
        member_id=member_id,
        source=EntrySource.BIRTHDAY,
        reference=f"birthday:{year}",
        points=rules.RULES.birthday_bonus,
        reason=f"Happy birthday! Bonus {year}",
        now=now,
    )


def birthdays_on(today: date) -> list[str]:
    """The birthdays celebrated on `today`, as 'MMDD': those born on 29 February celebrate on the 28th in other years."""
    month_days = [today.strftime("%m%d")]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        month_days.append("0229")
    return month_days


def celebrates(birthday: date, today: date) -> bool:
    return birthday.strftime("%m%d") in birthdays_on(today)


async def run_birthday_bonuses(*, today: date, now: datetime | None = None) -> int:
    """Award the birthday bonus to every active member whose birthday is `today`; returns how many got it.

    Safe to run as often as wanted, in several processes at once: each award happens once a year.
    """
    month_days = birthdays_on(today)
    placeholders = ", ".join(f"${n}" for n in range(2, len(month_days) + 2))
    rows = await fetch_dicts(
        f"SELECT id FROM member WHERE status = $1 AND {month_day_sql('birthday')} IN ({placeholders}) ORDER BY id",
        [MemberStatus.ACTIVE.value, *month_days],
    )
    awarded = 0
    for row in rows:
        if await award_birthday_bonus(member_id=row["id"], year=today.year, now=now):
            awarded += 1
    return awarded


async def award_survey_points(
    *, member_id: int, survey_response_id: int, now: datetime | None = None
) -> models.LedgerEntry | None:
    return await _award_once(
        member_id=member_id,
        source=EntrySource.SURVEY,
        reference=f"survey-response:{survey_response_id}",
        points=rules.RULES.survey_points,
        reason="Thank you for answering our survey",
        now=now,
    )


async def award_event_attendance(
    *, member_id: int, registration_id: int, now: datetime | None = None
) -> models.LedgerEntry | None:
    return await _award_once(
        member_id=member_id,
        source=EntrySource.EVENT,
        reference=f"event-registration:{registration_id}",
        points=rules.RULES.event_attendance_points,
        reason="Thank you for attending",
        now=now,
    )


# --- reads ------------------------------------------------------------------------------------


def history_query(
    *,
    member_id: int,
    kinds: list[EntryKind] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[models.LedgerEntry]:
    """The member's entries, of the given kinds, written in [since, until)."""
    query = models.LedgerEntry.filter(member_id=member_id)
    if kinds:
        query = query.filter(kind__in=kinds)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    return query


async def balance_at(*, member_id: int, at: datetime) -> int:
    """The balance at a moment: what the last entry written by then left; one index lookup."""
    balance = await (
        models.LedgerEntry.filter(member_id=member_id, created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
        .values_list("balance_after", flat=True)
    )
    return balance or 0


_BALANCES_AT = """
SELECT e.member_id, e.balance_after FROM ledger_entry e
WHERE e.member_id IN ({members}) AND e.created_at <= $1 AND NOT EXISTS (
  SELECT 1 FROM ledger_entry later
  WHERE later.member_id = e.member_id AND later.created_at <= $1
    AND (later.created_at > e.created_at OR (later.created_at = e.created_at AND later.id > e.id))
)
"""


async def balances_at(*, member_ids: Sequence[int], at: datetime) -> list[tuple[int, int]]:
    """(member id, balance) at a moment for many members in one query; members with no entry yet are absent."""
    ids = sorted({int(member_id) for member_id in member_ids})
    if not ids:
        return []
    sql = _BALANCES_AT.format(members=", ".join(f"${2 + i}" for i in range(len(ids))))
    rows = await fetch_dicts(sql, [at.astimezone(timezone.utc), *ids])  # stored in UTC: SQLite compares the text
    return [(row["member_id"], row["balance_after"]) for row in rows]


def check_expiry_days(days: int) -> None:
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise DomainError("INVALID", f"`days` must be between 1 and {MAX_EXPIRY_DAYS}", field="days")


async def expiring_soon(*, member_id: int, days: int, now: datetime | None = None) -> list[tuple[date, int]]:
    """Points that expire within `days`, per UTC expiry date, soonest first."""
    check_expiry_days(days)
    now = now or ledger.utcnow()
    lots = await (
        models.PointsLot.filter(member_id=member_id, remaining__gt=0, expires_at__lte=now + timedelta(days=days))
        .order_by("expires_at")
        .values_list("expires_at", "remaining")
    )
    per_day: dict[date, int] = defaultdict(int)
    for expires_at, remaining in lots:
        per_day[expires_at.astimezone(timezone.utc).date()] += remaining
    return list(per_day.items())


# --- webhook notices -----------------------------------------------------------------------------

EXPIRY_NOTICE_DAYS = 30


async def notify_expiring_soon(*, now: datetime | None = None, days: int = EXPIRY_NOTICE_DAYS) -> int:
    """A `points.expiring_soon` webhook event per active member and UTC day on which some of their
    points expire within `days`, with the points then expiring; once per member and day, however
    often the job runs. Returns how many were written."""
    now = now or ledger.utcnow()
    lots = await models.PointsLot.filter(
        remaining__gt=0,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=days),
        member__status=MemberStatus.ACTIVE,
    ).values_list("member_id", "expires_at", "remaining")
    expiring: dict[tuple[int, date], int] = defaultdict(int)
    for member_id, expires_at, remaining in lots:
        expiring[(member_id, expires_at.astimezone(timezone.utc).date())] += remaining
    notices = [
        outbox.Pending(
            key=f"points.expiring_soon:{member_id}:{day.isoformat()}",
            member_id=member_id,
            payload=outbox.points_expiring_soon(member_id=member_id, points=points, expires_on=day),
        )
        for (member_id, day), points in sorted(expiring.items())
    ]
    return await outbox.enqueue_once(models.WebhookEventType.POINTS_EXPIRING_SOON, notices, now=now)
