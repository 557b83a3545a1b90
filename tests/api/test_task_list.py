"""tasks(filter:): the follow-up list by due time, what each role sees of it, and Task nodes."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_task, make_tiers, member_token, refused, staff_token

TASKS = """
query($filter: TaskFilter, $first: Int, $after: String) {
  tasks(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { title } }
  }
}
"""

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def due(days: int) -> datetime:
    return NOW + timedelta(days=days)


async def a_desk_of_tasks():
    """Tasks of two account managers and their members, in an order of due times unlike their ids."""
    await make_tiers()
    mine = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    theirs = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    my_member = await make_member(account_manager_id=mine.id)
    their_member = await make_member(account_manager_id=theirs.id)
    await make_task(title="Mine, late", due_at=due(5), assignee=mine)
    await make_task(title="About my member", due_at=due(1), member=my_member, assignee=theirs)
    await make_task(title="Theirs", due_at=due(2), member=their_member, assignee=theirs)
    await make_task(
        title="Greeting", due_at=due(3), member=my_member, assignee=mine, kind=models.TaskKind.BIRTHDAY_GREETING
    )
    await make_task(title="Done", due_at=due(4), member=my_member, assignee=mine, status=models.TaskStatus.DONE)
    await make_task(title="Unassigned", due_at=due(3), member=their_member)
    return mine, theirs, my_member, their_member


def titles(result):
    return [edge["node"]["title"] for edge in result["data"]["tasks"]["edges"]]


async def test_an_account_manager_sees_tasks_assigned_to_them_or_about_their_members(client):
    # given
    mine, *_ = await a_desk_of_tasks()
    # when
    result = await gql(client, TASKS, {}, token=staff_token(mine))
    # then
    assert titles(result) == ["About my member", "Greeting", "Done", "Mine, late"]
    assert result["data"]["tasks"]["totalCount"] == 4


async def test_the_club_manager_sees_every_task_by_due_time_page_by_page(client):
    # given
    await a_desk_of_tasks()
    boss = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    first = await gql(client, TASKS, {"first": 4}, token=boss)
    second = await gql(client, TASKS, {"first": 4, "after": first["data"]["tasks"]["pageInfo"]["endCursor"]}, token=boss)
    # then
    assert titles(first) == ["About my member", "Theirs", "Greeting", "Unassigned"]
    assert titles(second) == ["Done", "Mine, late"]
    assert (first["data"]["tasks"]["pageInfo"]["hasNextPage"], second["data"]["tasks"]["pageInfo"]["hasNextPage"]) == (True, False)


async def test_filters(client):
    # given
    mine, theirs, my_member, their_member = await a_desk_of_tasks()
    boss = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    filters = {
        "assignee": {"assigneeId": gid("Staff", theirs.id)},
        "status": {"status": "DONE"},
        "kind": {"kind": "BIRTHDAY_GREETING"},
        "member": {"memberId": gid("Member", their_member.id)},
        "due before": {"dueBefore": due(3).isoformat()},
        "open and mine": {"status": "OPEN", "assigneeId": gid("Staff", mine.id)},
        "a wrong id": {"memberId": gid("Staff", their_member.id)},
    }
    # when
    results = {name: titles(await gql(client, TASKS, {"filter": f}, token=boss)) for name, f in filters.items()}
    # then
    assert results == {
        "assignee": ["About my member", "Theirs"],
        "status": ["Done"],
        "kind": ["Greeting"],
        "member": ["Theirs", "Unassigned"],
        "due before": ["About my member", "Theirs"],
        "open and mine": ["Greeting", "Mine, late"],
        "a wrong id": [],
    }


@pytest.mark.parametrize("caller", ["anonymous", "member", "front desk", "event manager"])
async def test_only_staff_who_work_on_tasks_list_them(client, caller):
    # given
    _, _, my_member, _ = await a_desk_of_tasks()
    tokens = {
        "anonymous": None,
        "member": member_token(my_member),
        "front desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
        "event manager": staff_token(await make_staff(models.StaffRole.EVENT_MANAGER)),
    }
    # when
    result = await gql(client, TASKS, {}, token=tokens[caller])
    # then
    assert result == refused("tasks", "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN")


NODE = "query($id: ID!) { node(id: $id) { ... on Task { title member { id } assignee { id } } } }"


async def test_a_task_node_is_null_out_of_sight(client):
    # given
    mine, theirs, my_member, their_member = await a_desk_of_tasks()
    task = await models.Task.get(title="Theirs")
    # when
    seen = await gql(client, NODE, {"id": gid("Task", task.id)}, token=staff_token(theirs))
    unseen = await gql(client, NODE, {"id": gid("Task", task.id)}, token=staff_token(mine))
    # then
    assert seen == {
        "data": {
            "node": {"title": "Theirs", "member": {"id": gid("Member", their_member.id)}, "assignee": {"id": gid("Staff", theirs.id)}}
        }
    }
    assert unseen == {"data": {"node": None}}
