"""Event rules: seats and the waitlist, what is paid, held, refunded and given back, check-in and feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events, ledger, models
from domain.errors import DomainError
from domain.models import RegistrationStatus
from domain.viewer import member_viewer, staff_viewer
from tests.factories import make_earning, make_event, make_member, make_registration, make_staff, make_tiers, points_of


async def _staff(role: models.StaffRole = models.StaffRole.EVENT_MANAGER):
    staff = await make_staff(role)
    return staff_viewer(staff.id, staff.role)


async def _member_with(points: int, **fields) -> models.Member:
    member = await make_member(**fields)
    if points:
        await make_earning(member, points, at=ledger.utcnow() - timedelta(days=1))
    return member


async def _statuses(event: models.Event) -> list[tuple[int, str]]:
    rows = await models.EventRegistration.filter(event_id=event.id).order_by("id").values_list("member_id", "status")
    return [(member_id, str(status)) for member_id, status in rows]


async def test_seats_are_confirmed_and_paid_until_full_then_the_waitlist_holds_the_price():
    # given
    tiers = await make_tiers()
    event = await make_event(capacity=3, price_points=40)
    first, second, third = [await _member_with(100, tier=tiers["Gold"]) for _ in range(3)]
    # when
    a = await make_registration(event, first, guests=0)
    b = await make_registration(event, second, guests=1)
    c = await make_registration(event, third, guests=0)
    # then
    assert [(r.status, r.points_price) for r in (a, b, c)] == [
        (RegistrationStatus.CONFIRMED, 40),
        (RegistrationStatus.CONFIRMED, 80),
        (RegistrationStatus.WAITLISTED, 40),
    ]
    assert (await models.Event.get(id=event.id)).seats_taken == 3
    assert [await points_of(m) for m in (first, second, third)] == [(60, 0), (20, 0), (60, 0)]
    assert c.hold_entry_id is not None and c.payment_entry_id is None
    assert await ledger.check_invariants() == []


async def test_a_newcomer_queues_behind_the_waitlist_even_when_a_seat_is_free():
    # given: one seat left, and a party of three waiting for it
    await make_tiers()
    event = await make_event(capacity=3)
    gold = await models.Tier.get(name="Gold")
    await make_registration(event, await _member_with(0))
    await make_registration(event, await _member_with(0))
    party = await make_registration(event, await _member_with(0, tier=gold), guests=2)
    first = await models.EventRegistration.filter(event_id=event.id).order_by("id").first()
    await events.cancel_registration(
        viewer=member_viewer(first.member_id), registration_id=first.id, idempotency_key="k"
    )
    # when
    late = await make_registration(event, await _member_with(0))
    # then: the party is still at the head (3 seats do not fit in 2), the newcomer waits behind it
    assert party.status == RegistrationStatus.WAITLISTED
    assert late.status == RegistrationStatus.WAITLISTED
    assert (await models.Event.get(id=event.id)).seats_taken == 1
    assert await events.waitlist_positions([party.id, late.id]) == {party.id: 1, late.id: 2}


async def test_cancelling_before_the_deadline_refunds_and_promotes_the_head_of_the_waitlist():
    # given
    event = await make_event(capacity=1, price_points=30)
    seated, waiting, behind = [await _member_with(50) for _ in range(3)]
    registration = await make_registration(event, seated)
    promoted = await make_registration(event, waiting)
    await make_registration(event, behind)
    # when
    result = await events.cancel_registration(
        viewer=member_viewer(seated.id), registration_id=registration.id, idempotency_key="cancel"
    )
    # then
    assert result == {
        "registration_id": registration.id,
        "event_id": event.id,
        "refunded_points": 30,
        "promoted_ids": [promoted.id],
    }
    assert await _statuses(event) == [
        (seated.id, "cancelled"),
        (waiting.id, "confirmed"),
        (behind.id, "waitlisted"),
    ]
    assert [await points_of(m) for m in (seated, waiting, behind)] == [(50, 0), (20, 0), (20, 0)]
    assert (await models.EventRegistration.get(id=promoted.id)).payment_entry_id is not None
    assert (await models.Event.get(id=event.id)).seats_taken == 1
    assert await ledger.check_invariants() == []


async def test_cancelling_after_the_deadline_frees_the_seat_without_a_refund():
    # given: the deadline has passed, the event has not started
    event = await make_event(capacity=5, price_points=30, starts_in=timedelta(hours=30))
    member = await _member_with(50)
    registration = await make_registration(event, member)
    # when
    result = await events.cancel_registration(
        viewer=member_viewer(member.id), registration_id=registration.id, idempotency_key="late"
    )
    # then
    assert result["refunded_points"] == 0
    assert await points_of(member) == (20, 0)
    assert (await models.Event.get(id=event.id)).seats_taken == 0


async def test_guests_take_guest_passes_which_come_back_when_the_registration_is_cancelled_in_time():
    # given: Gold has 4 guest passes a year
    tiers = await make_tiers()
    member = await _member_with(0, tier=tiers["Gold"])
    event = await make_event()
    # when
    registration = await make_registration(event, member, guests=3)
    used = await models.BenefitUsage.get(member_id=member.id, benefit_code="guest_pass")
    await events.cancel_registration(
        viewer=member_viewer(member.id), registration_id=registration.id, idempotency_key="x"
    )
    # then
    assert used.used == 3
    assert (await models.BenefitUsage.get(member_id=member.id, benefit_code="guest_pass")).used == 0
    assert await models.BenefitUse.filter(member_id=member.id).count() == 0


async def test_guests_beyond_the_quota_or_without_passes_are_refused_and_nothing_is_recorded():
    # given
    tiers = await make_tiers()
    gold = await _member_with(0, tier=tiers["Gold"])
    silver = await _member_with(0, tier=tiers["Silver"])
    event = await make_event()
    await make_registration(await make_event(), gold, guests=3)
    # when / then
    with pytest.raises(DomainError) as quota:
        await make_registration(event, gold, guests=2)
    with pytest.raises(DomainError) as none:
        await make_registration(event, silver, guests=1)
    assert (quota.value.code, quota.value.field) == ("QUOTA_EXCEEDED", "guests")
    assert (none.value.code, none.value.field) == ("NO_GUEST_PASSES", "guests")
    assert await models.EventRegistration.filter(event_id=event.id).count() == 0


async def test_cancelling_an_event_refunds_releases_and_tells_everyone_in_one_go():
    # given
    tiers = await make_tiers()
    event = await make_event(capacity=2, price_points=25, title="Cigar salon")
    seated = await _member_with(100, tier=tiers["Gold"])
    waiting = await _member_with(100)
    await make_registration(event, seated, guests=1)
    await make_registration(event, waiting)
    manager = await _staff()
    # when
    await events.cancel_event(viewer=manager, event_id=event.id, reason="The cellar flooded")
    # then
    assert await _statuses(event) == [(seated.id, "cancelled"), (waiting.id, "cancelled")]
    assert [await points_of(m) for m in (seated, waiting)] == [(100, 0), (100, 0)]
    assert (await models.BenefitUsage.get(member_id=seated.id, benefit_code="guest_pass")).used == 0
    cancelled = await models.Event.get(id=event.id)
    assert (cancelled.status, cancelled.seats_taken, cancelled.cancellation_reason) == (
        models.EventStatus.CANCELLED,
        0,
        "The cellar flooded",
    )
    messages = await models.Interaction.filter(kind=models.InteractionKind.MESSAGE).order_by("member_id")
    day = f"{event.starts_at:%Y-%m-%d}"
    told = f"Cigar salon on {day} is cancelled (The cellar flooded). Your registration is cancelled and "
    assert [(m.member_id, m.staff_id, m.summary) for m in messages] == [
        (seated.id, manager.id, told + "50 points were given back."),
        (waiting.id, manager.id, told + "25 points were given back."),
    ]
    assert await ledger.check_invariants() == []


async def test_raising_the_capacity_promotes_the_waitlist_and_lowering_it_below_the_seats_taken_is_refused():
    # given
    event = await make_event(capacity=1, price_points=10)
    first, second = await _member_with(10), await _member_with(10)
    await make_registration(event, first)
    waiting = await make_registration(event, second)
    manager = await _staff()
    # when
    await events.update_event(viewer=manager, event_id=event.id, changes={"capacity": 2})
    # then
    assert (await models.EventRegistration.get(id=waiting.id)).status == RegistrationStatus.CONFIRMED
    assert await points_of(second) == (0, 0)
    with pytest.raises(DomainError) as refused:
        await events.update_event(viewer=manager, event_id=event.id, changes={"capacity": 1})
    assert refused.value.code == "CAPACITY_BELOW_TAKEN"


async def test_check_in_is_open_from_two_hours_before_until_the_end_and_awards_points_once():
    # given
    event = await make_event(starts_in=timedelta(hours=3))
    member = await _member_with(0)
    registration = await make_registration(event, member)
    desk = await _staff(models.StaffRole.FRONT_DESK)
    # when / then: too early
    with pytest.raises(DomainError) as early:
        await events.check_in(viewer=desk, check_in_code=registration.check_in_code)
    assert early.value.code == "CHECK_IN_CLOSED"
    at_the_door = event.starts_at - timedelta(minutes=30)
    checked = await events.check_in(viewer=desk, check_in_code=registration.check_in_code, now=at_the_door)
    with pytest.raises(DomainError) as again:
        await events.check_in(viewer=desk, registration_id=registration.id, now=at_the_door)
    assert checked.checked_in_at == at_the_door
    assert again.value.code == "ALREADY_CHECKED_IN"
    assert await points_of(member) == (ledger.rules.RULES.event_attendance_points, 0)
    assert (await models.Member.get(id=member.id)).last_visit_at == at_the_door


async def test_only_members_who_attended_give_feedback_and_only_once():
    # given
    event = await make_event(starts_in=timedelta(hours=1))
    attended, absent = await _member_with(0), await _member_with(0)
    registration = await make_registration(event, attended)
    await make_registration(event, absent)
    await events.check_in(viewer=await _staff(), registration_id=registration.id)
    # when
    feedback = await events.submit_feedback(
        viewer=member_viewer(attended.id), event_id=event.id, rating=5, comment="Superb"
    )
    with pytest.raises(DomainError) as twice:
        await events.submit_feedback(viewer=member_viewer(attended.id), event_id=event.id, rating=4)
    with pytest.raises(DomainError) as not_there:
        await events.submit_feedback(viewer=member_viewer(absent.id), event_id=event.id, rating=1)
    # then
    assert (feedback.rating, feedback.comment, feedback.registration_id) == (5, "Superb", registration.id)
    assert twice.value.code == "ALREADY_SUBMITTED"
    assert not_there.value.code == "NOT_ATTENDED"


async def test_once_the_doors_open_the_waitlist_is_closed_and_its_holds_given_back():
    # given
    event = await make_event(capacity=1, price_points=20, starts_in=timedelta(hours=1))
    seated, waiting = await _member_with(20), await _member_with(20)
    await make_registration(event, seated)
    registration = await make_registration(event, waiting)
    # when
    before = await events.close_waitlists()
    after_start = await events.close_waitlists(now=event.starts_at)
    again = await events.close_waitlists(now=event.starts_at)
    # then
    assert (before, after_start, again) == (0, 1, 0)
    assert (await models.EventRegistration.get(id=registration.id)).status == RegistrationStatus.CANCELLED
    assert [await points_of(m) for m in (seated, waiting)] == [(0, 0), (20, 0)]
    assert await ledger.check_invariants() == []


async def test_raising_the_capacity_of_an_event_under_way_promotes_nobody():
    # given
    event = await make_event(capacity=1, starts_in=timedelta(hours=1))
    await make_registration(event, await _member_with(0))
    waiting = await make_registration(event, await _member_with(0))
    # when
    await events.update_event(
        viewer=await _staff(), event_id=event.id, changes={"capacity": 5}, now=event.starts_at + timedelta(minutes=5)
    )
    # then
    assert (await models.EventRegistration.get(id=waiting.id)).status == RegistrationStatus.WAITLISTED


def _record_member_locks(monkeypatch) -> list[int]:
    """The members whose rows the ledger locks, in order (the real lock still runs)."""
    locked: list[int] = []
    lock = ledger._locked_member

    async def recording(member_id: int) -> models.Member:
        locked.append(member_id)
        return await lock(member_id)

    monkeypatch.setattr(ledger, "_locked_member", recording)
    return locked


def _first_locks(locked: list[int]) -> list[int]:
    """Each member at the moment their row was first locked: later locks of a row already held wait for nothing."""
    return list(dict.fromkeys(locked))


async def test_a_waitlisted_head_that_leaves_locks_the_one_moving_up_first_in_id_order(monkeypatch):
    # given: 3 seats, a pair seated; a party of two (a higher member id) heads the waitlist, 1 seat free,
    # and a single member (a lower id) waits behind it
    tiers = await make_tiers()
    event = await make_event(capacity=3, price_points=10)
    pair = await _member_with(50, tier=tiers["Gold"])
    await make_registration(event, pair, guests=1)
    lower = await _member_with(50)
    higher = await _member_with(50, tier=tiers["Gold"])
    party = await make_registration(event, higher, guests=1)
    single = await make_registration(event, lower)
    assert (party.status, single.status) == (RegistrationStatus.WAITLISTED, RegistrationStatus.WAITLISTED)
    locked = _record_member_locks(monkeypatch)
    # when: the party gives up its place
    result = await events.cancel_registration(
        viewer=member_viewer(higher.id), registration_id=party.id, idempotency_key="leave"
    )
    # then: the single member moves up, and the rows were locked lower id first (a transfer lower -> higher
    # locks them in that order too, so the two queue up instead of deadlocking)
    assert result["promoted_ids"] == [single.id]
    assert _first_locks(locked) == [lower.id, higher.id]
    assert await _statuses(event) == [(pair.id, "confirmed"), (higher.id, "cancelled"), (lower.id, "confirmed")]
    assert (await models.Event.get(id=event.id)).seats_taken == 3
    assert await ledger.check_invariants() == []


async def test_more_seats_lock_the_members_moving_up_once_in_id_order(monkeypatch):
    # given: one seat, taken; two members waiting, the later one with the lower id
    event = await make_event(capacity=1, price_points=10)
    await make_registration(event, await _member_with(50))
    lower, higher = await _member_with(50), await _member_with(50)
    first = await make_registration(event, higher)
    second = await make_registration(event, lower)
    locked = _record_member_locks(monkeypatch)
    # when
    await events.update_event(viewer=await _staff(), event_id=event.id, changes={"capacity": 3})
    # then
    assert _first_locks(locked) == [lower.id, higher.id]
    assert [r.status for r in await models.EventRegistration.filter(id__in=[first.id, second.id]).order_by("id")] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
    ]
    assert await ledger.check_invariants() == []


async def test_a_party_too_large_for_the_event_is_refused():
    # given
    tiers = await make_tiers()
    event = await make_event(capacity=2)
    member = await _member_with(0, tier=tiers["Gold"])
    # when
    with pytest.raises(DomainError) as refused:
        await make_registration(event, member, guests=2)
    # then
    assert (refused.value.code, refused.value.field) == ("PARTY_TOO_LARGE", "guests")
    assert await models.EventRegistration.filter(event_id=event.id).count() == 0
