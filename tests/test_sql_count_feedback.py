"""N+1 pinned away for feedback: a page of tickets, with their people, responses and history, and a member's surveys."""

from datetime import datetime, timedelta, timezone

from domain import models
from tests.factories import (
    gid,
    gql,
    make_member,
    make_staff,
    make_survey,
    make_survey_instance,
    make_ticket,
    member_token,
    staff_token,
)

TICKETS = """
query($first: Int!) {
  tickets(first: $first) {
    edges {
      node {
        id subject
        member { name }
        assignee { name }
        createdBy { name }
        responses(first: 3) { edges { node { body staff { name } member { name } } } pageInfo { hasNextPage } }
        statusHistory { toStatus staff { name } }
      }
    }
  }
}
"""
# tickets; members; staff; the responses' ids (one windowed query over all tickets) and rows; the status
# changes. The responses' authors are the tickets' members and staff, already in the loaders' caches.
TICKET_STATEMENTS = 6


async def fifty_tickets():
    now = datetime.now(timezone.utc)
    managers = [await make_staff(models.StaffRole.ACCOUNT_MANAGER, name=f"Manager {n}") for n in range(3)]
    tickets = []
    for i in range(50):
        member = await make_member(name=f"Member {i:02d}")
        ticket = await make_ticket(
            member, subject=f"Ticket {i:02d}", assignee_id=managers[i % 3].id, created_by_id=managers[(i + 1) % 3].id
        )
        for n in range(4):  # one more than a page: hasNextPage
            await models.TicketResponse.create(
                ticket=ticket,
                staff_id=managers[n % 3].id if n % 2 else None,
                member_id=None if n % 2 else member.id,
                body=f"Reply {n}",
                created_at=now + timedelta(minutes=n),
            )
        await models.TicketStatusChange.create(ticket=ticket, to_status="open", staff_id=managers[i % 3].id, created_at=now)
        tickets.append(ticket)
    return tickets


async def test_a_page_of_fifty_tickets_costs_as_many_statements_as_a_page_of_one(client, sql):
    # given
    await fifty_tickets()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    sql.statements.clear()
    one = await gql(client, TICKETS, {"first": 1}, token=token)
    statements_for_one = list(sql.statements)
    sql.statements.clear()
    fifty = await gql(client, TICKETS, {"first": 50}, token=token)
    statements_for_fifty = list(sql.statements)
    # then
    edges = fifty["data"]["tickets"]["edges"]
    assert one["data"]["tickets"]["edges"] == edges[:1]
    assert [edge["node"]["subject"] for edge in edges] == [f"Ticket {i:02d}" for i in reversed(range(50))]
    i = 49
    assert edges[0]["node"]["responses"] == {
        "edges": [
            {"node": {"body": "Reply 0", "staff": None, "member": {"name": f"Member {i}"}}},
            {"node": {"body": "Reply 1", "staff": {"name": "Manager 1"}, "member": None}},
            {"node": {"body": "Reply 2", "staff": None, "member": {"name": f"Member {i}"}}},
        ],
        "pageInfo": {"hasNextPage": True},
    }
    assert edges[0]["node"]["statusHistory"] == [{"toStatus": "OPEN", "staff": {"name": f"Manager {i % 3}"}}]
    assert len(statements_for_fifty) == len(statements_for_one) == TICKET_STATEMENTS, "\n".join(statements_for_fifty)


MEMBER_SURVEYS = """
query($id: ID!, $first: Int!) {
  member(id: $id) {
    surveys(first: $first) { edges { node { survey { title questions { prompt } } answers { score question { position } } } } }
  }
}
"""
# the member; the instances' ids (one windowed query over all members) and rows; the surveys; their
# questions; the answers; the answers' questions.
SURVEY_STATEMENTS = 7


async def test_a_page_of_fifty_surveys_costs_as_many_statements_as_a_page_of_one(client, sql):
    # given
    member = await make_member()
    now = datetime.now(timezone.utc)
    for n in range(50):
        survey = await make_survey(title=f"Survey {n}")
        instance = await make_survey_instance(survey, member, responded_at=now)
        question = await models.SurveyQuestion.get(survey_id=survey.id, position=1)
        await models.SurveyAnswer.create(instance=instance, question=question, kind="nps", score=n % 11, submitted_at=now)
    variables = {"id": gid("Member", member.id)}
    token = member_token(member)
    # when
    sql.statements.clear()
    one = await gql(client, MEMBER_SURVEYS, {**variables, "first": 1}, token=token)
    statements_for_one = list(sql.statements)
    sql.statements.clear()
    fifty = await gql(client, MEMBER_SURVEYS, {**variables, "first": 50}, token=token)
    statements_for_fifty = list(sql.statements)
    # then
    edges = fifty["data"]["member"]["surveys"]["edges"]
    assert len(edges) == 50 and one["data"]["member"]["surveys"]["edges"] == edges[:1]
    assert edges[0]["node"]["answers"] == [{"score": 49 % 11, "question": {"position": 1}}]
    assert len(statements_for_fifty) == len(statements_for_one) == SURVEY_STATEMENTS, "\n".join(statements_for_fifty)


MEMBERS = """
query($first: Int!) {
  members(first: $first) {
    edges {
      node {
        name
        tickets(first: 2) { edges { node { subject breached } } pageInfo { hasNextPage } }
        surveys(first: 2) { edges { node { survey { title } } } pageInfo { hasNextPage } }
      }
    }
  }
}
"""
# members; the tickets' ids (one windowed query over all members) and rows; the same for the survey
# instances; their surveys.
MEMBER_STATEMENTS = 6


async def test_a_page_of_twenty_members_with_tickets_and_surveys_costs_as_much_as_a_page_of_one(client, sql):
    # given: twenty members, each with three tickets and three surveys (one more than a page)
    survey = await make_survey(title="After the gala")
    for i in range(20):
        member = await make_member(name=f"Member {i:02d}")
        for n in range(3):
            await make_ticket(member, subject=f"Ticket {i:02d}.{n}")
            await make_survey_instance(survey, member)
    token = staff_token(await make_staff(models.StaffRole.ADMINISTRATOR))
    # when
    sql.statements.clear()
    one = await gql(client, MEMBERS, {"first": 1}, token=token)
    statements_for_one = list(sql.statements)
    sql.statements.clear()
    twenty = await gql(client, MEMBERS, {"first": 20}, token=token)
    statements_for_twenty = list(sql.statements)
    # then
    edges = twenty["data"]["members"]["edges"]
    assert len(edges) == 20 and one["data"]["members"]["edges"] == edges[:1]
    first = edges[0]["node"]
    assert first["tickets"] == {
        "edges": [{"node": {"subject": f"Ticket 00.{n}", "breached": False}} for n in (2, 1)],
        "pageInfo": {"hasNextPage": True},
    }
    assert first["surveys"] == {
        "edges": [{"node": {"survey": {"title": "After the gala"}}}] * 2,
        "pageInfo": {"hasNextPage": True},
    }
    assert len(statements_for_twenty) == len(statements_for_one) == MEMBER_STATEMENTS, "\n".join(statements_for_twenty)
