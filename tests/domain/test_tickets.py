"""Ticket rules: SLA by severity, the workflow table, breaches, and writes that a concurrent close wins."""

from datetime import datetime, timedelta, timezone

import pytest

from api.jobs import run_jobs_once
from domain import models, tickets
from domain.errors import DomainError
from domain.models import TicketSeverity, TicketStatus
from domain.viewer import member_viewer, staff_viewer
from tests.factories import make_member, make_staff, make_ticket

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (TicketSeverity.CRITICAL, datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)),
        (TicketSeverity.HIGH, datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)),
        (TicketSeverity.MEDIUM, datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)),
        (TicketSeverity.LOW, datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)),
    ],
)
def test_the_sla_runs_from_creation_by_severity(severity, due):
    assert tickets.sla_due_at(severity, NOW) == due


def test_a_closed_ticket_moves_nowhere_and_the_error_names_the_allowed_states():
    with pytest.raises(DomainError) as closed:
        tickets.check_transition(TicketStatus.CLOSED, TicketStatus.OPEN)
    with pytest.raises(DomainError) as skipped:
        tickets.check_transition(TicketStatus.IN_PROGRESS, TicketStatus.CLOSED)
    assert (closed.value.code, closed.value.message) == (
        "INVALID_TRANSITION",
        "A CLOSED ticket cannot move to OPEN; allowed next: none, it is final",
    )
    assert skipped.value.message == "A IN_PROGRESS ticket cannot move to CLOSED; allowed next: RESOLVED"


async def test_the_breach_job_flags_only_unresolved_tickets_past_due_once():
    # given
    member = await make_member()
    created = NOW - timedelta(hours=5)
    due_open = await make_ticket(member, severity=TicketSeverity.CRITICAL, created_at=created)  # due an hour ago
    due_in_progress = await make_ticket(
        member, severity=TicketSeverity.CRITICAL, created_at=created, status=TicketStatus.IN_PROGRESS
    )
    not_due = await make_ticket(member, severity=TicketSeverity.HIGH, created_at=created)
    resolved = await make_ticket(member, severity=TicketSeverity.CRITICAL, created_at=created, status=TicketStatus.RESOLVED)
    closed = await make_ticket(member, severity=TicketSeverity.CRITICAL, created_at=created, status=TicketStatus.CLOSED)
    # when
    first = await tickets.flag_breaches(now=NOW)
    second = await tickets.flag_breaches(now=NOW + timedelta(minutes=5))
    # then
    assert (first, second) == (2, 0)
    rows = {row.id: (row.breached, row.breached_at) for row in await models.Ticket.all()}
    assert rows == {
        due_open.id: (True, NOW),
        due_in_progress.id: (True, NOW),
        not_due.id: (False, None),
        resolved.id: (False, None),
        closed.id: (False, None),
    }


async def test_the_breach_job_runs_with_the_other_jobs():
    # given
    await make_ticket(await make_member(), severity=TicketSeverity.CRITICAL, created_at=NOW - timedelta(hours=5))
    # when
    done = await run_jobs_once(now=NOW)
    again = await run_jobs_once(now=NOW)
    # then
    assert (done["tickets_breached"], again["tickets_breached"]) == (1, 0)


async def test_the_breach_job_is_one_update_and_its_webhook_events_cost_the_same_for_1_and_5_tickets(sql):
    # given
    member = await make_member()
    await make_ticket(member, severity=TicketSeverity.CRITICAL, created_at=NOW - timedelta(hours=5))
    sql.statements.clear()
    # when
    await tickets.flag_breaches(now=NOW)
    for_one = list(sql.statements)
    for _ in range(5):
        await make_ticket(member, severity=TicketSeverity.CRITICAL, created_at=NOW - timedelta(hours=5))
    sql.statements.clear()
    await tickets.flag_breaches(now=NOW + timedelta(minutes=1))
    # then
    assert len(sql.statements) == len(for_one), sql.statements
    assert [s for s in for_one if s.startswith('UPDATE "ticket"')] == for_one[:1]


# --- breaches at the transition, and as read -------------------------------------------------


async def a_critical_ticket(status=TicketStatus.OPEN, **fields):
    """A critical ticket opened 4 h 40 min before NOW: due 40 minutes ago."""
    return await make_ticket(
        await make_member(), severity=TicketSeverity.CRITICAL, created_at=NOW - timedelta(hours=4, minutes=40),
        status=status, **fields,
    )


async def test_a_ticket_resolved_or_closed_after_its_sla_is_flagged_by_that_move():
    # given
    boss = staff_viewer((await make_staff(models.StaffRole.CLUB_MANAGER)).id, models.StaffRole.CLUB_MANAGER)
    resolved_late = await a_critical_ticket(TicketStatus.IN_PROGRESS)
    closed_late = await a_critical_ticket()
    resolved_in_time = await a_critical_ticket()
    # when
    await tickets.transition_ticket(viewer=boss, ticket_id=resolved_late.id, status=TicketStatus.RESOLVED, now=NOW)
    await tickets.transition_ticket(viewer=boss, ticket_id=closed_late.id, status=TicketStatus.CLOSED, now=NOW)
    on_time = NOW - timedelta(hours=1)
    await tickets.transition_ticket(
        viewer=boss, ticket_id=resolved_in_time.id, status=TicketStatus.RESOLVED, now=on_time
    )
    await tickets.transition_ticket(viewer=boss, ticket_id=resolved_in_time.id, status=TicketStatus.CLOSED, now=NOW)
    # then: closing a ticket resolved in time is no breach (the clock stopped at the resolution)
    rows = {row.id: (row.status, row.breached, row.breached_at) for row in await models.Ticket.all()}
    assert rows == {
        resolved_late.id: (TicketStatus.RESOLVED, True, NOW),
        closed_late.id: (TicketStatus.CLOSED, True, NOW),
        resolved_in_time.id: (TicketStatus.CLOSED, False, None),
    }


