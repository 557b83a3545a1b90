"""taskComplete: staff mark an open task done, once."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import lifecycle, models
from tests.factories import (
    gid,
    gql,
    make_interaction,
    make_member,
    make_staff,
    make_task,
    make_tiers,
    refused,
    staff_token,
)

COMPLETE = """
mutation($input: TaskCompleteInput!) {
  taskComplete(input: $input) {
    task { status outcome completedBy { name } }
    errors { field code message }
  }
}
"""


async def a_task():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Ava Manager")
    member = await make_member(account_manager_id=manager.id)
    return manager, member, await make_task(member=member, assignee=manager)


async def complete(client, token, task_id, outcome="Called, all well"):
    return await gql(client, COMPLETE, {"input": {"taskId": gid("Task", task_id), "outcome": outcome}}, token=token)


async def test_the_assignee_completes_their_task(client):
    # given
    manager, _, task = await a_task()
    # when
    result = await complete(client, staff_token(manager), task.id)
    # then
    assert result == {
        "data": {
            "taskComplete": {
                "task": {"status": "DONE", "outcome": "Called, all well", "completedBy": {"name": "Ava Manager"}},
                "errors": [],
            }
        }
    }
    row = await models.Task.get(id=task.id)
    assert (row.status, row.outcome, row.completed_by_id, row.completed_at is not None) == (
        models.TaskStatus.DONE, "Called, all well", manager.id, True
    )


async def test_a_task_is_completed_once(client):
    # given
    manager, _, task = await a_task()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    await complete(client, staff_token(manager), task.id)
    # when
    result = await complete(client, staff_token(boss), task.id, outcome="Me too")
    # then
    assert result == {
        "data": {
            "taskComplete": {
                "task": None,
                "errors": [{"field": "taskId", "code": "ALREADY_DONE", "message": "This task is no longer open"}],
            }
        }
    }
    row = await models.Task.get(id=task.id)
    assert (row.outcome, row.completed_by_id) == ("Called, all well", manager.id)


async def test_a_retention_call_the_club_cancelled_cannot_be_completed(client):
    # given: the member came back, so the club cancelled the call
    manager, member, task = await a_task()
    back = datetime.now(timezone.utc)
    await models.Task.filter(id=task.id).update(kind=models.TaskKind.RETENTION_CALL, created_at=back - timedelta(days=1))
    await make_interaction(member, kind=models.InteractionKind.VISIT, at=back)
    await lifecycle.note_activity(member_id=member.id, at=back, now=back)
    # when
    result = await complete(client, staff_token(manager), task.id)
    # then
    assert result == {
        "data": {
            "taskComplete": {
                "task": None,
                "errors": [{"field": "taskId", "code": "ALREADY_DONE", "message": "This task is no longer open"}],
            }
        }
    }
    row = await models.Task.get(id=task.id)
    assert (row.status, row.outcome, row.completed_by_id) == (
        models.TaskStatus.CANCELLED, f"The member came back on {back:%Y-%m-%d}", None
    )


async def test_two_completions_at_once_complete_it_once(client):
    # given
    manager, _, task = await a_task()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    results = await asyncio.gather(
        complete(client, staff_token(manager), task.id, outcome="A"), complete(client, staff_token(boss), task.id, outcome="B")
    )
    # then
    errors = sorted(len(result["data"]["taskComplete"]["errors"]) for result in results)
    assert errors == [0, 1]
    assert await models.Task.filter(status=models.TaskStatus.DONE).count() == 1


async def test_an_account_manager_completes_a_task_about_their_member_assigned_to_nobody(client):
    # given
    manager, member, _ = await a_task()
    unassigned = await make_task(member=member)
    # when
    result = await complete(client, staff_token(manager), unassigned.id)
    # then
    assert result["data"]["taskComplete"]["errors"] == []


@pytest.mark.parametrize("which", ["a colleague's task", "no such task", "not a task id"])
async def test_tasks_out_of_sight_are_not_found(client, which):
    # given
    manager, _, task = await a_task()
    other = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    task_ids = {"a colleague's task": gid("Task", task.id), "no such task": gid("Task", 999_999), "not a task id": gid("Member", task.id)}
    # when
    result = await gql(client, COMPLETE, {"input": {"taskId": task_ids[which]}}, token=staff_token(other))
    # then
    assert result == {
        "data": {"taskComplete": {"task": None, "errors": [{"field": "taskId", "code": "NOT_FOUND", "message": "Task not found"}]}}
    }
    assert (await models.Task.get(id=task.id)).status is models.TaskStatus.OPEN


async def test_the_front_desk_cannot_complete_tasks(client):
    # given
    _, _, task = await a_task()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await complete(client, staff_token(desk), task.id)
    # then
    assert result == refused("taskComplete", "FORBIDDEN")
    assert (await models.Task.get(id=task.id)).status is models.TaskStatus.OPEN
