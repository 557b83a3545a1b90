"""Reading tickets: `tickets`, `ticket`, `node` and `Member.tickets`; members see their own, staff those they handle."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_ticket, member_token, refused, staff_token

TICKETS = """
query($filter: TicketFilter, $first: Int, $after: String) {
  tickets(filter: $filter, first: $first, after: $after) {
    edges { node { subject } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
MEMBER_TICKETS = "query($id: ID!) { member(id: $id) { tickets { edges { node { subject } } } } }"
TICKET = "query($id: ID!) { ticket(id: $id) { subject } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Ticket { subject } } }"


def subjects(result, field="tickets"):
    return [edge["node"]["subject"] for edge in result["data"][field]["edges"]]


async def a_desk_of_tickets():
    """Olivia's member Mia with three tickets, Oscar's member Otto with two (one assigned to Olivia)."""
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Olivia")
    oscar = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Oscar")
    mia = await make_member(account_manager_id=olivia.id)
    otto = await make_member(account_manager_id=oscar.id)
    await make_ticket(mia, subject="Mia 1", category=models.TicketCategory.COMPLAINT, breached=True)
    await make_ticket(mia, subject="Mia 2", status=models.TicketStatus.RESOLVED, severity=models.TicketSeverity.HIGH)
    await make_ticket(otto, subject="Otto 1", assignee_id=olivia.id)
    await make_ticket(otto, subject="Otto 2", category=models.TicketCategory.PRAISE)
    await make_ticket(mia, subject="Mia 3", category=models.TicketCategory.PRAISE)
    return olivia, oscar, mia, otto


async def test_staff_see_every_ticket_newest_first_and_account_managers_theirs(client):
    # given
    olivia, oscar, mia, otto = await a_desk_of_tickets()
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    everything = await gql(client, TICKETS, token=staff_token(manager))
    olivias = await gql(client, TICKETS, token=staff_token(olivia))
    oscars = await gql(client, TICKETS, token=staff_token(oscar))
    # then
    assert subjects(everything) == ["Mia 3", "Otto 2", "Otto 1", "Mia 2", "Mia 1"]
    assert subjects(olivias) == ["Mia 3", "Otto 1", "Mia 2", "Mia 1"]
    assert subjects(oscars) == ["Otto 2", "Otto 1"]


async def test_members_see_only_their_own_and_filters_still_apply(client):
    # given
    olivia, oscar, mia, otto = await a_desk_of_tickets()
    # when
    own = await gql(client, TICKETS, token=member_token(mia))
    someone_elses = await gql(client, TICKETS, {"filter": {"memberId": gid("Member", otto.id)}}, token=member_token(mia))
    praise = await gql(client, TICKETS, {"filter": {"category": "PRAISE"}}, token=member_token(mia))
    # then
    assert subjects(own) == ["Mia 3", "Mia 2", "Mia 1"]
    assert subjects(someone_elses) == []
    assert subjects(praise) == ["Mia 3"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"status": "RESOLVED"}, ["Mia 2"]),
        ({"category": "COMPLAINT"}, ["Mia 1"]),
        ({"severity": "HIGH"}, ["Mia 2"]),
        ({"breached": True}, ["Mia 1"]),
        ({"breached": False, "category": "PRAISE"}, ["Mia 3", "Otto 2"]),
        ({"assigneeId": "ASSIGNEE"}, ["Otto 1"]),
        ({"memberId": "OTTO"}, ["Otto 2", "Otto 1"]),
    ],
)
async def test_filters(client, filter, expected):
    # given
    olivia, oscar, mia, otto = await a_desk_of_tickets()
    filter = {
        key: gid("Staff", olivia.id) if value == "ASSIGNEE" else gid("Member", otto.id) if value == "OTTO" else value
        for key, value in filter.items()
    }
    # when
    result = await gql(client, TICKETS, {"filter": filter}, token=staff_token(await make_staff(models.StaffRole.ADMINISTRATOR)))
    # then
    assert subjects(result) == expected


async def test_pages_follow_the_cursor(client):
    # given
    await a_desk_of_tickets()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    first = await gql(client, TICKETS, {"first": 2}, token=token)
    second = await gql(client, TICKETS, {"first": 2, "after": first["data"]["tickets"]["pageInfo"]["endCursor"]}, token=token)
    # then
    assert subjects(first) == ["Mia 3", "Otto 2"]
    assert first["data"]["tickets"]["pageInfo"]["hasNextPage"] is True
    assert subjects(second) == ["Otto 1", "Mia 2"]


