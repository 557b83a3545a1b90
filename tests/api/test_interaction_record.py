"""interactionRecord: staff log a visit, call, message or gift; a visit grades the member again."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_tiers, member_token, refused, staff_token

RECORD = """
mutation($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    interaction { kind summary occurredAt staff { name } member { id } }
    member { id lastVisitAt lifecycleStage }
    errors { field code message }
  }
}
"""


async def a_managed_member():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Ava Manager")
    member = await make_member(account_manager_id=manager.id, joined_on=datetime.now(timezone.utc).date() - timedelta(days=400))
    return manager, member


async def record(client, token, member, **fields):
    payload = {"memberId": gid("Member", member.id), "kind": "CALL", "summary": "Asked about the gala", **fields}
    return await gql(client, RECORD, {"input": payload}, token=token)


async def test_an_account_manager_logs_a_call_with_their_member(client):
    # given
    manager, member = await a_managed_member()
    at = (datetime.now(timezone.utc) - timedelta(days=2)).replace(microsecond=0)
    # when
    result = await record(client, staff_token(manager), member, occurredAt=at.isoformat())
    # then
    assert result == {
        "data": {
            "interactionRecord": {
                "interaction": {
                    "kind": "CALL",
                    "summary": "Asked about the gala",
                    "occurredAt": at.isoformat(),
                    "staff": {"name": "Ava Manager"},
                    "member": {"id": gid("Member", member.id)},
                },
                "member": {"id": gid("Member", member.id), "lastVisitAt": None, "lifecycleStage": "NEW"},
                "errors": [],
            }
        }
    }
    rows = await models.Interaction.filter(member_id=member.id).values_list("kind", "staff_id", "occurred_at")
    assert rows == [(models.InteractionKind.CALL, manager.id, at)]


async def test_a_visit_moves_the_last_visit_and_grades_the_member_again(client):
    # given: a member of 400 days who never came: lapsed
    manager, member = await a_managed_member()
    at = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    # when
    result = await record(client, staff_token(manager), member, kind="VISIT", summary="Dinner", occurredAt=at.isoformat())
    # then
    assert result["data"]["interactionRecord"]["member"] == {
        "id": gid("Member", member.id),
        "lastVisitAt": at.isoformat(),
        "lifecycleStage": "GROWING",
    }
    row = await models.Member.get(id=member.id)
    assert (row.lifecycle_stage, row.churn_risk, row.rfm_score, row.last_visit_at) == (
        models.LifecycleStage.GROWING, models.ChurnRisk.LOW, "511", at
    )


async def test_the_time_defaults_to_now(client):
    # given
    manager, member = await a_managed_member()
    before = datetime.now(timezone.utc)
    # when
    result = await record(client, staff_token(manager), member, kind="GIFT", summary="Flowers")
    # then
    assert result["data"]["interactionRecord"]["errors"] == []
    row = await models.Interaction.get(member_id=member.id)
    assert before <= row.occurred_at <= datetime.now(timezone.utc)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"summary": "  "}, {"field": "summary", "code": "REQUIRED", "message": "This value is required"}),
        ({"summary": "x" * 1001}, {"field": "summary", "code": "TOO_LONG", "message": "At most 1000 characters"}),
        (
            {"occurredAt": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()},
            {"field": "occurredAt", "code": "INVALID", "message": "The interaction cannot be in the future"},
        ),
        (
            {"occurredAt": (datetime.now(timezone.utc) - timedelta(days=366)).isoformat()},
            {"field": "occurredAt", "code": "INVALID", "message": "Interactions older than a year cannot be recorded"},
        ),
        (
            {"memberId": gid("Member", 999_999)},
            {"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"},
        ),
        (
            {"memberId": gid("Tier", 1)},
            {"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"},
        ),
    ],
)
async def test_bad_input_records_nothing(client, fields, error):
    # given
    manager, member = await a_managed_member()
    # when
    result = await record(client, staff_token(manager), member, **fields)
    # then
    assert result == {"data": {"interactionRecord": {"interaction": None, "member": None, "errors": [error]}}}
    assert await models.Interaction.all().count() == 0


async def test_another_members_account_manager_is_refused(client):
    # given
    _, member = await a_managed_member()
    other = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    # when
    result = await record(client, staff_token(other), member)
    # then
    assert result == refused(
        "interactionRecord", "FORBIDDEN", "Only the member's own account manager may change this record"
    )
    assert await models.Interaction.all().count() == 0


async def test_members_cannot_log_interactions(client):
    # given
    _, member = await a_managed_member()
    # when
    result = await record(client, member_token(member), member)
    # then
    assert result == refused("interactionRecord", "FORBIDDEN")
    assert await models.Interaction.all().count() == 0
