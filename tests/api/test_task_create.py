"""taskCreate: staff make follow-up tasks for themselves or a colleague."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_tiers, member_token, refused, staff_token

CREATE = """
mutation($input: TaskCreateInput!) {
  taskCreate(input: $input) {
    task { kind title notes dueAt status outcome member { name } assignee { name } createdBy { name } completedBy { name } }
    errors { field code message }
  }
}
"""

DUE = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)


async def a_manager_and_member():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Ava Manager")
    member = await make_member(name="Mia Member", account_manager_id=manager.id)
    return manager, member


async def create(client, token, **fields):
    payload = {"title": "Send the wine list", "dueAt": DUE.isoformat(), **fields}
    return await gql(client, CREATE, {"input": payload}, token=token)


async def test_an_account_manager_makes_a_task_about_their_member_for_themselves(client):
    # given
    manager, member = await a_manager_and_member()
    # when
    result = await create(client, staff_token(manager), memberId=gid("Member", member.id), notes="The 2019 vintages")
    # then
    assert result == {
        "data": {
            "taskCreate": {
                "task": {
                    "kind": "FOLLOW_UP",
                    "title": "Send the wine list",
                    "notes": "The 2019 vintages",
                    "dueAt": DUE.isoformat(),
                    "status": "OPEN",
                    "outcome": "",
                    "member": {"name": "Mia Member"},
                    "assignee": {"name": "Ava Manager"},
                    "createdBy": {"name": "Ava Manager"},
                    "completedBy": None,
                },
                "errors": [],
            }
        }
    }
    rows = await models.Task.all().values_list("member_id", "assignee_id", "created_by_id", "source_key")
    assert rows == [(member.id, manager.id, manager.id, None)]


async def test_the_club_manager_assigns_a_task_to_an_account_manager(client):
    # given
    manager, _ = await a_manager_and_member()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER, name="Bo Boss")
    # when
    result = await create(client, staff_token(boss), assigneeId=gid("Staff", manager.id))
    # then
    task = result["data"]["taskCreate"]["task"]
    assert (task["assignee"], task["createdBy"], task["member"]) == ({"name": "Ava Manager"}, {"name": "Bo Boss"}, None)


async def test_a_due_time_without_an_offset_is_taken_as_utc(client):
    # given
    manager, _ = await a_manager_and_member()
    # when
    result = await create(client, staff_token(manager), dueAt=DUE.replace(tzinfo=None).isoformat())
    # then
    assert result["data"]["taskCreate"]["errors"] == []
    assert result["data"]["taskCreate"]["task"]["dueAt"] == DUE.isoformat()  # "...+00:00"
    assert await models.Task.all().values_list("due_at", flat=True) == [DUE]


async def test_a_due_time_without_an_offset_is_in_the_past_by_utc(client):
    # given: five minutes ago in UTC, written without its offset
    manager, _ = await a_manager_and_member()
    past = (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    # when
    result = await create(client, staff_token(manager), dueAt=past)
    # then
    assert result == {
        "data": {
            "taskCreate": {
                "task": None,
                "errors": [{"field": "dueAt", "code": "INVALID", "message": "The due time is in the past"}],
            }
        }
    }
    assert await models.Task.all().count() == 0


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": " "}, {"field": "title", "code": "REQUIRED", "message": "This value is required"}),
        ({"title": "x" * 201}, {"field": "title", "code": "TOO_LONG", "message": "At most 200 characters"}),
        ({"notes": "x" * 2001}, {"field": "notes", "code": "TOO_LONG", "message": "At most 2000 characters"}),
        (
            {"dueAt": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()},
            {"field": "dueAt", "code": "INVALID", "message": "The due time is in the past"},
        ),
        ({"memberId": gid("Member", 999_999)}, {"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"}),
        (
            {"assigneeId": gid("Staff", 999_999)},
            {"field": "assigneeId", "code": "NOT_FOUND", "message": "Staff member not found"},
        ),
    ],
)
async def test_bad_input_creates_nothing(client, fields, error):
    # given
    manager, _ = await a_manager_and_member()
    # when
    result = await create(client, staff_token(manager), **fields)
    # then
    assert result == {"data": {"taskCreate": {"task": None, "errors": [error]}}}
    assert await models.Task.all().count() == 0


async def test_a_task_cannot_go_to_staff_who_do_not_work_on_tasks(client):
    # given
    manager, _ = await a_manager_and_member()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await create(client, staff_token(manager), assigneeId=gid("Staff", desk.id))
    # then
    assert result["data"]["taskCreate"]["errors"] == [
        {"field": "assigneeId", "code": "INVALID_ASSIGNEE", "message": "This staff member's role does not work on tasks"}
    ]
    assert await models.Task.all().count() == 0


async def test_an_account_manager_cannot_make_tasks_about_a_colleagues_member(client):
    # given
    _, member = await a_manager_and_member()
    other = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    # when
    result = await create(client, staff_token(other), memberId=gid("Member", member.id))
    # then
    assert result == refused("taskCreate", "FORBIDDEN", "Only the member's own account manager may change this record")
    assert await models.Task.all().count() == 0


@pytest.mark.parametrize("caller", ["member", "front desk"])
async def test_members_and_the_front_desk_cannot_make_tasks(client, caller):
    # given
    _, member = await a_manager_and_member()
    token = member_token(member) if caller == "member" else staff_token(await make_staff(models.StaffRole.FRONT_DESK))
    # when
    result = await create(client, token)
    # then
    assert result == refused("taskCreate", "FORBIDDEN")
    assert await models.Task.all().count() == 0