async def test_callers_without_access_are_refused_the_list(client):
    # when
    anonymous = await gql(client, TICKETS)
    desk = await gql(client, TICKETS, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    # then
    assert anonymous == refused("tickets", "UNAUTHENTICATED")
    assert desk == refused("tickets", "FORBIDDEN")


async def test_one_ticket_by_id_and_as_a_node_is_null_for_those_who_may_not_see_it(client):
    # given
    olivia, oscar, mia, otto = await a_desk_of_tickets()
    ticket = await models.Ticket.get(subject="Mia 1")
    variables = {"id": gid("Ticket", ticket.id)}
    callers = {
        "mia": member_token(mia),
        "otto": member_token(otto),
        "olivia": staff_token(olivia),
        "oscar": staff_token(oscar),
        "desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
        "anonymous": None,
    }
    # when
    by_id = {name: await gql(client, TICKET, variables, token=token) for name, token in callers.items()}
    as_node = {name: await gql(client, NODE, variables, token=token) for name, token in callers.items()}
    # then
    seen = {"mia", "olivia"}
    assert by_id == {name: {"data": {"ticket": {"subject": "Mia 1"} if name in seen else None}} for name in callers}
    assert as_node == {name: {"data": {"node": {"subject": "Mia 1"} if name in seen else None}} for name in callers}


async def test_member_tickets_for_the_member_and_staff_handling_them(client):
    # given
    olivia, oscar, mia, otto = await a_desk_of_tickets()
    variables = {"id": gid("Member", mia.id)}
    # when
    own = await gql(client, MEMBER_TICKETS, variables, token=member_token(mia))
    olivias = await gql(client, MEMBER_TICKETS, variables, token=staff_token(olivia))
    oscars = await gql(client, MEMBER_TICKETS, variables, token=staff_token(oscar))
    desk = await gql(client, MEMBER_TICKETS, variables, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    # then
    mias = {"data": {"member": {"tickets": {"edges": [{"node": {"subject": s}} for s in ("Mia 3", "Mia 2", "Mia 1")]}}}}
    assert own == olivias == mias
    assert oscars == desk == {"data": {"member": {"tickets": None}}}


async def test_responses_page_through_their_cursor(client):
    # given
    member = await make_member()
    ticket = await make_ticket(member)
    now = datetime.now(timezone.utc)
    for n in range(5):
        await models.TicketResponse.create(ticket=ticket, member_id=member.id, body=f"Reply {n}", created_at=now + timedelta(minutes=n))
    query = """
    query($id: ID!, $after: String) {
      ticket(id: $id) { responses(first: 2, after: $after) { edges { node { body } } pageInfo { hasNextPage hasPreviousPage endCursor } } }
    }
    """
    token = member_token(member)
    pages, after = [], None
    # when
    while True:
        result = await gql(client, query, {"id": gid("Ticket", ticket.id), "after": after}, token=token)
        page = result["data"]["ticket"]["responses"]
        pages.append(([edge["node"]["body"] for edge in page["edges"]], page["pageInfo"]["hasPreviousPage"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert pages == [(["Reply 0", "Reply 1"], False), (["Reply 2", "Reply 3"], True), (["Reply 4"], True)]


async def test_an_overdue_open_ticket_is_breached_before_the_job_runs_and_the_filter_agrees(client):
    # given: due a minute ago, never flagged; another resolved in time and read after its due time
    member = await make_member()
    now = datetime.now(timezone.utc)
    await make_ticket(member, subject="Overdue", sla_due_at=now - timedelta(minutes=1))
    await make_ticket(member, subject="Resolved in time", status=models.TicketStatus.RESOLVED, sla_due_at=now - timedelta(minutes=1))
    await make_ticket(member, subject="Not due", sla_due_at=now + timedelta(hours=1))
    query = """
    query($filter: TicketFilter) { tickets(filter: $filter) { edges { node { subject breached breachedAt } } } }
    """
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    everything = await gql(client, query, token=token)
    breached = await gql(client, query, {"filter": {"breached": True}}, token=token)
    not_breached = await gql(client, query, {"filter": {"breached": False}}, token=token)
    # then
    def node(subject, flag):
        return {"node": {"subject": subject, "breached": flag, "breachedAt": None}}

    assert everything["data"]["tickets"]["edges"] == [
        node("Not due", False),
        node("Resolved in time", False),
        node("Overdue", True),
    ]
    assert breached["data"]["tickets"]["edges"] == [node("Overdue", True)]
    assert not_breached["data"]["tickets"]["edges"] == [node("Not due", False), node("Resolved in time", False)]


async def test_members_page_their_responses_without_internal_notes_staff_with_them(client):
    # given: replies 0 to 5, the odd ones internal notes
    member = await make_member()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    ticket = await make_ticket(member)
    now = datetime.now(timezone.utc)
    for n in range(6):
        await models.TicketResponse.create(
            ticket=ticket, staff_id=boss.id, body=f"Reply {n}", is_internal=n % 2 == 1, created_at=now + timedelta(minutes=n)
        )
    query = """
    query($id: ID!, $after: String) {
      ticket(id: $id) { responses(first: 2, after: $after) { totalCount edges { node { body } } pageInfo { hasNextPage endCursor } } }
    }
    """

    async def all_pages(token):
        pages, after = [], None
        while True:
            result = await gql(client, query, {"id": gid("Ticket", ticket.id), "after": after}, token=token)
            page = result["data"]["ticket"]["responses"]
            pages.append(([edge["node"]["body"] for edge in page["edges"]], page["totalCount"]))
            if not page["pageInfo"]["hasNextPage"]:
                return pages
            after = page["pageInfo"]["endCursor"]

    # when
    members = await all_pages(member_token(member))
    staffs = await all_pages(staff_token(boss))
    # then
    assert members == [(["Reply 0", "Reply 2"], 3), (["Reply 4"], 3)]
    assert staffs == [(["Reply 0", "Reply 1"], 6), (["Reply 2", "Reply 3"], 6), (["Reply 4", "Reply 5"], 6)]
