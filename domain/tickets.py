"""Tickets: complaints, requests and praise, worked through a small status workflow against an SLA.

Who may do what:
- members open tickets about themselves, read their own, answer on them, and close their own
  ticket once the club has resolved it (confirming the resolution); they never see internal notes;
- staff with TICKET_CREATE open tickets on a member's behalf;
- staff with TICKET_MANAGE read, assign, answer and move tickets; an account manager only those
  of the members assigned to them, and those assigned to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import live, models, outbox, tasks
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.ledger import utcnow
from domain.members import member_for_write
from domain.models import TaskKind, TicketCategory, TicketSeverity, TicketStatus
from domain.policy import OWN_MEMBERS_ONLY, ROLE_PERMISSIONS, Permission, has_permission, require_permission
from domain.validation import as_utc, clean_text
from domain.viewer import Viewer

MAX_SUBJECT_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_BODY_LENGTH = 5000
MAX_NOTE_LENGTH = 500
SCOPE_MESSAGE = "Only the member's own account manager or the ticket's assignee may handle this ticket"


@dataclass(frozen=True, slots=True)
class TicketRules:
    """How long the club takes to resolve a ticket, from its creation, by severity."""

    sla: dict[TicketSeverity, timedelta]
    # What a member's own ticket gets: members do not choose how urgent their ticket is.
    member_severity: dict[TicketCategory, TicketSeverity]


RULES = TicketRules(
    sla={
        TicketSeverity.CRITICAL: timedelta(hours=4),
        TicketSeverity.HIGH: timedelta(hours=24),
        TicketSeverity.MEDIUM: timedelta(hours=72),
        TicketSeverity.LOW: timedelta(days=7),
    },
    member_severity={
        TicketCategory.COMPLAINT: TicketSeverity.MEDIUM,
        TicketCategory.REQUEST: TicketSeverity.MEDIUM,
        TicketCategory.PRAISE: TicketSeverity.LOW,
    },
)

# The workflow: each status and the statuses it may move to. Closed is final.
TRANSITIONS: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    TicketStatus.OPEN: (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED),
    TicketStatus.IN_PROGRESS: (TicketStatus.RESOLVED,),
    TicketStatus.RESOLVED: (TicketStatus.CLOSED, TicketStatus.IN_PROGRESS),
    TicketStatus.CLOSED: (),
}
# Still being worked on: the SLA clock runs.
UNRESOLVED = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


def sla_due_at(severity: TicketSeverity, created_at: datetime) -> datetime:
    return as_utc(created_at) + RULES.sla[severity]


def _now(now: datetime | None) -> datetime:
    """The time a write or read is judged at, in UTC (a naive `now` is taken as UTC)."""
    return as_utc(now) if now is not None else utcnow()


def is_breached(
    *, breached: bool, status: TicketStatus, sla_due_at: datetime, now: datetime | None = None
) -> bool:
    """Whether a ticket missed its SLA: flagged (resolved or closed late, or noticed by the hourly
    job), or still unresolved past its due time now, before the job got to it."""
    return breached or (status in UNRESOLVED and sla_due_at < _now(now))


def breached_condition(breached: bool, *, now: datetime | None = None) -> Q:
    """`is_breached` as SQL, so that the `breached` filter and the field agree."""
    overdue = Q(status__in=UNRESOLVED) & Q(sla_due_at__lt=_now(now))
    return Q(breached=True) | overdue if breached else Q(breached=False) & ~overdue


def allowed_next(status: TicketStatus) -> tuple[TicketStatus, ...]:
    return TRANSITIONS[status]


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(status.name for status in TRANSITIONS[current]) or "none, it is final"
        raise DomainError(
            "INVALID_TRANSITION",
            f"A {current.name} ticket cannot move to {target.name}; allowed next: {allowed}",
            field="status",
        )


# --- who sees what ------------------------------------------------------------------------


def _manages_all(viewer: Viewer) -> bool:
    return has_permission(viewer, Permission.TICKET_MANAGE) and viewer.role not in OWN_MEMBERS_ONLY


def may_manage_ticket(viewer: Viewer, ticket: models.Ticket, *, account_manager_id: int | None) -> bool:
    """Staff handling: TICKET_MANAGE, and for account managers their own members' tickets or those assigned to them."""
    if not has_permission(viewer, Permission.TICKET_MANAGE):
        return False
    return _manages_all(viewer) or account_manager_id == viewer.id or ticket.assignee_id == viewer.id