async def test_a_breach_the_job_flagged_keeps_its_time_when_the_ticket_is_resolved():
    # given
    boss = staff_viewer((await make_staff(models.StaffRole.CLUB_MANAGER)).id, models.StaffRole.CLUB_MANAGER)
    ticket = await a_critical_ticket()
    noticed = NOW - timedelta(minutes=30)
    await tickets.flag_breaches(now=noticed)
    # when
    moved = await tickets.transition_ticket(viewer=boss, ticket_id=ticket.id, status=TicketStatus.RESOLVED, now=NOW)
    # then
    assert (moved.status, moved.breached, moved.breached_at) == (TicketStatus.RESOLVED, True, noticed)


@pytest.mark.parametrize(
    ("flag", "status", "due_in", "breached"),
    [
        (False, TicketStatus.OPEN, timedelta(minutes=-1), True),  # overdue, before the job ran
        (False, TicketStatus.IN_PROGRESS, timedelta(minutes=-1), True),
        (False, TicketStatus.OPEN, timedelta(minutes=1), False),
        (False, TicketStatus.RESOLVED, timedelta(minutes=-1), False),  # resolved in time, read later
        (False, TicketStatus.CLOSED, timedelta(minutes=-1), False),
        (True, TicketStatus.CLOSED, timedelta(minutes=-1), True),  # flagged stays breached
    ],
)
async def test_breached_is_the_flag_or_unresolved_past_due_and_the_filter_agrees(flag, status, due_in, breached):
    # given
    member = await make_member()
    ticket = await make_ticket(member, status=status, breached=flag, sla_due_at=NOW + due_in)
    viewer = member_viewer(member.id)
    # when
    shown = tickets.is_breached(breached=ticket.breached, status=ticket.status, sla_due_at=ticket.sla_due_at, now=NOW)
    listed = await tickets.ticket_query(viewer=viewer, breached=True, now=NOW).values_list("id", flat=True)
    others = await tickets.ticket_query(viewer=viewer, breached=False, now=NOW).values_list("id", flat=True)
    # then
    assert shown is breached
    assert (listed, others) == (([ticket.id], []) if breached else ([], [ticket.id]))


async def test_times_without_an_offset_are_taken_as_utc():
    # given
    boss = staff_viewer((await make_staff(models.StaffRole.CLUB_MANAGER)).id, models.StaffRole.CLUB_MANAGER)
    ticket = await a_critical_ticket()
    # when
    moved = await tickets.transition_ticket(
        viewer=boss, ticket_id=ticket.id, status=TicketStatus.RESOLVED, now=NOW.replace(tzinfo=None)
    )
    # then
    assert (moved.resolved_at, moved.breached, moved.breached_at) == (NOW, True, NOW)
    assert tickets.is_breached(
        breached=False, status=TicketStatus.OPEN, sla_due_at=ticket.sla_due_at, now=NOW.replace(tzinfo=None)
    )


# --- writes a concurrent close wins ----------------------------------------------------------


@pytest.fixture
def closed_right_after_it_is_read(monkeypatch):
    """Another request closes the ticket between the write's read of it and its UPDATE."""
    read = tickets._ticket

    async def read_then_closed_meanwhile(*args, **kwargs):
        ticket = await read(*args, **kwargs)
        await models.Ticket.filter(id=ticket.id).update(status=TicketStatus.CLOSED, closed_at=NOW)
        return ticket

    monkeypatch.setattr(tickets, "_ticket", read_then_closed_meanwhile)


async def test_a_ticket_closed_meanwhile_is_not_assigned(closed_right_after_it_is_read):
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    ticket = await make_ticket(await make_member())
    # when
    with pytest.raises(DomainError) as refused:
        await tickets.assign_ticket(
            viewer=staff_viewer(boss.id, boss.role), ticket_id=ticket.id, assignee_id=manager.id, now=NOW
        )
    # then
    assert (refused.value.code, refused.value.field) == ("TICKET_CLOSED", "ticketId")
    row = await models.Ticket.get(id=ticket.id)
    assert (row.status, row.assignee_id) == (TicketStatus.CLOSED, None)


@pytest.mark.parametrize("by_staff", [True, False])
async def test_a_ticket_closed_meanwhile_takes_no_response(closed_right_after_it_is_read, by_staff):
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member()
    ticket = await make_ticket(member)
    viewer = staff_viewer(boss.id, boss.role) if by_staff else member_viewer(member.id)
    # when
    with pytest.raises(DomainError) as refused:
        await tickets.respond_to_ticket(viewer=viewer, ticket_id=ticket.id, body="Any news?", now=NOW)
    # then
    assert (refused.value.code, refused.value.field) == ("TICKET_CLOSED", "ticketId")
    assert await models.TicketResponse.all().count() == 0


async def test_a_response_touches_the_ticket():
    # given
    member = await make_member()
    ticket = await make_ticket(member)
    # when
    await tickets.respond_to_ticket(viewer=member_viewer(member.id), ticket_id=ticket.id, body="Any news?", now=NOW)
    # then
    assert (await models.Ticket.get(id=ticket.id)).updated_at == NOW
