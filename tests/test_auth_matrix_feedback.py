"""The auth matrix of feedback: tickets and surveys, every non-public operation against every kind of caller.

Written by hand from domain/policy.py and the rules in domain/tickets.py and domain/surveys.py:
- a member opens tickets about themselves, reads and answers their own, and closes their own ticket
  once resolved; another member is told the ticket does not exist;
- TICKET_CREATE (front desk, account managers, managers) opens tickets for members; an account
  manager only for their own members;
- TICKET_MANAGE (account managers, managers) reads, assigns, answers and moves tickets; an account
  manager only their own members' tickets and those assigned to them;
- SURVEY_MANAGE (event managers, managers) creates and sends surveys; FEEDBACK_READ (account
  managers, event managers, managers) reads surveys, answers and NPS, an account manager only
  their own members'; only the member answers a survey sent to them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone

import pytest

from domain import models
from domain.tickets import SCOPE_MESSAGE
from tests.auth_matrix import (
    FORBID,
    NOT_FOUND,
    NOT_MINE,
    NULL,
    OK,
    OTHER_MANAGER,
    OTHER_MEMBER,
    OWN_MANAGER,
    REFUSALS,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    mutation,
    node_read,
    nodes_read,
)
from tests.factories import gid, make_survey, make_survey_instance, make_ticket

# An account manager acting on a ticket that is neither their member's nor assigned to them.
NOT_HANDLER = "FORBIDDEN: not their ticket"
REFUSALS.setdefault(NOT_HANDLER, ("FORBIDDEN", SCOPE_MESSAGE))

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "tickets":                    (UNAUTH,   OK,        OK,     FORBID, OK,     OK,       FORBID, FORBID, OK,     OK),
    "ticket":                     (NULL,     NULL,      OK,     NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "node Ticket":                (NULL,     NULL,      OK,     NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "nodes Ticket":               (NULL,     NULL,      OK,     NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "node TicketResponse":        (NULL,     NULL,      OK,     NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "nodes TicketResponse":       (NULL,     NULL,      OK,     NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "surveys":                    (UNAUTH,   FORBID,    FORBID, FORBID, OK,     OK,       OK,     FORBID, OK,     OK),
    "node Survey":                (NULL,     NULL,      NULL,   NULL,   OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes Survey":               (NULL,     NULL,      NULL,   NULL,   OK,     OK,       OK,     NULL,   OK,     OK),
    "node SurveyQuestion":        (NULL,     NULL,      NULL,   NULL,   OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes SurveyQuestion":       (NULL,     NULL,      NULL,   NULL,   OK,     OK,       OK,     NULL,   OK,     OK),
    "node SurveyInstance":        (NULL,     NULL,      OK,     NULL,   OK,     NULL,     OK,     NULL,   OK,     OK),
    "nodes SurveyInstance":       (NULL,     NULL,      OK,     NULL,   OK,     NULL,     OK,     NULL,   OK,     OK),
    "nps":                        (UNAUTH,   FORBID,    FORBID, FORBID, OK,     OK,       OK,     FORBID, OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other        event   partner club    admin
    #                                        member     member  desk    manager manager      manager manager manager
    "ticketCreate":               (UNAUTH,   NOT_FOUND, OK,     OK,     OK,     NOT_MINE,    FORBID, FORBID, OK,     OK),
    "ticketAssign":               (UNAUTH,   FORBID,    FORBID, FORBID, OK,     NOT_HANDLER, FORBID, FORBID, OK,     OK),
    "ticketRespond":              (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_HANDLER, FORBID, FORBID, OK,     OK),
    "ticketTransition":           (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_HANDLER, FORBID, FORBID, OK,     OK),
    "surveyCreate":               (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,      OK,     FORBID, OK,     OK),
    "surveySend":                 (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,      OK,     FORBID, OK,     OK),
    "surveyResponseSubmit":       (UNAUTH,   NOT_FOUND, OK,     FORBID, FORBID, FORBID,      FORBID, FORBID, FORBID, FORBID),
}
# fmt: on


@dataclass
class FeedbackClub(Club):
    """The club, with a resolved ticket of the member's with a reply, a manual survey sent to them and not
    answered yet, and an answer (NPS 9) to another one, sent while the own manager looked after them."""

    ticket: models.Ticket
    response: models.TicketResponse
    survey: models.Survey
    question: models.SurveyQuestion
    instance: models.SurveyInstance


async def make_feedback_club() -> FeedbackClub:
    club = await make_club()
    now = datetime.now(timezone.utc)
    ticket = await make_ticket(club.member, subject="The wine list", status=models.TicketStatus.RESOLVED)
    response = await models.TicketResponse.create(
        ticket=ticket, staff_id=club.staff[OWN_MANAGER].id, body="We added a Riesling", created_at=now
    )
    survey = await make_survey(title="Spring check-in")
    answered = await make_survey_instance(await make_survey(title="Last year"), club.member, responded_at=now)
    last_year_question = await models.SurveyQuestion.get(survey_id=answered.survey_id, position=1)
    await models.SurveyAnswer.create(
        instance=answered,
        question=last_year_question,
        kind="nps",
        score=9,
        account_manager_id=club.staff[OWN_MANAGER].id,
        submitted_at=now,
    )
    return FeedbackClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        ticket=ticket,
        response=response,
        survey=survey,
        question=await models.SurveyQuestion.get(survey_id=survey.id, position=1),
        instance=await make_survey_instance(survey, club.member),
    )


def _ticket_list(club: FeedbackClub, caller: str) -> dict:
    edges = [] if caller in (OTHER_MEMBER, OTHER_MANAGER) else [{"node": {"id": gid("Ticket", club.ticket.id)}}]
    return {"tickets": {"edges": edges}}


def _nps(club: FeedbackClub, caller: str) -> dict:
    figures = [] if caller == OTHER_MANAGER else [{"responses": 1, "score": 100.0, "accountManager": {"name": "Olivia Own-Manager"}}]
    return {"nps": figures}


READ_OPERATIONS = {
    "tickets": Read("{ tickets { edges { node { id } } } }", lambda club: {}, _ticket_list),
    "ticket": Read(
        "query($id: ID!) { ticket(id: $id) { id subject } }",
        lambda club: {"id": gid("Ticket", club.ticket.id)},
        lambda club, caller: {"ticket": {"id": gid("Ticket", club.ticket.id), "subject": "The wine list"}},
        {"ticket": None},
    ),
    "node Ticket": node_read("Ticket", lambda club: (club.ticket.id, {})),
    "nodes Ticket": nodes_read("Ticket", lambda club: (club.ticket.id, {})),
    "node TicketResponse": node_read("TicketResponse", lambda club: (club.response.id, {})),
    "nodes TicketResponse": nodes_read("TicketResponse", lambda club: (club.response.id, {})),
    "surveys": Read(
        "{ surveys { edges { node { title } } } }",
        lambda club: {},
        lambda club, caller: {"surveys": {"edges": [{"node": {"title": "Last year"}}, {"node": {"title": "Spring check-in"}}]}},
    ),
    "node Survey": node_read("Survey", lambda club: (club.survey.id, {})),
    "nodes Survey": nodes_read("Survey", lambda club: (club.survey.id, {})),
    "node SurveyQuestion": node_read("SurveyQuestion", lambda club: (club.question.id, {})),
    "nodes SurveyQuestion": nodes_read("SurveyQuestion", lambda club: (club.question.id, {})),
    "node SurveyInstance": node_read("SurveyInstance", lambda club: (club.instance.id, {})),
    "nodes SurveyInstance": nodes_read("SurveyInstance", lambda club: (club.instance.id, {})),
    "nps": Read("{ nps(by: ACCOUNT_MANAGER) { responses score accountManager { name } } }", lambda club: {}, _nps),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_feedback_club(), READ_OPERATIONS[operation], operation, caller, outcome)


# --- writes -------------------------------------------------------------------------------


async def _ticket_subjects(club: FeedbackClub) -> list[str]:
    return await models.Ticket.filter(member_id=club.member.id).order_by("id").values_list("subject", flat=True)


async def _assignee(club: FeedbackClub) -> int | None:
    return (await models.Ticket.get(id=club.ticket.id)).assignee_id


async def _response_bodies(club: FeedbackClub) -> list[str]:
    return await models.TicketResponse.filter(ticket_id=club.ticket.id).order_by("id").values_list("body", flat=True)


async def _ticket_status(club: FeedbackClub) -> str:
    return str((await models.Ticket.get(id=club.ticket.id)).status)


async def _survey_titles(club: FeedbackClub) -> list[str]:
    return await models.Survey.all().order_by("id").values_list("title", flat=True)


async def _surveys_of_the_other_member(club: FeedbackClub) -> int:
    return await models.SurveyInstance.filter(member_id=club.other_member.id).count()


async def _answered_and_balance(club: FeedbackClub) -> tuple[bool, int]:
    instance = await models.SurveyInstance.get(id=club.instance.id)
    member = await models.Member.get(id=club.member.id)
    return instance.responded_at is not None, member.points_balance


TICKET_NOT_FOUND = {"field": "ticketId", "code": "NOT_FOUND", "message": "Ticket not found"}

WRITE_OPERATIONS = {
    "ticketCreate": Write(
        mutation("ticketCreate", "ticket { subject }"),
        lambda club: {"memberId": gid("Member", club.member.id), "category": "REQUEST", "subject": "Towels"},
        lambda club: {"ticket": {"subject": "Towels"}},
        {"ticket": None},
        _ticket_subjects,
        before=["The wine list"],
        after=["The wine list", "Towels"],
        not_found={"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"},
    ),
    "ticketAssign": Write(
        mutation("ticketAssign", "ticket { assignee { name } }"),
        lambda club: {"ticketId": gid("Ticket", club.ticket.id), "assigneeId": gid("Staff", club.staff[OWN_MANAGER].id)},
        lambda club: {"ticket": {"assignee": {"name": "Olivia Own-Manager"}}},
        {"ticket": None},
        lambda club: _assignee(club),
        before=None,
        after=None,  # replaced in the test: the own manager's id
    ),
    "ticketRespond": Write(
        mutation("ticketRespond", "response { body }"),
        lambda club: {"ticketId": gid("Ticket", club.ticket.id), "body": "Enjoy"},
        lambda club: {"response": {"body": "Enjoy"}},
        {"response": None},
        _response_bodies,
        before=["We added a Riesling"],
        after=["We added a Riesling", "Enjoy"],
        not_found=TICKET_NOT_FOUND,
    ),
    "ticketTransition": Write(
        mutation("ticketTransition", "ticket { status }"),
        lambda club: {"ticketId": gid("Ticket", club.ticket.id), "status": "CLOSED"},
        lambda club: {"ticket": {"status": "CLOSED"}},
        {"ticket": None},
        _ticket_status,
        before="resolved",
        after="closed",
        not_found=TICKET_NOT_FOUND,
    ),
    "surveyCreate": Write(
        mutation("surveyCreate", "survey { title }"),
        lambda club: {"title": "After the gala", "trigger": "AFTER_EVENT", "questions": [{"kind": "NPS", "prompt": "Recommend?"}]},
        lambda club: {"survey": {"title": "After the gala"}},
        {"survey": None},
        _survey_titles,
        before=["Spring check-in", "Last year"],
        after=["Spring check-in", "Last year", "After the gala"],
    ),
    "surveySend": Write(
        mutation("surveySend", "sent"),
        lambda club: {"surveyId": gid("Survey", club.survey.id), "memberIds": [gid("Member", club.other_member.id)]},
        lambda club: {"sent": 1},
        {"sent": None},
        _surveys_of_the_other_member,
        before=0,
        after=1,
    ),
    "surveyResponseSubmit": Write(
        mutation("surveyResponseSubmit", "pointsAwarded"),
        lambda club: {
            "surveyInstanceId": gid("SurveyInstance", club.instance.id),
            "answers": [
                {"questionId": gid("SurveyQuestion", club.question.id), "score": 9},
                {"questionId": gid("SurveyQuestion", club.question.id + 1), "score": 5},
            ],
            "idempotencyKey": "matrix",
        },
        lambda club: {"pointsAwarded": 50},
        {"pointsAwarded": None},
        _answered_and_balance,
        before=(False, 100),
        after=(True, 150),
        not_found={"field": "surveyInstanceId", "code": "NOT_FOUND", "message": "Survey not found"},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    club = await make_feedback_club()
    write = WRITE_OPERATIONS[operation]
    if operation == "ticketAssign":
        write = Write(**{**vars(write), "after": club.staff[OWN_MANAGER].id})
    await check_write(client, club, write, operation, caller, outcome)
