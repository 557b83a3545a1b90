"""interactionRecord: staff log a visit, call, message or gift; a visit grades the member again and sends a survey."""

import logging
from datetime import datetime, timedelta, timezone

import pytest

from domain import lifecycle, models, surveys
from tests.factories import (
    gid,
    gql,
    make_member,
    make_staff,
    make_survey,
    make_task,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

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


async def test_a_time_without_an_offset_is_taken_as_utc(client):
    # given
    manager, member = await a_managed_member()
    at = (datetime.now(timezone.utc) - timedelta(hours=3)).replace(microsecond=0)
    naive = at.replace(tzinfo=None).isoformat()  # e.g. "2026-11-25T09:00:00"
    # when
    result = await record(client, staff_token(manager), member, occurredAt=naive)
    # then
    assert result["data"]["interactionRecord"]["interaction"]["occurredAt"] == at.isoformat()  # "...+00:00"
    assert result["data"]["interactionRecord"]["errors"] == []
    assert await models.Interaction.filter(member_id=member.id).values_list("occurred_at", flat=True) == [at]


async def test_a_visit_sends_the_after_visit_survey(client):
    # given
    manager, member = await a_managed_member()
    survey = await make_survey(models.SurveyTrigger.AFTER_VISIT)
    # when
    result = await record(client, staff_token(manager), member, kind="VISIT", summary="Lunch")
    # then
    assert result["data"]["interactionRecord"]["errors"] == []
    visit = await models.Interaction.get(member_id=member.id)
    sent = await models.SurveyInstance.all().values_list("survey_id", "member_id", "source_key")
    assert sent == [(survey.id, member.id, f"visit:{visit.id}")]


async def test_a_failed_grading_stores_nothing_and_a_retry_records_the_visit_once(client, monkeypatch):
    # given: the grading of the visit fails once, after the interaction was written
    manager, member = await a_managed_member()
    working = lifecycle.activities

    async def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(lifecycle, "activities", broken)
    at = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    # when
    failed = await record(client, staff_token(manager), member, kind="VISIT", summary="Dinner", occurredAt=at.isoformat())
    # then: the client is told of an unexpected error, and nothing of the visit is kept
    assert failed["data"] is None
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await models.Interaction.all().count() == 0
    assert (await models.Member.get(id=member.id)).last_visit_at is None
    # when: the client retries once the grading works again
    monkeypatch.setattr(lifecycle, "activities", working)
    retried = await record(client, staff_token(manager), member, kind="VISIT", summary="Dinner", occurredAt=at.isoformat())
    # then: the visit is recorded once, and graded
    assert retried["data"]["interactionRecord"]["errors"] == []
    assert await models.Interaction.all().values_list("kind", "occurred_at") == [(models.InteractionKind.VISIT, at)]
    assert (await models.Member.get(id=member.id)).last_visit_at == at


async def test_a_survey_that_cannot_be_sent_is_logged_and_the_visit_still_recorded(client, monkeypatch, caplog):
    # given: an after-visit survey, and sending it fails
    manager, member = await a_managed_member()
    await make_survey(models.SurveyTrigger.AFTER_VISIT)
    send = surveys.send_after_visit

    async def broken(*, interaction_id, now=None):
        raise RuntimeError("the survey could not be sent")

    monkeypatch.setattr(surveys, "send_after_visit", broken)
    caplog.set_level(logging.ERROR, logger="clubgraph.care")
    at = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    # when
    result = await record(client, staff_token(manager), member, kind="VISIT", summary="Dinner", occurredAt=at.isoformat())
    # then: the visit is recorded and graded, without its survey
    assert result["data"]["interactionRecord"]["errors"] == []
    assert result["data"]["interactionRecord"]["member"]["lastVisitAt"] == at.isoformat()
    visit = await models.Interaction.get(member_id=member.id)
    assert await models.SurveyInstance.all().count() == 0
    # and the failure is logged, naming the visit, so that the survey can be sent later, once
    records = [r for r in caplog.records if r.name == "clubgraph.care"]
    assert [(r.levelname, r.getMessage(), str(r.exc_info[1])) for r in records] == [
        (
            "ERROR",
            f"the after-visit survey for interaction {visit.id} was not sent; "
            f"surveys.send_after_visit(interaction_id={visit.id}) sends it once",
            "the survey could not be sent",
        )
    ]
    monkeypatch.setattr(surveys, "send_after_visit", send)
    await surveys.send_after_visit(interaction_id=visit.id)
    assert await models.SurveyInstance.filter(source_key=f"visit:{visit.id}").count() == 1


async def test_a_visit_cancels_the_members_open_retention_call(client):
    # given: the club raised a retention call two days ago
    manager, member = await a_managed_member()
    call = await make_task(member=member, assignee=manager, kind=models.TaskKind.RETENTION_CALL)
    await models.Task.filter(id=call.id).update(created_at=datetime.now(timezone.utc) - timedelta(days=2))
    at = (datetime.now(timezone.utc) - timedelta(minutes=10)).replace(microsecond=0)
    # when
    result = await record(client, staff_token(manager), member, kind="VISIT", summary="Lunch", occurredAt=at.isoformat())
    # then
    assert result["data"]["interactionRecord"]["errors"] == []
    cancelled = await models.Task.get(id=call.id)
    assert (cancelled.status, cancelled.outcome, cancelled.completed_by_id) == (
        models.TaskStatus.CANCELLED, f"The member came back on {at:%Y-%m-%d}", None
    )


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
