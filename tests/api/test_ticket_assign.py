"""ticketAssign: a ticket goes to an active member of staff who handles tickets."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_ticket, member_token, refused, staff_token

TICKET_ASSIGN = """
mutation($input: TicketAssignInput!) {
  ticketAssign(input: $input) {
    ticket { id assignee { name } }
    errors { field code message }
  }
}
"""


def assign(ticket, staff_id):
    return {"input": {"ticketId": gid("Ticket", ticket.id), "assigneeId": gid("Staff", staff_id)}}


def error(field, code, message):
    return {"data": {"ticketAssign": {"ticket": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_manager_assigns_a_ticket_to_an_account_manager_who_then_sees_it(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    oscar = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Oscar")
    ticket = await make_ticket(await make_member())  # not one of Oscar's members
    # when
    result = await gql(client, TICKET_ASSIGN, assign(ticket, oscar.id), token=staff_token(manager))
    seen = await gql(client, "query($id: ID!) { ticket(id: $id) { id } }", {"id": gid("Ticket", ticket.id)}, token=staff_token(oscar))
    # then
    assert result == {"data": {"ticketAssign": {"ticket": {"id": gid("Ticket", ticket.id), "assignee": {"name": "Oscar"}}, "errors": []}}}
    assert (await models.Ticket.get(id=ticket.id)).assignee_id == oscar.id
    assert seen == {"data": {"ticket": {"id": gid("Ticket", ticket.id)}}}


@pytest.mark.parametrize(
    ("role", "active"),
    [(models.StaffRole.FRONT_DESK, True), (models.StaffRole.EVENT_MANAGER, True), (models.StaffRole.ACCOUNT_MANAGER, False)],
)
async def test_the_assignee_must_be_active_staff_who_handle_tickets(client, role, active):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    staff = await make_staff(role, is_active=active)
    ticket = await make_ticket(await make_member())
    # when
    result = await gql(client, TICKET_ASSIGN, assign(ticket, staff.id), token=staff_token(manager))
    # then
    assert result == error(
        "assigneeId", "INVALID_ASSIGNEE", "Assign the ticket to an active member of staff who handles tickets"
    )
    assert (await models.Ticket.get(id=ticket.id)).assignee_id is None


async def test_unknown_assignee_unknown_ticket_and_closed_ticket(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    ticket = await make_ticket(await make_member())
    closed = await make_ticket(await make_member(), status=models.TicketStatus.CLOSED)
    token = staff_token(manager)
    # when
    unknown_staff = await gql(client, TICKET_ASSIGN, assign(ticket, 999), token=token)
    unknown_ticket = await gql(
        client, TICKET_ASSIGN, {"input": {"ticketId": gid("Ticket", 999), "assigneeId": gid("Staff", manager.id)}}, token=token
    )
    closed_ticket = await gql(client, TICKET_ASSIGN, assign(closed, manager.id), token=token)
    # then
    assert unknown_staff == error("assigneeId", "NOT_FOUND", "Staff member not found")
    assert unknown_ticket == error("ticketId", "NOT_FOUND", "Ticket not found")
    assert closed_ticket == error("ticketId", "TICKET_CLOSED", "The ticket is closed")
    assert await models.Ticket.filter(assignee_id__isnull=False).count() == 0


async def test_members_front_desk_and_anonymous_callers_are_refused(client):
    # given
    member = await make_member()
    ticket = await make_ticket(member)
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    by_member = await gql(client, TICKET_ASSIGN, assign(ticket, manager.id), token=member_token(member))
    by_desk = await gql(client, TICKET_ASSIGN, assign(ticket, manager.id), token=staff_token(desk))
    anonymous = await gql(client, TICKET_ASSIGN, assign(ticket, manager.id))
    # then
    assert by_member == by_desk == refused("ticketAssign", "FORBIDDEN")
    assert anonymous == refused("ticketAssign", "UNAUTHENTICATED")
    assert (await models.Ticket.get(id=ticket.id)).assignee_id is None
