"""Ticket rules: SLA by severity, the workflow table, and the breach job."""

from datetime import datetime, timedelta, timezone

import pytest

from api.jobs import run_jobs_once
from domain import models, tickets
from domain.errors import DomainError
from domain.models import TicketSeverity, TicketStatus
from tests.factories import make_member, make_ticket

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


async def test_the_breach_job_is_one_statement(sql):
    # given
    await make_ticket(await make_member(), severity=TicketSeverity.CRITICAL, created_at=NOW - timedelta(hours=5))
    sql.statements.clear()
    # when
    await tickets.flag_breaches(now=NOW)
    # then
    assert len(sql.statements) == 1, sql.statements
