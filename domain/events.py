"""Club events: scheduling, registration with a FIFO waitlist, cancellation, check-in and feedback.

Seats are counted in `Event.seats_taken`, changed only under the event's row lock: every action that
touches an event's seats or registrations starts its transaction with a no-op conditional UPDATE of
the event row (a row lock on PostgreSQL; SQLite's transactions take the write lock at BEGIN). Lock
order everywhere: the event first, then every member whose points move, all in ONE
`ledger.lock_members` call (id order), then benefit counters, so that concurrent actions queue up
instead of deadlocking. An action that promotes the waitlist therefore works out who moves up before
locking anyone (`_waitlist_heads`), and locks them together with any other member it touches.

A party (the member and their guests) never exceeds the event's capacity: registration refuses it
(PARTY_TOO_LARGE) and the capacity may not drop below the largest active party, so the head of the
waitlist always fits once enough seats come free and never blocks those behind it for good.

Money: a confirmed registration pays `price_points * seats` at once (a REDEEM entry); a waitlisted
one holds that amount, so that promotion can always pay: promotion captures the hold. Cancelling
before the event's cancellation deadline refunds the payment; after it the seat is freed without a
refund. Cancelling the whole event, possible only before it starts, refunds everyone.

Times given without an offset are taken as UTC (`validation.as_utc`), in writes and in filters.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import benefits, idempotency, ledger, lifecycle, live, models, outbox, points
from domain.db import fetch_dicts
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.members import member_for_write
from domain.models import EntrySource, EventStatus, MemberStatus, RegistrationStatus
from domain.policy import Permission, has_permission, in_scope, require_permission
from domain.validation import as_utc, clean_text
from domain.viewer import Viewer

MAX_CAPACITY = 10_000
MAX_PRICE_POINTS = 100_000
MAX_GUESTS = 4
GUEST_PASS = "guest_pass"
DEFAULT_CANCELLATION_NOTICE = timedelta(hours=48)
CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)

Result = dict[str, Any]


# --- reads ------------------------------------------------------------------------------------


async def event_query(
    *,
    viewer: Viewer,
    since: datetime | None = None,
    until: datetime | None = None,
    category: models.EventCategory | None = None,
    eligible_for_me: bool = False,
    now: datetime | None = None,
) -> QuerySet[models.Event]:
    """Events starting in [since, until) (times without an offset are UTC), of a category.

    `eligible_for_me`: the scheduled events not yet started that are open to the calling member's tier.
    Full events (the member would join the waitlist) and events they already registered for are included.
    """
    query = models.Event.all()
    if since is not None:
        query = query.filter(starts_at__gte=as_utc(since))
    if until is not None:
        query = query.filter(starts_at__lt=as_utc(until))
    if category is not None:
        query = query.filter(category=category)
    if eligible_for_me:
        if viewer.is_anonymous:
            raise NotAuthenticated("Sign in to see the events you may join")
        if not viewer.is_member:
            raise DomainError("INVALID", "`eligibleForMe` is for members: staff see every event")
        rank = await models.Member.filter(id=viewer.id).first().values_list("tier__rank", flat=True)
        # The tiers at or below the member's: a short list, and no join in the paginated query.
        tier_ids = await models.Tier.filter(rank__lte=rank if rank is not None else -1).values_list("id", flat=True)
        query = query.filter(
            Q(min_tier_id__isnull=True) | Q(min_tier_id__in=list(tier_ids) or [0]),
            status=EventStatus.SCHEDULED,
            starts_at__gt=now or ledger.utcnow(),
        )
    return query


def registration_query(
    *, event_id: int | None = None, member_id: int | None = None, status: RegistrationStatus | None = None
) -> QuerySet[models.EventRegistration]:
    query = models.EventRegistration.all()
    if event_id is not None:
        query = query.filter(event_id=event_id)
    if member_id is not None:
        query = query.filter(member_id=member_id)
    if status is not None:
        query = query.filter(status=status)
    return query


def feedback_query(*, event_id: int) -> QuerySet[models.EventFeedback]:
    return models.EventFeedback.filter(event_id=event_id)


# --- scheduling -------------------------------------------------------------------------------


async def _clean(values: dict[str, Any], *, now: datetime, creating: bool, starts_at_changed: bool) -> dict[str, Any]:
    """Checks every value of an event as it will be; raises the first problem, naming its input field.

    Times without an offset are taken as UTC.
    """
    for name in ("starts_at", "ends_at", "cancellation_deadline"):
        if values[name] is not None:
            values[name] = as_utc(values[name])
    values["title"] = clean_text(values["title"], field="title", max_length=200)
    values["venue"] = clean_text(values["venue"], field="venue", max_length=200)
    values["description"] = clean_text(values["description"], field="description", max_length=5000, required=False)
    if (creating or starts_at_changed) and values["starts_at"] <= now:
        raise DomainError("INVALID", "The event must start in the future", field="startsAt")
    if values["ends_at"] <= values["starts_at"]:
        raise DomainError("INVALID", "The event must end after it starts", field="endsAt")
    if not 1 <= values["capacity"] <= MAX_CAPACITY:
        raise DomainError("INVALID", f"The capacity must be between 1 and {MAX_CAPACITY:,} seats", field="capacity")
    if not 0 <= values["price_points"] <= MAX_PRICE_POINTS:
        raise DomainError(
            "INVALID", f"The price must be between 0 and {MAX_PRICE_POINTS:,} points a seat", field="pricePoints"
        )
    if values["cancellation_deadline"] is None:
        values["cancellation_deadline"] = values["starts_at"] - DEFAULT_CANCELLATION_NOTICE
    if values["cancellation_deadline"] > values["starts_at"]:
        raise DomainError(
            "INVALID", "The cancellation deadline must be at or before the start", field="cancellationDeadline"
        )
    if values["min_tier_id"] is not None and not await models.Tier.exists(id=values["min_tier_id"]):
        raise NotFound("Tier", field="minTierId")
    return values


async def create_event(
    *,
    viewer: Viewer,
    title: str,
    category: models.EventCategory,
    venue: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    description: str = "",
    price_points: int = 0,
    min_tier_id: int | None = None,
    cancellation_deadline: datetime | None = None,
    now: datetime | None = None,
) -> models.Event:
    """Schedule an event; the cancellation deadline defaults to 48 hours before the start."""
    require_permission(viewer, Permission.EVENT_MANAGE)
    now = now or ledger.utcnow()
    values = await _clean(
        {
            "title": title,
            "category": category,
            "description": description,
            "venue": venue,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "capacity": capacity,
            "price_points": price_points,
            "min_tier_id": min_tier_id,
            "cancellation_deadline": cancellation_deadline,
        },
        now=now,
        creating=True,
        starts_at_changed=True,
    )
    return await models.Event.create(**values, created_by_id=viewer.id)


_UPDATABLE = frozenset(
    {
        "title",
        "category",
        "description",
        "venue",
        "starts_at",
        "ends_at",
        "capacity",
        "price_points",
        "min_tier_id",
        "cancellation_deadline",
    }
)


async def _locked_event(event_id: int) -> models.Event:
    """Lock the event's row for the rest of the transaction, then read it."""
    if await models.Event.filter(id=event_id).update(seats_taken=F("seats_taken")) != 1:
        raise NotFound("Event", field="eventId")
    return await models.Event.get(id=event_id)


