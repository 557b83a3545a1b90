"""ticketRespond: staff and the ticket's member reply; internal notes stay among staff; a closed ticket takes no replies."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_ticket, member_token, refused, staff_token

TICKET_RESPOND = """
mutation($input: TicketRespondInput!) {
  ticketRespond(input: $input) {
    ticket { id }
    response { body isInternal staff { name } member { id } }
    errors { field code message }
  }
}
"""
RESPONSES = """
query($id: ID!) {
  ticket(id: $id) { responses { edges { node { body isInternal } } pageInfo { hasNextPage } totalCount } }
}
"""


def respond(ticket, body, **fields):
    return {"input": {"ticketId": gid("Ticket", ticket.id), "body": body, **fields}}


def error(field, code, message):
    return {
        "data": {"ticketRespond": {"ticket": None, "response": None, "errors": [{"field": field, "code": code, "message": message}]}}
    }


async def test_staff_reply_and_note_and_the_member_replies_but_never_sees_the_note(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Olivia")
    member = await make_member(account_manager_id=manager.id)
    ticket = await make_ticket(member)
    # when
    reply = await gql(client, TICKET_RESPOND, respond(ticket, "We are on it"), token=staff_token(manager))
    note = await gql(client, TICKET_RESPOND, respond(ticket, "Chef informed", internal=True), token=staff_token(manager))
    answer = await gql(client, TICKET_RESPOND, respond(ticket, " Thanks! "), token=member_token(member))
    member_view = await gql(client, RESPONSES, {"id": gid("Ticket", ticket.id)}, token=member_token(member))
    staff_view = await gql(client, RESPONSES, {"id": gid("Ticket", ticket.id)}, token=staff_token(manager))
    # then
    ticket_ref = {"id": gid("Ticket", ticket.id)}
    assert reply == {
        "data": {
            "ticketRespond": {
                "ticket": ticket_ref,
                "response": {"body": "We are on it", "isInternal": False, "staff": {"name": "Olivia"}, "member": None},
                "errors": [],
            }
        }
    }
    assert note["data"]["ticketRespond"]["response"] == {
        "body": "Chef informed", "isInternal": True, "staff": {"name": "Olivia"}, "member": None
    }
    assert answer["data"]["ticketRespond"]["response"] == {
        "body": "Thanks!", "isInternal": False, "staff": None, "member": {"id": gid("Member", member.id)}
    }
    public = [{"node": {"body": "We are on it", "isInternal": False}}, {"node": {"body": "Thanks!", "isInternal": False}}]
    assert member_view == {"data": {"ticket": {"responses": {"edges": public, "pageInfo": {"hasNextPage": False}, "totalCount": 2}}}}
    assert staff_view == {
        "data": {
            "ticket": {
                "responses": {
                    "edges": [public[0], {"node": {"body": "Chef informed", "isInternal": True}}, public[1]],
                    "pageInfo": {"hasNextPage": False},
                    "totalCount": 3,
                }
            }
        }
    }


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"body": " "}, "body", "REQUIRED", "This value is required"),
        ({"body": "x" * 5001}, "body", "TOO_LONG", "At most 5000 characters"),
        ({"internal": True}, "internal", "INVALID", "Only staff write internal notes"),
    ],
)
async def test_a_members_bad_reply_is_refused(client, fields, field, code, message):
    # given
    member = await make_member()
    ticket = await make_ticket(member)
    # when
    result = await gql(client, TICKET_RESPOND, {"input": {"ticketId": gid("Ticket", ticket.id), "body": "Hi", **fields}}, token=member_token(member))
    # then
    assert result == error(field, code, message)
    assert await models.TicketResponse.all().count() == 0


async def test_a_closed_ticket_takes_no_responses(client):
    # given
    member = await make_member()
    ticket = await make_ticket(member, status=models.TicketStatus.CLOSED)
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    by_member = await gql(client, TICKET_RESPOND, respond(ticket, "Hello?"), token=member_token(member))
    by_staff = await gql(client, TICKET_RESPOND, respond(ticket, "Hello"), token=staff_token(manager))
    # then
    assert by_member == by_staff == error("ticketId", "TICKET_CLOSED", "The ticket is closed and takes no more responses")
    assert await models.TicketResponse.all().count() == 0


async def test_others_are_refused_or_not_told(client):
    # given
    member = await make_member()
    ticket = await make_ticket(member)
    # when
    other_member = await gql(client, TICKET_RESPOND, respond(ticket, "Hi"), token=member_token(await make_member()))
    desk = await gql(client, TICKET_RESPOND, respond(ticket, "Hi"), token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    other_manager = await gql(
        client, TICKET_RESPOND, respond(ticket, "Hi"), token=staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER))
    )
    anonymous = await gql(client, TICKET_RESPOND, respond(ticket, "Hi"))
    # then
    assert other_member == error("ticketId", "NOT_FOUND", "Ticket not found")
    assert desk == refused("ticketRespond", "FORBIDDEN")
    assert other_manager == refused(
        "ticketRespond", "FORBIDDEN", "Only the member's own account manager or the ticket's assignee may handle this ticket"
    )
    assert anonymous == refused("ticketRespond", "UNAUTHENTICATED")
    assert await models.TicketResponse.all().count() == 0
