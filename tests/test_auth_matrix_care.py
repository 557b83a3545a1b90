"""The auth matrix of customer care: every care operation against every kind of caller.

Written out by hand from domain/policy.py read as the spec. Care data (interactions, the calendar,
the grading on Member) is CARE_READ staff's, account managers for their own members only; tasks are
TASK_WRITE staff's, account managers seeing those assigned to them or about their members. The
member never sees the club's grading of them. The front desk logs interactions but reads no care data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from domain import models
from tests.auth_matrix import (
    ADMINISTRATOR,
    ANONYMOUS,
    CALLERS,
    CLUB_MANAGER,
    FORBID,
    NOT_FOUND,
    NOT_MINE,
    NULL,
    OK,
    OTHER_MANAGER,
    OTHER_MEMBER,
    OWN_MANAGER,
    PARTNER_MANAGER,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    member_ref,
    mutation,
    node_read,
    nodes_read,
)
from tests.factories import gid, gql, make_interaction, make_task

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "careCalendar":               (UNAUTH,   FORBID,    FORBID, FORBID, OK,     OK,       FORBID, FORBID, OK,     OK),
    "tasks":                      (UNAUTH,   FORBID,    FORBID, FORBID, OK,     OK,       FORBID, FORBID, OK,     OK),
    "node Interaction":           (NULL,     NULL,      NULL,   NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "nodes Interaction":          (NULL,     NULL,      NULL,   NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "node Task":                  (NULL,     NULL,      NULL,   NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
    "nodes Task":                 (NULL,     NULL,      NULL,   NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "interactionRecord":          (UNAUTH,   FORBID,    FORBID, OK,     OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "taskCreate":                 (UNAUTH,   FORBID,    FORBID, FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "taskComplete":               (UNAUTH,   FORBID,    FORBID, FORBID, OK,     NOT_FOUND, FORBID, FORBID, OK,    OK),
}

# The grading on Member (lifecycleStage, churnRisk, segment, rfmScore, lastVisitAt, interactions).
MEMBER_CARE_FIELDS = dict(zip(CALLERS, (
    NULL,     NULL,      NULL,   NULL,   OK,     NULL,     NULL,   NULL,   OK,     OK), strict=True))
# fmt: on


@dataclass
class CareClub(Club):
    """The club, with a call logged with the member and a task about them for their account manager."""

    interaction: models.Interaction
    task: models.Task


async def make_care_club() -> CareClub:
    club = await make_club()
    manager = club.staff[OWN_MANAGER]
    return CareClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        interaction=await make_interaction(club.member, staff=manager, summary="Called about the gala"),
        task=await make_task(title="Send the menu", member=club.member, assignee=manager),
    )


def _calendar_count(club: Club, caller: str) -> dict:
    # The member's birthday and "First visit", the other member's birthday: each manager their own.
    counts = {OWN_MANAGER: 2, OTHER_MANAGER: 1, CLUB_MANAGER: 3, ADMINISTRATOR: 3}
    return {"careCalendar": {"totalCount": counts[caller]}}


def _task_count(club: Club, caller: str) -> dict:
    return {"tasks": {"totalCount": 0 if caller == OTHER_MANAGER else 1}}


READ_OPERATIONS = {
    "careCalendar": Read("{ careCalendar(days: 366) { totalCount } }", lambda club: {}, _calendar_count),
    "tasks": Read("{ tasks { totalCount } }", lambda club: {}, _task_count),
    "node Interaction": node_read("Interaction", lambda club: (club.interaction.id, {})),
    "nodes Interaction": nodes_read("Interaction", lambda club: (club.interaction.id, {})),
    "node Task": node_read("Task", lambda club: (club.task.id, {})),
    "nodes Task": nodes_read("Task", lambda club: (club.task.id, {})),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_care_club(), READ_OPERATIONS[operation], operation, caller, outcome)


async def _summaries(club: CareClub) -> list[str]:
    return await models.Interaction.filter(member_id=club.member.id).order_by("id").values_list("summary", flat=True)


async def _task_titles(club: CareClub) -> list[str]:
    return await models.Task.filter(member_id=club.member.id).order_by("id").values_list("title", flat=True)


async def _task_status(club: CareClub) -> str:
    return str((await models.Task.get(id=club.task.id)).status)


WRITE_OPERATIONS = {
    "interactionRecord": Write(
        mutation("interactionRecord", "interaction { kind summary } member { id }"),
        lambda club: {"memberId": gid("Member", club.member.id), "kind": "GIFT", "summary": "Sent flowers"},
        lambda club: {"interaction": {"kind": "GIFT", "summary": "Sent flowers"}, "member": member_ref(club)},
        {"interaction": None, "member": None},
        _summaries,
        before=["Called about the gala"],
        after=["Called about the gala", "Sent flowers"],
    ),
    "taskCreate": Write(
        mutation("taskCreate", "task { title kind }"),
        lambda club: {"memberId": gid("Member", club.member.id), "title": "Book a table", "dueAt": "2099-01-01T09:00:00+00:00"},
        lambda club: {"task": {"title": "Book a table", "kind": "FOLLOW_UP"}},
        {"task": None},
        _task_titles,
        before=["Send the menu"],
        after=["Send the menu", "Book a table"],
    ),
    "taskComplete": Write(
        mutation("taskComplete", "task { status outcome }"),
        lambda club: {"taskId": gid("Task", club.task.id), "outcome": "Sent"},
        lambda club: {"task": {"status": "DONE", "outcome": "Sent"}},
        {"task": None},
        _task_status,
        before="open",
        after="done",
        not_found={"field": "taskId", "code": "NOT_FOUND", "message": "Task not found"},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_care_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


MEMBER_CARE = """
query($id: ID!) {
  member(id: $id) {
    lifecycleStage churnRisk segment rfmScore lastVisitAt
    interactions { edges { node { summary } } }
  }
}
"""


@pytest.mark.parametrize(("caller", "outcome"), MEMBER_CARE_FIELDS.items())
async def test_the_grading_on_member(client, caller, outcome):
    # given
    club = await make_care_club()
    # when
    result = await gql(client, MEMBER_CARE, {"id": gid("Member", club.member.id)}, token=club.token(caller))
    # then
    if caller in (ANONYMOUS, OTHER_MEMBER, PARTNER_MANAGER):
        assert result == {"data": {"member": None}}  # the member is out of sight altogether
    elif outcome == OK:
        member = await models.Member.get(id=club.member.id)
        assert result == {
            "data": {
                "member": {
                    "lifecycleStage": "GROWING",
                    "churnRisk": "LOW",
                    "segment": "REGULAR",
                    "rfmScore": "511",
                    "lastVisitAt": member.last_visit_at.isoformat(),
                    "interactions": {"edges": [{"node": {"summary": "Called about the gala"}}]},
                }
            }
        }
    else:
        empty = dict.fromkeys(("lifecycleStage", "churnRisk", "segment", "rfmScore", "lastVisitAt", "interactions"))
        assert result == {"data": {"member": empty}}