def _check_open_for_changes(event: models.Event, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise DomainError("EVENT_CLOSED", "This event was cancelled", field="eventId")
    if event.ends_at <= now:
        raise DomainError("EVENT_CLOSED", "This event is over", field="eventId")


async def update_event(
    *, viewer: Viewer, event_id: int, changes: dict[str, Any], now: datetime | None = None
) -> models.Event:
    """Change an event; a larger capacity promotes the waitlist, a smaller one may not drop below the seats
    taken nor below the largest active (confirmed or waitlisted) party.

    Moving the start without giving a cancellation deadline moves the deadline by the same time, so that
    the notice members get (48 hours by default) stays the same. A new price applies to new
    registrations: those made keep the price they paid or hold. Times without an offset are UTC.
    """
    require_permission(viewer, Permission.EVENT_MANAGE)
    assert set(changes) <= _UPDATABLE, set(changes) - _UPDATABLE
    changes = {name: as_utc(value) if isinstance(value, datetime) else value for name, value in changes.items()}
    now = now or ledger.utcnow()
    async with in_transaction():
        event = await _locked_event(event_id)
        _check_open_for_changes(event, now)
        starts_at_changed = "starts_at" in changes and changes["starts_at"] != event.starts_at
        if starts_at_changed and "cancellation_deadline" not in changes:
            changes["cancellation_deadline"] = event.cancellation_deadline + (changes["starts_at"] - event.starts_at)
        current = {name: getattr(event, name) for name in _UPDATABLE}
        values = await _clean({**current, **changes}, now=now, creating=False, starts_at_changed=starts_at_changed)
        if values["capacity"] < event.seats_taken:
            raise DomainError(
                "CAPACITY_BELOW_TAKEN",
                f"{event.seats_taken} seats are taken: the capacity cannot be lower",
                field="capacity",
            )
        # Checked only when the capacity drops: another change is never refused over a party seated before.
        largest = await _largest_active_party(event.id) if values["capacity"] < event.capacity else 0
        if values["capacity"] < largest:
            raise DomainError(
                "CAPACITY_BELOW_PARTY",
                f"A party of {largest} seats is registered: the capacity cannot be lower",
                field="capacity",
            )
        event.update_from_dict(values)
        await event.save()
        heads = await _waitlist_heads(event, event.capacity - event.seats_taken, now)
        await ledger.lock_members(head.member_id for head in heads)
        await _promote_waitlist(event, heads, now)
    return event


async def _largest_active_party(event_id: int) -> int:
    """The most seats one confirmed or waitlisted registration of the event takes; 0 without any."""
    guests = await models.EventRegistration.filter(event_id=event_id, status__in=ACTIVE).values_list(
        "guests", flat=True
    )
    return 1 + max(guests) if guests else 0


async def cancel_event(*, viewer: Viewer, event_id: int, reason: str, now: datetime | None = None) -> models.Event:
    """Cancel an event before it starts: every registration is cancelled, its points refunded or released,
    its guest passes given back, and each member is told in a message recorded as an interaction; all or
    nothing. Refused once the event has started: those checked in keep their attendance points."""
    require_permission(viewer, Permission.EVENT_MANAGE)
    reason = clean_text(reason, field="reason", max_length=500)
    now = now or ledger.utcnow()
    async with in_transaction():
        event = await _locked_event(event_id)
        _check_open_for_changes(event, now)
        if event.starts_at <= now:
            raise DomainError("EVENT_CLOSED", "The event has started", field="eventId")
        active = await models.EventRegistration.filter(event_id=event.id, status__in=ACTIVE).order_by("id")
        await ledger.lock_members(registration.member_id for registration in active)
        refunded: dict[int, int] = {}
        for registration in active:
            refunded[registration.member_id] = refunded.get(registration.member_id, 0) + await _give_back(
                registration, f"{event.title} was cancelled", now, refund=True
            )
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        event.cancellation_reason = reason
        event.seats_taken = 0
        await event.save()
        for member_id, points_back in refunded.items():
            summary = (
                f"{event.title} on {event.starts_at:%Y-%m-%d} is cancelled ({reason}). Your registration is cancelled"
            )
            summary += f" and {points_back:,} points were given back." if points_back else "."
            await models.Interaction.create(
                member_id=member_id,
                kind=models.InteractionKind.MESSAGE,
                summary=summary[:1000],
                occurred_at=now,
                staff_id=viewer.id,
            )
    return event


# --- registration -----------------------------------------------------------------------------


def _reference(registration_id: int) -> str:
    # Not "event-registration:<id>": that reference marks the attendance points, awarded once per registration.
    return f"event-registration:{registration_id}:seats"


async def _rank(tier_id: int | None) -> int | None:
    if tier_id is None:
        return None
    return await models.Tier.filter(id=tier_id).first().values_list("rank", flat=True)


async def register(
    *,
    viewer: Viewer,
    event_id: int,
    member_id: int | None,
    guests: int = 0,
    idempotency_key: str,
    now: datetime | None = None,
) -> Result:
    """Register a member (and guests, one guest pass each) for an event; returns `registration_id`.

    Confirmed and paid when the seats fit and nobody waits before them, else waitlisted with the
    price held. Members register themselves; staff with EVENT_REGISTER register members.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if member_id is None:
        if not viewer.is_member:
            raise DomainError("REQUIRED", "Name the member to register", field="memberId")
        member_id = viewer.id
    assert member_id is not None
    await member_for_write(viewer=viewer, member_id=member_id, permission=Permission.EVENT_REGISTER, allow_self=True)
    if not isinstance(guests, int) or not 0 <= guests <= MAX_GUESTS:
        raise DomainError("INVALID", f"Bring 0 to {MAX_GUESTS} guests", field="guests")
    now = now or ledger.utcnow()
    staff_id = viewer.id if viewer.is_staff else None
    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "event_register"),
        key=idempotency_key,
        arguments={"event_id": event_id, "member_id": member_id, "guests": guests},
        action=lambda: _register(event_id, member_id, guests, staff_id, now),
    )


async def _register(event_id: int, member_id: int, guests: int, staff_id: int | None, now: datetime) -> Result:
    event = await _locked_event(event_id)  # the first statement: concurrent registrations queue up here
    if event.status != EventStatus.SCHEDULED or event.starts_at <= now:
        raise DomainError("EVENT_CLOSED", "This event is no longer open for registration", field="eventId")
    if 1 + guests > event.capacity:
        # It could never be seated, and as the head of the waitlist it would block everyone behind it.
        raise DomainError(
            "PARTY_TOO_LARGE",
            f"The event has {event.capacity} seat(s): a party of {1 + guests} cannot fit",
            field="guests",
        )
    member = (await ledger.lock_members([member_id]))[member_id]
    if member.status != MemberStatus.ACTIVE:
        raise DomainError("MEMBER_INACTIVE", "The membership is not active", field="memberId")
    if event.min_tier_id is not None and (await _rank(member.tier_id) or 0) < (await _rank(event.min_tier_id) or 0):
        tier_name = await models.Tier.filter(id=event.min_tier_id).first().values_list("name", flat=True)
        raise DomainError("TIER_TOO_LOW", f"This event is for {tier_name} members and above", field="eventId")
    if await models.EventRegistration.exists(event_id=event.id, member_id=member_id, status__in=ACTIVE):
        raise DomainError("ALREADY_REGISTERED", "Already registered for this event", field="eventId")
    guest_pass_use_id = None
    if guests:
        guest_pass_use_id = await _take_guest_passes(member, guests, event, now)
    seats = 1 + guests
    price = event.price_points * seats
    nobody_waiting = not await models.EventRegistration.exists(event_id=event.id, status=RegistrationStatus.WAITLISTED)
    confirmed = nobody_waiting and event.capacity - event.seats_taken >= seats
    registration = await models.EventRegistration.create(
        event_id=event.id,
        member_id=member_id,
        guests=guests,
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        points_price=price,
        guest_pass_use_id=guest_pass_use_id,
        check_in_code=secrets.token_urlsafe(24),
        registered_by_id=staff_id,
        created_at=now,
        confirmed_at=now if confirmed else None,
    )
    if confirmed:
        if price:
            entry = await ledger.debit(
                member_id=member_id,
                points=price,
                kind=models.EntryKind.REDEEM,
                fields=ledger.EntryFields(
                    source=EntrySource.EVENT,
                    reason=f"{event.title}: {seats} seat(s)",
                    reference=_reference(registration.id),
                ),
                now=now,
            )
            assert entry is not None
            registration.payment_entry_id = entry.id
        await models.Event.filter(id=event.id).update(seats_taken=F("seats_taken") + seats)
    elif price:
        entry = await ledger.hold(
            member_id=member_id,
            points=price,
            reference=_reference(registration.id),
            now=now,
            source=EntrySource.EVENT,
            reason=f"{event.title}: held while on the waitlist",
        )
        registration.hold_entry_id = entry.id
    await registration.save()
    await _changed(registration)
    return {"registration_id": registration.id, "event_id": event.id}


async def _changed(registration: models.EventRegistration) -> None:
    """Tell the member's `registrationChanged` subscribers, once the transaction commits."""
    await live.publish(live.registrations_channel(registration.member_id), {"registration": registration.id})


async def _take_guest_passes(member: models.Member, guests: int, event: models.Event, now: datetime) -> int:
    try:
        status = await benefits.consume_benefit(
            member=member,
            benefit_code=GUEST_PASS,
            quantity=guests,
            note=f"Guests at {event.title}"[:500],
            recorded_by_id=None,
            now=now,
        )
    except DomainError as error:
        if error.code == "BENEFIT_NOT_IN_TIER":
            raise DomainError("NO_GUEST_PASSES", "The member's tier has no guest passes", field="guests") from None
        raise DomainError(error.code, error.message, field="guests") from None
    assert status.use_id is not None
    return status.use_id


async def _give_back(registration: models.EventRegistration, reason: str, now: datetime, *, refund: bool) -> int:
    """Cancel an active registration: release its hold, refund its payment when `refund`, return its guest
    passes (only with a refund or from the waitlist). Returns the points given back. Under the locks."""
    given_back = 0
    returns_passes = refund or registration.status == RegistrationStatus.WAITLISTED
    if registration.hold_entry_id is not None and registration.status == RegistrationStatus.WAITLISTED:
        released = await ledger.release(hold_entry_id=registration.hold_entry_id, reason=reason, now=now)
        given_back += released.amount
    if refund and registration.payment_entry_id is not None and registration.refund_entry_id is None:
        entry = await ledger.refund(entry_id=registration.payment_entry_id, reason=reason, now=now)
        registration.refund_entry_id = entry.id
        given_back += entry.amount
    use_id = registration.guest_pass_use_id if returns_passes else None
    if use_id is not None:
        registration.guest_pass_use_id = None
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    await registration.save()
    await _changed(registration)
    if use_id is not None:
        await benefits.return_benefit_use(use_id=use_id)
    return given_back


async def _waitlist_heads(
    event: models.Event, free: int, now: datetime, *, leaving: int | None = None
) -> list[models.EventRegistration]:
    """The waitlisted registrations `free` seats would take, strictly in arrival order; under the event lock.

    `leaving`: a registration about to be cancelled, left out, so that the heads are those of the
    waitlist as it will be. The head is never skipped for a smaller party behind it (no party exceeds
    the capacity, so it is seated once enough seats come free). None once the event has started.
    Called before the members are locked: the caller locks the heads with everyone else it touches.
    """
    if event.status != EventStatus.SCHEDULED or event.starts_at <= now or free <= 0:
        return []
    heads: list[models.EventRegistration] = []
    waitlist = models.EventRegistration.filter(event_id=event.id, status=RegistrationStatus.WAITLISTED)
    if leaving is not None:
        waitlist = waitlist.exclude(id=leaving)
    for registration in await waitlist.order_by("id").limit(free):
        if 1 + registration.guests > free:
            break
        heads.append(registration)
        free -= 1 + registration.guests
    return heads


async def _promote_waitlist(event: models.Event, heads: list[models.EventRegistration], now: datetime) -> list[int]:
    """Confirm `heads` (from `_waitlist_heads`), capturing their holds; under the event lock and with
    their members already locked by the caller (locking them here could break the lock order).

    Returns the registrations promoted.
    """
    if not heads:
        return []
    for head in heads:
        if head.hold_entry_id is not None:
            entry = await ledger.capture(
                hold_entry_id=head.hold_entry_id, reason=f"{event.title}: a seat came free", now=now
            )
            head.payment_entry_id = entry.id
        head.status = RegistrationStatus.CONFIRMED
        head.confirmed_at = now
        await head.save()
        await _changed(head)
    seats = sum(1 + head.guests for head in heads)
    await models.Event.filter(id=event.id).update(seats_taken=F("seats_taken") + seats)
    event.seats_taken += seats
    return [head.id for head in heads]


async def _registration_for_write(viewer: Viewer, registration_id: int) -> models.EventRegistration:
    """The registration a member or staff acts on; a member is not told that someone else's exists."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    registration = await models.EventRegistration.get_or_none(id=registration_id)
    if registration is None or (viewer.is_member and registration.member_id != viewer.id):
        raise NotFound("Registration", field="registrationId")
    await member_for_write(
        viewer=viewer, member_id=registration.member_id, permission=Permission.EVENT_REGISTER, allow_self=True
    )
    return registration


async def cancel_registration(
    *, viewer: Viewer, registration_id: int, idempotency_key: str, now: datetime | None = None
) -> Result:
    """Cancel a registration; returns `registration_id`, `event_id`, `refunded_points` and `promoted_ids`.

    Policy: a confirmed seat cancelled before the event's cancellation deadline is refunded and its
    guest passes given back; after the deadline the seat is freed but nothing comes back. A place on
    the waitlist always gets its held points and guest passes back. The freed seats go to the head
    of the waitlist at once.
    """
    registration = await _registration_for_write(viewer, registration_id)
    now = now or ledger.utcnow()
    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "event_cancel_registration"),
        key=idempotency_key,
        arguments={"registration_id": registration.id},
        action=lambda: _cancel_registration(registration.event_id, registration.id, now),
    )


async def _cancel_registration(event_id: int, registration_id: int, now: datetime) -> Result:
    event = await _locked_event(event_id)
    registration = await models.EventRegistration.get(id=registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        raise DomainError("ALREADY_CANCELLED", "This registration is already cancelled", field="registrationId")
    if event.status != EventStatus.SCHEDULED or event.starts_at <= now:
        raise DomainError("EVENT_CLOSED", "The event has started or was cancelled", field="registrationId")
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    # Everyone whose points move, locked together in id order: the leaver and those who will move up,
    # the heads of the waitlist as it will be without the leaver (who may have been its head).
    freed = 1 + registration.guests if was_confirmed else 0
    heads = await _waitlist_heads(event, event.capacity - event.seats_taken + freed, now, leaving=registration.id)
    await ledger.lock_members([registration.member_id, *(head.member_id for head in heads)])
    refund = now < event.cancellation_deadline
    given_back = await _give_back(registration, f"{event.title}: registration cancelled", now, refund=refund)
    if was_confirmed:
        seats = 1 + registration.guests
        await models.Event.filter(id=event.id).update(seats_taken=F("seats_taken") - seats)
        event.seats_taken -= seats
    promoted = await _promote_waitlist(event, heads, now)
    return {
        "registration_id": registration.id,
        "event_id": event.id,
        "refunded_points": given_back,
        "promoted_ids": promoted,
    }


async def close_waitlists(*, now: datetime | None = None) -> int:
    """Cancel the waitlist of every event that has started, giving back held points and guest passes.

    A job: nobody is promoted once the doors open, so the holds would otherwise stay set aside for
    good. One event per transaction; safe to run concurrently. Returns the registrations closed.
    """
    now = now or ledger.utcnow()
    event_ids = await (
        models.EventRegistration.filter(status=RegistrationStatus.WAITLISTED, event__starts_at__lte=now)
        .distinct()
        .order_by("event_id")
        .values_list("event_id", flat=True)
    )
    closed = 0
    for event_id in event_ids:
        async with in_transaction():
            event = await _locked_event(event_id)
            waiting = await models.EventRegistration.filter(
                event_id=event.id, status=RegistrationStatus.WAITLISTED
            ).order_by("id")
            await ledger.lock_members(registration.member_id for registration in waiting)
            for registration in waiting:
                await _give_back(registration, f"{event.title}: no seat came free", now, refund=True)
            closed += len(waiting)
    return closed


# --- at the door and after ---------------------------------------------------------------------


async def check_in(
    *,
    viewer: Viewer,
    registration_id: int | None = None,
    check_in_code: str | None = None,
    now: datetime | None = None,
) -> models.EventRegistration:
    """Mark a confirmed registration as attended, by its id or the code in the member's QR code.

    Open from two hours before the start until the end. A second scan is refused, so the attendance
    points are awarded exactly once.
    """
    require_permission(viewer, Permission.EVENT_CHECK_IN)
    if (registration_id is None) == (check_in_code is None):
        raise DomainError("INVALID", "Give either the registration or the check-in code, not both")
    if registration_id is not None:
        registration = await models.EventRegistration.get_or_none(id=registration_id)
        field = "registrationId"
    else:
        registration = await models.EventRegistration.get_or_none(check_in_code=(check_in_code or "").strip())
        field = "checkInCode"
    if registration is None:
        raise NotFound("Registration", field=field)
    now = now or ledger.utcnow()
    async with in_transaction():
        event = await _locked_event(registration.event_id)
        registration = await models.EventRegistration.get(id=registration.id)
        if registration.status != RegistrationStatus.CONFIRMED:
            raise DomainError("NOT_CONFIRMED", "Only a confirmed registration can check in", field=field)
        opens = event.starts_at - CHECK_IN_OPENS_BEFORE
        if event.status != EventStatus.SCHEDULED or not opens <= now < event.ends_at:
            raise DomainError(
                "CHECK_IN_CLOSED", f"Check-in is open from {opens:%Y-%m-%d %H:%M} UTC until the end", field=field
            )
        marked = await models.EventRegistration.filter(id=registration.id, checked_in_at__isnull=True).update(
            checked_in_at=now, checked_in_by_id=viewer.id
        )
        if marked != 1:
            raise DomainError("ALREADY_CHECKED_IN", "This registration is already checked in", field=field)
        await _changed(registration)
        await points.award_event_attendance(member_id=registration.member_id, registration_id=registration.id, now=now)
        await lifecycle.note_activity(member_id=registration.member_id, at=now)
    return await models.EventRegistration.get(id=registration.id)


async def submit_feedback(
    *, viewer: Viewer, event_id: int, rating: int, comment: str = "", now: datetime | None = None
) -> models.EventFeedback:
    """A member who attended rates the event once, 1 to 5, with an optional comment."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not viewer.is_member:
        raise PermissionDenied()  # feedback is the members' own voice
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError("INVALID", "The rating must be from 1 to 5", field="rating")
    comment = clean_text(comment, field="comment", max_length=2000, required=False)
    if not await models.Event.exists(id=event_id):
        raise NotFound("Event", field="eventId")
    registration = await models.EventRegistration.filter(
        event_id=event_id, member_id=viewer.id, checked_in_at__isnull=False
    ).first()
    if registration is None:
        raise DomainError("NOT_ATTENDED", "Only members who attended can rate this event", field="eventId")
    try:
        # On its own, outside any transaction: the unique registration decides between concurrent submits.
        return await models.EventFeedback.create(
            event_id=event_id,
            registration_id=registration.id,
            member_id=viewer.id,
            rating=rating,
            comment=comment,
            created_at=now or ledger.utcnow(),
        )
    except IntegrityError:
        raise DomainError("ALREADY_SUBMITTED", "You already rated this event", field="eventId") from None


# --- batch reads for the loaders ---------------------------------------------------------------


async def waitlist_positions(registration_ids: Iterable[int]) -> dict[int, int]:
    """The 1-based place on its event's waitlist of each waitlisted registration among `registration_ids`."""
    ids = sorted(set(registration_ids))
    if not ids:
        return {}
    placeholders = ", ".join(f"${n}" for n in range(2, len(ids) + 2))
    rows = await fetch_dicts(
        f"""
        SELECT r.id AS id, COUNT(w.id) AS position
        FROM event_registration r
        JOIN event_registration w ON w.event_id = r.event_id AND w.status = $1 AND w.id <= r.id
        WHERE r.status = $1 AND r.id IN ({placeholders})
        GROUP BY r.id
        """,
        [RegistrationStatus.WAITLISTED.value, *ids],
    )
    return {row["id"]: row["position"] for row in rows}


def may_read_registration(viewer: Viewer, *, member_id: int, account_manager_id: int | None) -> bool:
    """A registration (and its feedback) is the member's own, the event staff's (EVENT_ATTENDEES_READ), and
    that of staff with MEMBER_READ in scope: account managers for their own members only.

    Gates the EventRegistration and EventFeedback nodes and `Member.eventRegistrations`; an event's
    whole lists (`Event.registrations`, `Event.feedback`) need EVENT_ATTENDEES_READ (`may_read_attendees`).
    """
    return (
        viewer.is_member_self(member_id)
        or has_permission(viewer, Permission.EVENT_ATTENDEES_READ)
        or (has_permission(viewer, Permission.MEMBER_READ) and in_scope(viewer, account_manager_id=account_manager_id))
    )


def may_read_attendees(viewer: Viewer) -> bool:
    return has_permission(viewer, Permission.EVENT_ATTENDEES_READ)


# --- webhook reminders -------------------------------------------------------------------------

REMINDER_AHEAD = timedelta(hours=24)


async def send_event_reminders(*, now: datetime | None = None) -> int:
    """An `event.reminder` webhook event for every confirmed registration of a scheduled event that
    starts within 24 hours; once per registration, however often the job runs. Returns how many."""
    now = now or ledger.utcnow()
    registrations = await models.EventRegistration.filter(
        status=RegistrationStatus.CONFIRMED,
        event__status=EventStatus.SCHEDULED,
        event__starts_at__gt=now,
        event__starts_at__lte=now + REMINDER_AHEAD,
    ).prefetch_related("event")
    reminders = [
        outbox.Pending(
            key=f"event.reminder:{registration.id}",
            member_id=registration.member_id,
            payload=outbox.event_reminder(
                registration_id=registration.id,
                member_id=registration.member_id,
                event=registration.event,
                guests=registration.guests,
            ),
        )
        for registration in registrations
    ]
    return await outbox.enqueue_once(models.WebhookEventType.EVENT_REMINDER, reminders, now=now)
