"""ticketTransition: tickets move only along the workflow; every step is recorded, and concurrent moves cannot both win."""

import asyncio
import itertools

import pytest

from domain import models
from domain.tickets import TRANSITIONS
from tests.factories import gid, gql, make_member, make_staff, make_ticket, member_token, refused, staff_token

TICKET_TRANSITION = """
mutation($input: TicketTransitionInput!) {
  ticketTransition(input: $input) {
    ticket { id status nextStatuses statusHistory { fromStatus toStatus note staff { name } } }
    errors { field code message }
  }
}
"""
STATUSES = ["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"]
ALLOWED = {
    ("OPEN", "IN_PROGRESS"),
    ("OPEN", "RESOLVED"),
    ("OPEN", "CLOSED"),
    ("IN_PROGRESS", "RESOLVED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "IN_PROGRESS"),
}
NEXT = {"OPEN": "IN_PROGRESS, RESOLVED, CLOSED", "IN_PROGRESS": "RESOLVED", "RESOLVED": "CLOSED, IN_PROGRESS", "CLOSED": "none, it is final"}


def transition(ticket, status, note=""):
    return {"input": {"ticketId": gid("Ticket", ticket.id), "status": status, "note": note}}


def test_the_workflow_table_is_the_one_documented():
    assert {(a.name, b.name) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
async def test_every_pair_of_states(client, current, target):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER, name="Clara")
    ticket = await make_ticket(await make_member(), status=models.TicketStatus[current])
    # when
    result = await gql(client, TICKET_TRANSITION, transition(ticket, target, "Checked"), token=staff_token(manager))
    # then
    row = await models.Ticket.get(id=ticket.id)
    history = await models.TicketStatusChange.filter(ticket_id=ticket.id).values_list("from_status", "to_status", "staff_id")
    if (current, target) in ALLOWED:
        assert result == {
            "data": {
                "ticketTransition": {
                    "ticket": {
                        "id": gid("Ticket", ticket.id),
                        "status": target,
                        "nextStatuses": [status.strip() for status in NEXT[target].split(",")] if target != "CLOSED" else [],
                        "statusHistory": [
                            {"fromStatus": current, "toStatus": target, "note": "Checked", "staff": {"name": "Clara"}}
                        ],
                    },
                    "errors": [],
                }
            }
        }
        assert row.status.name == target
        assert history == [(models.TicketStatus[current], models.TicketStatus[target], manager.id)]
        assert (row.resolved_at is not None) == (target == "RESOLVED")
        assert (row.closed_at is not None) == (target == "CLOSED")
    else:
        message = f"A {current} ticket cannot move to {target}; allowed next: {NEXT[current]}"
        assert result == {
            "data": {
                "ticketTransition": {
                    "ticket": None,
                    "errors": [{"field": "status", "code": "INVALID_TRANSITION", "message": message}],
                }
            }
        }
        assert row.status.name == current
        assert history == []


async def test_reopening_a_resolved_ticket_clears_its_resolution_time(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    ticket = await make_ticket(await make_member())
    token = staff_token(manager)
    await gql(client, TICKET_TRANSITION, transition(ticket, "RESOLVED"), token=token)
    resolved_at = (await models.Ticket.get(id=ticket.id)).resolved_at
    # when
    result = await gql(client, TICKET_TRANSITION, transition(ticket, "IN_PROGRESS", "Not fixed after all"), token=token)
    # then
    assert result["data"]["ticketTransition"]["errors"] == []
    assert resolved_at is not None
    assert (await models.Ticket.get(id=ticket.id)).resolved_at is None


async def test_a_member_may_close_their_own_resolved_ticket_and_nothing_else(client):
    # given
    member = await make_member()
    resolved = await make_ticket(member, status=models.TicketStatus.RESOLVED)
    open_ = await make_ticket(member)
    token = member_token(member)
    # when
    closed = await gql(client, TICKET_TRANSITION, transition(resolved, "CLOSED", "Thank you"), token=token)
    moved = await gql(client, TICKET_TRANSITION, transition(open_, "RESOLVED"), token=token)
    # then
    assert (await models.TicketStatusChange.get(ticket_id=resolved.id)).note == "Thank you"
    assert closed == {
        "data": {
            "ticketTransition": {
                "ticket": {
                    "id": gid("Ticket", resolved.id),
                    "status": "CLOSED",
                    "nextStatuses": [],
                    # the member's note is kept for staff, and hidden like every note from members
                    "statusHistory": [{"fromStatus": "RESOLVED", "toStatus": "CLOSED", "note": None, "staff": None}],
                },
                "errors": [],
            }
        }
    }
    message = "You can close your ticket once it is resolved; the club moves it otherwise"
    assert moved == {
        "data": {
            "ticketTransition": {
                "ticket": None,
                "errors": [{"field": "status", "code": "INVALID_TRANSITION", "message": message}],
            }
        }
    }
    assert (await models.Ticket.get(id=open_.id)).status == models.TicketStatus.OPEN


async def test_a_member_is_not_told_about_another_members_ticket(client):
    # given
    ticket = await make_ticket(await make_member(), status=models.TicketStatus.RESOLVED)
    # when
    result = await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED"), token=member_token(await make_member()))
    # then
    assert result == {
        "data": {
            "ticketTransition": {
                "ticket": None,
                "errors": [{"field": "ticketId", "code": "NOT_FOUND", "message": "Ticket not found"}],
            }
        }
    }
    assert (await models.Ticket.get(id=ticket.id)).status == models.TicketStatus.RESOLVED


async def test_unknown_ticket_and_too_long_note(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    ticket = await make_ticket(await make_member())
    # when
    unknown = await gql(client, TICKET_TRANSITION, {"input": {"ticketId": gid("Ticket", 999), "status": "CLOSED"}}, token=token)
    wrong_type = await gql(client, TICKET_TRANSITION, {"input": {"ticketId": gid("Member", 1), "status": "CLOSED"}}, token=token)
    long_note = await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED", "x" * 501), token=token)
    bad_note = await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED", "Done\x07"), token=token)
    # then
    not_found = {"field": "ticketId", "code": "NOT_FOUND", "message": "Ticket not found"}
    assert unknown == wrong_type == {"data": {"ticketTransition": {"ticket": None, "errors": [not_found]}}}
    assert long_note == {
        "data": {
            "ticketTransition": {
                "ticket": None,
                "errors": [{"field": "note", "code": "TOO_LONG", "message": "At most 500 characters"}],
            }
        }
    }
    assert bad_note == {
        "data": {
            "ticketTransition": {
                "ticket": None,
                "errors": [{"field": "note", "code": "INVALID", "message": "Control characters are not allowed"}],
            }
        }
    }
    assert (await models.Ticket.get(id=ticket.id)).status == models.TicketStatus.OPEN


async def test_an_account_manager_moves_their_members_tickets_and_those_assigned_to_them_only(client):
    # given
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    oscar = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    theirs = await make_ticket(await make_member(account_manager_id=olivia.id))
    assigned = await make_ticket(await make_member(account_manager_id=oscar.id), assignee_id=olivia.id)
    other = await make_ticket(await make_member(account_manager_id=oscar.id))
    token = staff_token(olivia)
    # when
    results = [await gql(client, TICKET_TRANSITION, transition(t, "IN_PROGRESS"), token=token) for t in (theirs, assigned, other)]
    # then
    assert [r["data"]["ticketTransition"]["errors"] for r in results[:2]] == [[], []]
    assert results[2] == refused(
        "ticketTransition", "FORBIDDEN", "Only the member's own account manager or the ticket's assignee may handle this ticket"
    )
    assert (await models.Ticket.get(id=other.id)).status == models.TicketStatus.OPEN


@pytest.mark.parametrize("role", [models.StaffRole.FRONT_DESK, models.StaffRole.EVENT_MANAGER])
async def test_staff_who_do_not_handle_tickets_are_refused(client, role):
    # given
    ticket = await make_ticket(await make_member())
    # when
    result = await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED"), token=staff_token(await make_staff(role)))
    anonymous = await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED"))
    # then
    assert result == refused("ticketTransition", "FORBIDDEN")
    assert anonymous == refused("ticketTransition", "UNAUTHENTICATED")


async def test_of_concurrent_moves_from_the_same_status_exactly_one_wins(client):
    # given: ten managers resolve and close the same open ticket at once
    ticket = await make_ticket(await make_member())
    managers = [await make_staff(models.StaffRole.CLUB_MANAGER) for _ in range(10)]
    # when
    results = await asyncio.gather(
        *(
            gql(client, TICKET_TRANSITION, transition(ticket, "RESOLVED" if n % 2 else "CLOSED"), token=staff_token(manager))
            for n, manager in enumerate(managers)
        )
    )
    # then
    payloads = [result["data"]["ticketTransition"] for result in results]
    winners = [payload for payload in payloads if payload["errors"] == []]
    assert len(winners) == 1
    assert {error["code"] for payload in payloads if payload["errors"] for error in payload["errors"]} == {"INVALID_TRANSITION"}
    history = await models.TicketStatusChange.filter(ticket_id=ticket.id).values_list("from_status", flat=True)
    assert history == [models.TicketStatus.OPEN]
    assert (await models.Ticket.get(id=ticket.id)).status.name == winners[0]["ticket"]["status"]


async def test_notes_are_for_staff_only_and_null_for_the_member(client):
    # given
    member = await make_member()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER, name="Bea")
    ticket = await make_ticket(member)
    await gql(client, TICKET_TRANSITION, transition(ticket, "RESOLVED", "Refunded, he was rude to the waiter"), token=staff_token(boss))
    await gql(client, TICKET_TRANSITION, transition(ticket, "CLOSED", "Thanks"), token=member_token(member))
    query = "query($id: ID!) { ticket(id: $id) { statusHistory { toStatus note staff { name } } } }"
    variables = {"id": gid("Ticket", ticket.id)}
    # when
    as_member = await gql(client, query, variables, token=member_token(member))
    as_staff = await gql(client, query, variables, token=staff_token(boss))
    # then
    assert as_member["data"]["ticket"]["statusHistory"] == [
        {"toStatus": "RESOLVED", "note": None, "staff": {"name": "Bea"}},
        {"toStatus": "CLOSED", "note": None, "staff": None},
    ]
    assert as_staff["data"]["ticket"]["statusHistory"] == [
        {"toStatus": "RESOLVED", "note": "Refunded, he was rude to the waiter", "staff": {"name": "Bea"}},
        {"toStatus": "CLOSED", "note": "Thanks", "staff": None},
    ]
