"""The care fields on Member (grading, last visit, interactions) and `members(filter:)` by grading."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import (
    gid,
    gql,
    make_interaction,
    make_member,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

CARE = """
query($id: ID!, $first: Int, $after: String) {
  member(id: $id) {
    lifecycleStage churnRisk segment rfmScore lastVisitAt
    interactions(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { kind summary staff { name } } }
    }
  }
}
"""

MEMBERS = """
query($filter: MemberFilter) { members(filter: $filter) { totalCount edges { node { name segment } } } }
"""

VISITED = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)


async def a_graded_member():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Ava Manager")
    member = await make_member(
        account_manager_id=manager.id,
        lifecycle_stage=models.LifecycleStage.MATURE,
        churn_risk=models.ChurnRisk.MEDIUM,
        segment=models.Segment.IMPORTANT,
        rfm_score="344",
        last_visit_at=VISITED,
    )
    return manager, member


GRADED = {
    "lifecycleStage": "MATURE",
    "churnRisk": "MEDIUM",
    "segment": "IMPORTANT",
    "rfmScore": "344",
    "lastVisitAt": "2026-10-01T12:00:00+00:00",
}


async def test_the_account_manager_sees_the_grading_and_the_interactions_newest_first(client):
    # given
    manager, member = await a_graded_member()
    for day, summary in ((1, "First call"), (3, "Gift"), (2, "Second call")):
        await make_interaction(member, at=VISITED + timedelta(days=day), staff=manager, summary=summary)
    # when
    first = await gql(client, CARE, {"id": gid("Member", member.id), "first": 2}, token=staff_token(manager))
    cursor = first["data"]["member"]["interactions"]["pageInfo"]["endCursor"]
    second = await gql(client, CARE, {"id": gid("Member", member.id), "first": 2, "after": cursor}, token=staff_token(manager))
    # then
    call = {"kind": "CALL", "staff": {"name": "Ava Manager"}}
    assert first == {
        "data": {
            "member": {
                **GRADED,
                "interactions": {
                    "pageInfo": {"hasNextPage": True, "endCursor": cursor},
                    "edges": [{"node": {**call, "summary": "Gift"}}, {"node": {**call, "summary": "Second call"}}],
                },
            }
        }
    }
    assert second["data"]["member"]["interactions"]["edges"] == [{"node": {**call, "summary": "First call"}}]
    assert second["data"]["member"]["interactions"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("caller", ["member", "front desk", "other account manager", "event manager"])
async def test_the_grading_is_null_for_anyone_else(client, caller):
    # given
    manager, member = await a_graded_member()
    await make_interaction(member, staff=manager)
    tokens = {
        "member": member_token(member),
        "front desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
        "other account manager": staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)),
        "event manager": staff_token(await make_staff(models.StaffRole.EVENT_MANAGER)),
    }
    # when
    result = await gql(client, CARE, {"id": gid("Member", member.id)}, token=tokens[caller])
    # then
    assert result == {
        "data": {
            "member": {
                "lifecycleStage": None,
                "churnRisk": None,
                "segment": None,
                "rfmScore": None,
                "lastVisitAt": None,
                "interactions": None,
            }
        }
    }


async def test_the_club_manager_sees_everyones_grading(client):
    # given
    _, member = await a_graded_member()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    result = await gql(client, CARE, {"id": gid("Member", member.id)}, token=staff_token(boss))
    # then
    assert result == {
        "data": {"member": {**GRADED, "interactions": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}}}
    }


async def a_graded_crowd():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    other = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    grades = [
        ("Core Mine", models.Segment.CORE, models.LifecycleStage.MATURE, models.ChurnRisk.LOW, manager),
        ("At Risk Mine", models.Segment.AT_RISK, models.LifecycleStage.DECLINING, models.ChurnRisk.HIGH, manager),
        ("Core Theirs", models.Segment.CORE, models.LifecycleStage.MATURE, models.ChurnRisk.LOW, other),
        ("Regular Nobody", models.Segment.REGULAR, models.LifecycleStage.LAPSED, models.ChurnRisk.HIGH, None),
    ]
    for name, segment, stage, risk, am in grades:
        await make_member(
            name=name, segment=segment, lifecycle_stage=stage, churn_risk=risk, account_manager_id=am.id if am else None
        )
    return manager


@pytest.mark.parametrize(
    ("filter", "names"),
    [
        ({"segment": "CORE"}, ["Core Mine", "Core Theirs"]),
        ({"lifecycleStage": "DECLINING"}, ["At Risk Mine"]),
        ({"churnRisk": "HIGH"}, ["At Risk Mine", "Regular Nobody"]),
        ({"churnRisk": "HIGH", "segment": "REGULAR"}, ["Regular Nobody"]),
        ({"churnRisk": "MEDIUM"}, []),
    ],
)
async def test_the_club_manager_filters_members_by_grading(client, filter, names):
    # given
    await a_graded_crowd()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    result = await gql(client, MEMBERS, {"filter": filter}, token=staff_token(boss))
    # then
    page = result["data"]["members"]
    assert [edge["node"]["name"] for edge in page["edges"]] == names
    assert page["totalCount"] == len(names)


async def test_an_account_manager_filtering_by_grading_gets_their_own_members_only(client):
    # given
    manager = await a_graded_crowd()
    # when
    result = await gql(client, MEMBERS, {"filter": {"segment": "CORE"}}, token=staff_token(manager))
    # then
    assert result == {"data": {"members": {"totalCount": 1, "edges": [{"node": {"name": "Core Mine", "segment": "CORE"}}]}}}


async def test_the_front_desk_may_not_filter_by_grading(client):
    # given
    await a_graded_crowd()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(client, MEMBERS, {"filter": {"churnRisk": "HIGH"}}, token=staff_token(desk))
    # then
    assert result == refused("members", "FORBIDDEN")
