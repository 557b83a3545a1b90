"""N+1 pinned away for care: a page of 50 costs the statements of a page of 1 (calendar, tasks,
and members with their grading and first page of interactions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from domain import models
from tests.factories import gql, make_interaction, make_member, make_staff, make_task, make_tiers, staff_token

def birthday_in(days: int) -> date:
    """Today at the call, not at import: the suite may run over midnight."""
    on = datetime.now(timezone.utc).date() + timedelta(days=days)
    return (on - timedelta(days=1) if (on.month, on.day) == (2, 29) else on).replace(year=1980)


async def fifty_members_with_care() -> tuple[models.Staff, models.Staff]:
    """Fifty members of three account managers, birthdays over the next 1 to 10 days (still within the
    calendar's 14 if midnight passes before the query), each with two interactions recorded by two
    different desks, and a task each completed by the boss."""
    await make_tiers()
    managers = [await make_staff(models.StaffRole.ACCOUNT_MANAGER) for _ in range(3)]
    desks = [await make_staff(models.StaffRole.FRONT_DESK) for _ in range(2)]
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    for i in range(50):
        member = await make_member(name=f"Member {i:02d}", birthday=birthday_in(i % 10 + 1), account_manager_id=managers[i % 3].id)
        for desk in desks:
            await make_interaction(member, staff=desk, at=datetime.now(timezone.utc) - timedelta(days=i + 1))
        await make_task(
            member=member,
            assignee=managers[i % 3],
            created_by_id=boss.id,
            completed_by_id=boss.id,
            due_at=datetime.now(timezone.utc) + timedelta(hours=i),
        )
    return managers[0], boss


async def costs(client, sql, query: str, token: str) -> tuple[int, int, dict, dict]:
    sql.statements.clear()
    one = await gql(client, query, {"first": 1}, token=token)
    for_one = len(sql.statements)
    sql.statements.clear()
    fifty = await gql(client, query, {"first": 50}, token=token)
    return for_one, len(sql.statements), one, fifty


def edges(result: dict, field: str) -> list:
    return result["data"][field]["edges"]


CALENDAR = """
query($first: Int!) {
  careCalendar(first: $first) { edges { node { date kind member { name accountManager { name } } } } }
}
"""


async def test_a_calendar_page_of_fifty_costs_as_much_as_a_page_of_one(client, sql):
    # given
    _, boss = await fifty_members_with_care()
    # when
    for_one, for_fifty, one, fifty = await costs(client, sql, CALENDAR, staff_token(boss))
    # then: the entries, their members, the account managers
    assert (len(edges(one, "careCalendar")), len(edges(fifty, "careCalendar"))) == (1, 50)
    assert for_one == for_fifty == 3, "\n".join(sql.statements)


TASKS = """
query($first: Int!) {
  tasks(first: $first) {
    edges { node { title member { name } assignee { name } createdBy { name } completedBy { name } } }
  }
}
"""


async def test_a_task_page_of_fifty_costs_as_much_as_a_page_of_one(client, sql):
    # given
    _, boss = await fifty_members_with_care()
    # when
    for_one, for_fifty, one, fifty = await costs(client, sql, TASKS, staff_token(boss))
    # then: the tasks, their members, the staff
    assert (len(edges(one, "tasks")), len(edges(fifty, "tasks"))) == (1, 50)
    assert for_one == for_fifty == 3, "\n".join(sql.statements)


MEMBERS = """
query($first: Int!) {
  members(first: $first) {
    edges { node { name segment churnRisk lifecycleStage rfmScore lastVisitAt
      interactions(first: 5) { edges { node { summary staff { name } } } } } }
  }
}
"""


async def test_a_member_page_of_fifty_with_care_costs_as_much_as_a_page_of_one(client, sql):
    # given
    _, boss = await fifty_members_with_care()
    # when
    for_one, for_fifty, one, fifty = await costs(client, sql, MEMBERS, staff_token(boss))
    # then: the members, their rows for the grading, the interaction ids, the interactions, their staff,
    # and one INSERT of the audit rows for the RFM scores and interaction summaries read
    assert (len(edges(one, "members")), len(edges(fifty, "members"))) == (1, 50)
    assert [len(edge["node"]["interactions"]["edges"]) for edge in edges(fifty, "members")] == [2] * 50
    assert for_one == for_fifty == 6, "\n".join(sql.statements)
