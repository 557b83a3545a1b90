"""surveySend: a manual survey goes to the members named, once each."""

from datetime import datetime, timedelta, timezone

from domain import models
from tests.factories import gid, gql, make_member, make_staff, make_survey, member_token, refused, staff_token

SURVEY_SEND = """
mutation($input: SurveySendInput!) {
  surveySend(input: $input) { survey { title } sent alreadySent errors { field code message } }
}
"""
UNDONE = {"survey": None, "sent": None, "alreadySent": None}


def send(survey, *members):
    return {"input": {"surveyId": gid("Survey", survey.id), "memberIds": [gid("Member", m.id) for m in members]}}


def error(field, code, message):
    return {"data": {"surveySend": {**UNDONE, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_manual_survey_is_sent_once_per_member_with_their_account_manager_and_14_days_to_answer(client):
    # given
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    ann, ben = await make_member(account_manager_id=olivia.id), await make_member()
    survey = await make_survey(title="Spring check-in")
    token = staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))
    before = datetime.now(timezone.utc)
    # when
    first = await gql(client, SURVEY_SEND, send(survey, ann), token=token)
    second = await gql(client, SURVEY_SEND, send(survey, ann, ben, ben), token=token)
    # then
    assert first == {"data": {"surveySend": {"survey": {"title": "Spring check-in"}, "sent": 1, "alreadySent": 0, "errors": []}}}
    assert second == {"data": {"surveySend": {"survey": {"title": "Spring check-in"}, "sent": 1, "alreadySent": 1, "errors": []}}}
    rows = await models.SurveyInstance.all().order_by("id")
    assert [(row.member_id, row.account_manager_id, row.source_key) for row in rows] == [
        (ann.id, olivia.id, f"survey:{survey.id}:member:{ann.id}"),
        (ben.id, None, f"survey:{survey.id}:member:{ben.id}"),
    ]
    assert all(row.expires_at - row.sent_at == timedelta(days=14) and row.sent_at >= before for row in rows)


async def test_only_active_manual_surveys_to_active_members(client):
    # given
    member = await make_member()
    resigned = await make_member(status=models.MemberStatus.RESIGNED)
    after_event = await make_survey(models.SurveyTrigger.AFTER_EVENT)
    inactive = await make_survey(is_active=False)
    manual = await make_survey()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    results = [
        await gql(client, SURVEY_SEND, send(after_event, member), token=token),
        await gql(client, SURVEY_SEND, send(inactive, member), token=token),
        await gql(client, SURVEY_SEND, {"input": {"surveyId": gid("Survey", 999), "memberIds": [gid("Member", member.id)]}}, token=token),
        await gql(client, SURVEY_SEND, send(manual, member, resigned), token=token),
        await gql(client, SURVEY_SEND, {"input": {"surveyId": gid("Survey", manual.id), "memberIds": [gid("Member", 999)]}}, token=token),
        await gql(client, SURVEY_SEND, send(manual), token=token),
    ]
    # then
    assert results == [
        error("surveyId", "NOT_MANUAL", "Only manual surveys are sent by hand; the others go out after events and visits"),
        error("surveyId", "SURVEY_INACTIVE", "The survey is no longer active"),
        error("surveyId", "NOT_FOUND", "Survey not found"),
        error("memberIds.1", "MEMBER_INACTIVE", "This member's membership is not active"),
        error("memberIds.0", "NOT_FOUND", "Member not found"),
        error("memberIds", "INVALID", "Name 1 to 100 members"),
    ]
    assert await models.SurveyInstance.all().count() == 0


async def test_others_are_refused(client):
    # given
    member = await make_member()
    survey = await make_survey()
    # when
    manager = await gql(client, SURVEY_SEND, send(survey, member), token=staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)))
    by_member = await gql(client, SURVEY_SEND, send(survey, member), token=member_token(member))
    anonymous = await gql(client, SURVEY_SEND, send(survey, member))
    # then
    assert manager == by_member == refused("surveySend", "FORBIDDEN")
    assert anonymous == refused("surveySend", "UNAUTHENTICATED")
    assert await models.SurveyInstance.all().count() == 0
