"""ticketCreate: members open tickets about themselves, staff on a member's behalf; a complaint raises a follow-up task."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, member_token, refused, staff_token

TICKET_CREATE = """
mutation($input: TicketCreateInput!) {
  ticketCreate(input: $input) {
    ticket {
      category severity subject description status breached resolvedAt closedAt
      member { id } createdBy { name } assignee { name }
      statusHistory { fromStatus toStatus staff { name } note }
      nextStatuses
    }
    errors { field code message }
  }
}
"""


def error(field, code, message):
    return {"data": {"ticketCreate": {"ticket": None, "errors": [{"field": field, "code": code, "message": message}]}}}


def expected_ticket(member, *, category, severity, created_by=None, subject="Cold soup", description=""):
    return {
        "category": category,
        "severity": severity,
        "subject": subject,
        "description": description,
        "status": "OPEN",
        "breached": False,
        "resolvedAt": None,
        "closedAt": None,
        "member": {"id": gid("Member", member.id)},
        "createdBy": {"name": created_by} if created_by else None,
        "assignee": None,
        "statusHistory": [
            # Members (who open their own tickets here) see no notes: they are staff's.
            {
                "fromStatus": None,
                "toStatus": "OPEN",
                "staff": {"name": created_by} if created_by else None,
                "note": "" if created_by else None,
            }
        ],
        "nextStatuses": ["IN_PROGRESS", "RESOLVED", "CLOSED"],
    }


async def test_a_members_complaint_gets_medium_severity_a_72_hour_sla_and_a_task_for_their_account_manager(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Olivia")
    member = await make_member(account_manager_id=manager.id)
    before = datetime.now(timezone.utc)
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"category": "COMPLAINT", "subject": " Cold soup ", "description": "At the gala dinner"}},
        token=member_token(member),
    )
    # then
    assert result == {
        "data": {
            "ticketCreate": {
                "ticket": expected_ticket(member, category="COMPLAINT", severity="MEDIUM", description="At the gala dinner"),
                "errors": [],
            }
        }
    }
    ticket = await models.Ticket.get(member_id=member.id)
    assert ticket.sla_due_at - ticket.created_at == timedelta(hours=72)
    assert before <= ticket.created_at <= datetime.now(timezone.utc)
    task = await models.Task.get(source_key=f"ticket:{ticket.id}")
    assert (task.kind, task.member_id, task.assignee_id, task.due_at, task.status) == (
        models.TaskKind.COMPLAINT_FOLLOW_UP,
        member.id,
        manager.id,
        ticket.sla_due_at,
        models.TaskStatus.OPEN,
    )
    assert task.title == "Follow up on the complaint: Cold soup"


@pytest.mark.parametrize(("category", "severity"), [("REQUEST", "MEDIUM"), ("PRAISE", "LOW")])
async def test_requests_and_praise_raise_no_task(client, category, severity):
    # given
    member = await make_member()
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"memberId": gid("Member", member.id), "category": category, "subject": "Cold soup"}},
        token=member_token(member),
    )
    # then
    assert result == {
        "data": {"ticketCreate": {"ticket": expected_ticket(member, category=category, severity=severity), "errors": []}}
    }
    assert await models.Task.all().count() == 0


@pytest.mark.parametrize(
    ("severity", "sla"),
    [("CRITICAL", timedelta(hours=4)), ("HIGH", timedelta(hours=24)), ("MEDIUM", timedelta(hours=72)), ("LOW", timedelta(days=7))],
)
async def test_staff_choose_the_severity_which_sets_the_sla(client, severity, sla):
    # given
    member = await make_member()
    desk = await make_staff(models.StaffRole.FRONT_DESK, name="Dora")
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"memberId": gid("Member", member.id), "category": "REQUEST", "severity": severity, "subject": "Cold soup"}},
        token=staff_token(desk),
    )
    # then
    assert result == {
        "data": {
            "ticketCreate": {
                "ticket": expected_ticket(member, category="REQUEST", severity=severity, created_by="Dora"),
                "errors": [],
            }
        }
    }
    ticket = await models.Ticket.get(member_id=member.id)
    assert (ticket.sla_due_at - ticket.created_at, ticket.created_by_id) == (sla, desk.id)


async def test_a_complaint_opened_by_staff_for_a_member_without_account_manager_raises_an_unassigned_task(client):
    # given
    member = await make_member(account_manager_id=None)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"memberId": gid("Member", member.id), "category": "COMPLAINT", "subject": "Noise"}},
        token=staff_token(desk),
    )
    # then
    assert result["data"]["ticketCreate"]["errors"] == []
    ticket = await models.Ticket.get(member_id=member.id)
    assert ticket.severity == models.TicketSeverity.MEDIUM
    task = await models.Task.get(source_key=f"ticket:{ticket.id}")
    assert (task.assignee_id, task.due_at) == (None, ticket.sla_due_at)


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"subject": "  "}, "subject", "REQUIRED", "This value is required"),
        ({"subject": "x" * 201}, "subject", "TOO_LONG", "At most 200 characters"),
        ({"description": "x" * 5001}, "description", "TOO_LONG", "At most 5000 characters"),
        ({"subject": "Bad\x00"}, "subject", "INVALID", "Control characters are not allowed"),
        ({"severity": "HIGH"}, "severity", "INVALID", "The club sets the severity of a member's ticket; leave it out"),
    ],
)
async def test_a_members_bad_input_is_refused_and_nothing_is_written(client, fields, field, code, message):
    # given
    member = await make_member()
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"category": "COMPLAINT", "subject": "Cold soup", **fields}},
        token=member_token(member),
    )
    # then
    assert result == error(field, code, message)
    assert (await models.Ticket.all().count(), await models.Task.all().count()) == (0, 0)


async def test_a_member_cannot_open_a_ticket_about_someone_else(client):
    # given
    member, other = await make_member(), await make_member()
    # when
    result = await gql(
        client,
        TICKET_CREATE,
        {"input": {"memberId": gid("Member", other.id), "category": "COMPLAINT", "subject": "Cold soup"}},
        token=member_token(member),
    )
    # then
    assert result == error("memberId", "NOT_FOUND", "Member not found")
    assert await models.Ticket.all().count() == 0


async def test_staff_must_name_an_existing_member(client):
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    missing = await gql(client, TICKET_CREATE, {"input": {"category": "REQUEST", "subject": "Towels"}}, token=staff_token(desk))
    unknown = await gql(
        client,
        TICKET_CREATE,
        {"input": {"memberId": gid("Member", 999), "category": "REQUEST", "subject": "Towels"}},
        token=staff_token(desk),
    )
    # then
    assert missing == error("memberId", "REQUIRED", "Name the member the ticket is about")
    assert unknown == error("memberId", "NOT_FOUND", "Member not found")


async def test_anonymous_callers_and_staff_without_the_permission_are_refused(client):
    # given
    member = await make_member()
    partners = await make_staff(models.StaffRole.PARTNER_MANAGER)
    variables = {"input": {"memberId": gid("Member", member.id), "category": "REQUEST", "subject": "Towels"}}
    # when
    anonymous = await gql(client, TICKET_CREATE, variables)
    partner_manager = await gql(client, TICKET_CREATE, variables, token=staff_token(partners))
    # then
    assert anonymous == refused("ticketCreate", "UNAUTHENTICATED")
    assert partner_manager == refused("ticketCreate", "FORBIDDEN")
    assert await models.Ticket.all().count() == 0