def may_see_ticket(viewer: Viewer, ticket: models.Ticket, *, account_manager_id: int | None) -> bool:
    return viewer.is_member_self(ticket.member_id) or may_manage_ticket(
        viewer, ticket, account_manager_id=account_manager_id
    )


def needs_account_manager(viewer: Viewer) -> bool:
    """Whether deciding what this viewer sees of a ticket needs its member's account manager."""
    return viewer.is_staff and viewer.role in OWN_MEMBERS_ONLY


def may_list_member_tickets(viewer: Viewer, *, member_id: int, account_manager_id: int | None) -> bool:
    """A member's tickets as a whole: the member themself, or staff handling that member's tickets."""
    if viewer.is_member_self(member_id):
        return True
    return has_permission(viewer, Permission.TICKET_MANAGE) and (
        _manages_all(viewer) or account_manager_id == viewer.id
    )


def ticket_query(
    *,
    viewer: Viewer,
    status: TicketStatus | None = None,
    category: TicketCategory | None = None,
    severity: TicketSeverity | None = None,
    assignee_id: int | None = None,
    member_id: int | None = None,
    breached: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[models.Ticket]:
    """The tickets the viewer may list, filtered: a member's own, or those a member of staff handles.

    `breached` as the field shows it: flagged, or unresolved past its SLA due time at `now`.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if viewer.is_member:
        query = models.Ticket.filter(member_id=viewer.id)
    else:
        require_permission(viewer, Permission.TICKET_MANAGE)
        query = models.Ticket.all()
        if not _manages_all(viewer):
            query = query.filter(Q(member__account_manager_id=viewer.id) | Q(assignee_id=viewer.id))
    conditions = {
        "status": status,
        "category": category,
        "severity": severity,
        "assignee_id": assignee_id,
        "member_id": member_id,
    }
    query = query.filter(**{name: value for name, value in conditions.items() if value is not None})
    if breached is not None:
        query = query.filter(breached_condition(breached, now=now))
    return query


def member_ticket_query(*, member_id: int) -> QuerySet[models.Ticket]:
    return models.Ticket.filter(member_id=member_id)


def response_query(*, ticket_id: int, with_internal: bool) -> QuerySet[models.TicketResponse]:
    """A ticket's responses; without the internal notes for anyone but staff."""
    query = models.TicketResponse.filter(ticket_id=ticket_id)
    return query if with_internal else query.filter(is_internal=False)


def response_visible(viewer: Viewer, response: models.TicketResponse) -> bool:
    return not (response.is_internal and not viewer.is_staff)


# --- writes -------------------------------------------------------------------------------


async def create_ticket(
    *,
    viewer: Viewer,
    member_id: int | None,
    category: TicketCategory,
    subject: str,
    description: str = "",
    severity: TicketSeverity | None = None,
    now: datetime | None = None,
) -> models.Ticket:
    """Open a ticket, with its SLA due time; a complaint also raises a follow-up task for the account manager.

    A member opens tickets about themselves (memberId may be left out) and does not choose the
    severity; staff with TICKET_CREATE name the member and may choose it.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if viewer.is_member:
        member_id = viewer.id if member_id is None else member_id
        if severity is not None:
            raise DomainError(
                "INVALID", "The club sets the severity of a member's ticket; leave it out", field="severity"
            )
        severity = RULES.member_severity[category]
    else:
        require_permission(viewer, Permission.TICKET_CREATE)
        if member_id is None:
            raise DomainError("REQUIRED", "Name the member the ticket is about", field="memberId")
        severity = severity or RULES.member_severity[category]
    assert member_id is not None
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.TICKET_CREATE, allow_self=True
    )
    subject = clean_text(subject, field="subject", max_length=MAX_SUBJECT_LENGTH)
    description = clean_text(description, field="description", max_length=MAX_DESCRIPTION_LENGTH, required=False)
    now = _now(now)
    staff_id = viewer.id if viewer.is_staff else None
    async with in_transaction():
        ticket = await models.Ticket.create(
            member_id=member.id,
            category=category,
            severity=severity,
            subject=subject,
            description=description,
            status=TicketStatus.OPEN,
            created_by_id=staff_id,
            sla_due_at=sla_due_at(severity, now),
            created_at=now,
        )
        await models.TicketStatusChange.create(
            ticket_id=ticket.id, from_status=None, to_status=TicketStatus.OPEN, staff_id=staff_id, created_at=now
        )
        if category == TicketCategory.COMPLAINT:
            await tasks.raise_task(
                source_key=f"ticket:{ticket.id}",
                kind=TaskKind.COMPLAINT_FOLLOW_UP,
                title=f"Follow up on the complaint: {subject}"[:200],
                notes=description,
                due_at=ticket.sla_due_at,
                member_id=member.id,
                assignee_id=member.account_manager_id,
                now=now,
            )
    return ticket


async def _ticket(viewer: Viewer, ticket_id: int, *, staff_only: bool = False) -> models.Ticket:
    """The ticket a write is about, after checking the viewer may act on it.

    Members are told a ticket that is not theirs does not exist; staff without the permission, or
    outside their scope, are refused.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if viewer.is_staff or staff_only:
        require_permission(viewer, Permission.TICKET_MANAGE)
    ticket = await models.Ticket.get_or_none(id=ticket_id)
    if viewer.is_member:
        if ticket is None or ticket.member_id != viewer.id:
            raise NotFound("Ticket", field="ticketId")
        return ticket
    if ticket is None:
        raise NotFound("Ticket", field="ticketId")
    member = models.Member.filter(id=ticket.member_id).first()
    account_manager_id = await member.values_list("account_manager_id", flat=True)
    if not may_manage_ticket(viewer, ticket, account_manager_id=account_manager_id):
        raise PermissionDenied(SCOPE_MESSAGE)
    return ticket


async def assign_ticket(
    *, viewer: Viewer, ticket_id: int, assignee_id: int, now: datetime | None = None
) -> models.Ticket:
    """Give the ticket to an active member of staff who handles tickets."""
    ticket = await _ticket(viewer, ticket_id, staff_only=True)
    assignee = await models.Staff.get_or_none(id=assignee_id)
    if assignee is None:
        raise NotFound("Staff member", field="assigneeId")
    if not assignee.is_active or Permission.TICKET_MANAGE not in ROLE_PERMISSIONS.get(assignee.role, frozenset()):
        raise DomainError(
            "INVALID_ASSIGNEE", "Assign the ticket to an active member of staff who handles tickets", field="assigneeId"
        )
    # Conditional on the row, not on the status read above: a ticket closed meanwhile stays unassigned.
    assigned = await models.Ticket.filter(id=ticket.id).exclude(status=TicketStatus.CLOSED).update(
        assignee_id=assignee.id, updated_at=_now(now)
    )
    if not assigned:
        raise DomainError("TICKET_CLOSED", "The ticket is closed", field="ticketId")
    return await models.Ticket.get(id=ticket.id)


async def respond_to_ticket(
    *, viewer: Viewer, ticket_id: int, body: str, internal: bool = False, now: datetime | None = None
) -> models.TicketResponse:
    """A reply on a ticket, by staff handling it or by its member; internal notes are staff's own.

    The reply is written in one transaction with a conditional UPDATE of the ticket's `updated_at`
    (not closed): that UPDATE locks the row, so a concurrent close waits for the reply or the reply
    is refused, and a closed ticket never gets one.
    """
    ticket = await _ticket(viewer, ticket_id)
    if internal and not viewer.is_staff:
        raise DomainError("INVALID", "Only staff write internal notes", field="internal")
    body = clean_text(body, field="body", max_length=MAX_BODY_LENGTH)
    now = _now(now)
    closed = DomainError("TICKET_CLOSED", "The ticket is closed and takes no more responses", field="ticketId")
    if ticket.status == TicketStatus.CLOSED:
        raise closed
    async with in_transaction():
        open_ = await models.Ticket.filter(id=ticket.id).exclude(status=TicketStatus.CLOSED).update(updated_at=now)
        if not open_:
            raise closed
        return await models.TicketResponse.create(
            ticket_id=ticket.id,
            staff_id=viewer.id if viewer.is_staff else None,
            member_id=viewer.id if viewer.is_member else None,
            body=body,
            is_internal=internal,
            created_at=now,
        )


async def transition_ticket(
    *, viewer: Viewer, ticket_id: int, status: TicketStatus, note: str = "", now: datetime | None = None
) -> models.Ticket:
    """Move the ticket one step along the workflow, and record the step.

    The move is a conditional UPDATE on the status it was read with: of two concurrent moves from
    the same status, one wins and the other is told the move is no longer valid. A member may
    close their own ticket once it is resolved, nothing else.

    A move that stops the SLA clock (from open or in progress to resolved or closed) after the due
    time flags the breach in the same UPDATE, unless the hourly job flagged it already.
    """
    ticket = await _ticket(viewer, ticket_id)
    note = clean_text(note, field="note", max_length=MAX_NOTE_LENGTH, required=False)
    if viewer.is_member and not (ticket.status == TicketStatus.RESOLVED and status == TicketStatus.CLOSED):
        raise DomainError(
            "INVALID_TRANSITION",
            "You can close your ticket once it is resolved; the club moves it otherwise",
            field="status",
        )
    check_transition(ticket.status, status)
    now = _now(now)
    changes: dict[str, object] = {"status": status, "updated_at": now}
    if status == TicketStatus.RESOLVED:
        changes["resolved_at"] = now
    elif status == TicketStatus.CLOSED:
        changes["closed_at"] = now
    elif status == TicketStatus.IN_PROGRESS and ticket.status == TicketStatus.RESOLVED:
        changes["resolved_at"] = None  # reopened: it is not resolved any more
    late = ticket.status in UNRESOLVED and status not in UNRESOLVED and ticket.sla_due_at < now
    async with in_transaction():
        current_row = models.Ticket.filter(id=ticket.id, status=ticket.status)
        moved = 0
        if late and not ticket.breached:
            # Flag only where not flagged yet: the job's earlier breached_at stays.
            moved = await current_row.filter(breached=False).update(**changes, breached=True, breached_at=now)
        if not moved:
            moved = await current_row.update(**changes)
        if not moved:
            current = await models.Ticket.get(id=ticket.id)
            check_transition(current.status, status)  # raises: it moved on meanwhile
            raise DomainError("INVALID_TRANSITION", "The ticket changed meanwhile; read it again", field="status")
        await models.TicketStatusChange.create(
            ticket_id=ticket.id,
            from_status=ticket.status,
            to_status=status,
            staff_id=viewer.id if viewer.is_staff else None,
            note=note,
            created_at=now,
        )
    return await models.Ticket.get(id=ticket.id)


async def flag_breaches(*, now: datetime | None = None) -> int:
    """Mark the unresolved tickets past their SLA due time as breached, in one UPDATE; returns how many.

    Safe to run as often as wanted and in several processes: a ticket is flagged once. Reads do not
    wait for it (see `is_breached`); it stamps `breached_at` and is what later alerts hang on.
    Tickets resolved or closed late are flagged by their transition.
    """
    now = _now(now)
    async with in_transaction():
        flagged = await models.Ticket.filter(status__in=UNRESOLVED, sla_due_at__lt=now, breached=False).update(
            breached=True, breached_at=now
        )
        if flagged:
            await _breach_events(now)
    return flagged


async def _breach_events(breached_at: datetime) -> None:
    """The `ticket.breached` webhook events of the tickets just flagged (stamped `breached_at`), once each."""
    rows = await models.Ticket.filter(breached=True, breached_at=breached_at).values(
        "id", "member_id", "category", "severity", "sla_due_at"
    )
    events = [
        outbox.Pending(
            key=f"ticket.breached:{row['id']}",
            member_id=row["member_id"],
            payload=outbox.ticket_breached(
                ticket_id=row["id"],
                member_id=row["member_id"],
                category=str(row["category"]),
                severity=str(row["severity"]),
                sla_due_at=row["sla_due_at"],
                breached_at=breached_at,
            ),
        )
        for row in rows
    ]
    await outbox.enqueue_once(models.WebhookEventType.TICKET_BREACHED, events, now=breached_at)
    await live.publish_breaches(row["id"] for row in rows)  # the `ticketBreached` subscribers, at commit
