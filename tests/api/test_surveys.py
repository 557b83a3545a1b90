"""Reading surveys: `surveys` for staff, `Member.surveys` and survey instances for the member and feedback staff."""

from datetime import datetime, timedelta, timezone

from domain import models
from tests.factories import (
    gid,
    gql,
    make_event,
    make_member,
    make_staff,
    make_survey,
    make_survey_instance,
    member_token,
    refused,
    staff_token,
)

SURVEYS = "{ surveys { edges { node { title trigger questions { kind } } } } }"
MEMBER_SURVEYS = """
query($id: ID!, $pending: Boolean) {
  member(id: $id) {
    surveys(pending: $pending) {
      edges { node { survey { title questions { prompt } } event { title } respondedAt answers { score } } }
    }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on SurveyInstance { survey { title } } ... on Survey { title } ... on SurveyQuestion { prompt } } }"


async def test_staff_who_send_or_read_surveys_list_them_newest_first(client):
    # given
    await make_survey(models.SurveyTrigger.AFTER_EVENT, title="Events")
    await make_survey(models.SurveyTrigger.AFTER_VISIT, title="Visits", questions=((models.QuestionKind.NPS, "Recommend?", True),))
    # when
    events = await gql(client, SURVEYS, token=staff_token(await make_staff(models.StaffRole.EVENT_MANAGER)))
    manager = await gql(client, SURVEYS, token=staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)))
    desk = await gql(client, SURVEYS, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    member = await gql(client, SURVEYS, token=member_token(await make_member()))
    anonymous = await gql(client, SURVEYS)
    # then
    listed = {
        "data": {
            "surveys": {
                "edges": [
                    {"node": {"title": "Visits", "trigger": "AFTER_VISIT", "questions": [{"kind": "NPS"}]}},
                    {"node": {"title": "Events", "trigger": "AFTER_EVENT", "questions": [{"kind": "NPS"}, {"kind": "CSAT"}, {"kind": "TEXT"}]}},
                ]
            }
        }
    }
    assert events == manager == listed
    assert desk == member == refused("surveys", "FORBIDDEN")
    assert anonymous == refused("surveys", "UNAUTHENTICATED")


async def a_member_with_surveys():
    """Mia (Olivia's) has one survey to answer about a tasting, one answered and one expired."""
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    mia = await make_member(account_manager_id=olivia.id)
    survey = await make_survey(models.SurveyTrigger.AFTER_EVENT, title="After the event")
    tasting = await make_event(starts_in=timedelta(days=-1), title="Tasting")
    now = datetime.now(timezone.utc)
    expired = await make_survey_instance(survey, mia, sent_at=now - timedelta(days=20))
    answered = await make_survey_instance(survey, mia, sent_at=now - timedelta(days=3), responded_at=now - timedelta(days=2))
    question = await models.SurveyQuestion.get(survey_id=survey.id, position=1)
    await models.SurveyAnswer.create(instance=answered, question=question, kind="nps", score=10, submitted_at=now - timedelta(days=2))
    pending = await make_survey_instance(survey, mia, event_id=tasting.id)
    return olivia, mia, pending, answered, expired


async def test_the_member_sees_their_pending_and_past_surveys_with_their_answers(client):
    # given
    olivia, mia, pending, answered, expired = await a_member_with_surveys()
    variables = {"id": gid("Member", mia.id)}
    token = member_token(mia)
    # when
    open_ = await gql(client, MEMBER_SURVEYS, {**variables, "pending": True}, token=token)
    past = await gql(client, MEMBER_SURVEYS, {**variables, "pending": False}, token=token)
    every = await gql(client, MEMBER_SURVEYS, variables, token=token)
    # then
    questions = [{"prompt": prompt} for prompt in ("How likely are you to recommend the club to a friend?", "How satisfied were you?", "What could we do better?")]
    survey = {"title": "After the event", "questions": questions}
    pending_node = {"node": {"survey": survey, "event": {"title": "Tasting"}, "respondedAt": None, "answers": []}}
    answered_node = {"node": {"survey": survey, "event": None, "respondedAt": answered.responded_at.isoformat(), "answers": [{"score": 10}]}}
    expired_node = {"node": {"survey": survey, "event": None, "respondedAt": None, "answers": []}}
    assert open_ == {"data": {"member": {"surveys": {"edges": [pending_node]}}}}
    assert past == {"data": {"member": {"surveys": {"edges": [answered_node, expired_node]}}}}
    assert every == {"data": {"member": {"surveys": {"edges": [pending_node, answered_node, expired_node]}}}}


async def test_feedback_staff_in_scope_see_a_members_surveys_and_others_get_null(client):
    # given
    olivia, mia, pending, answered, expired = await a_member_with_surveys()
    variables = {"id": gid("Member", mia.id), "pending": True}
    # when
    olivias = await gql(client, MEMBER_SURVEYS, variables, token=staff_token(olivia))
    oscars = await gql(client, MEMBER_SURVEYS, variables, token=staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)))
    desk = await gql(client, MEMBER_SURVEYS, variables, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    # then
    assert len(olivias["data"]["member"]["surveys"]["edges"]) == 1
    assert oscars == desk == {"data": {"member": {"surveys": None}}}


async def test_a_survey_instance_node_is_seen_by_its_member_and_feedback_staff_in_scope(client):
    # given
    olivia, mia, pending, answered, expired = await a_member_with_surveys()
    variables = {"id": gid("SurveyInstance", pending.id)}
    callers = {
        "mia": member_token(mia),
        "olivia": staff_token(olivia),
        "events": staff_token(await make_staff(models.StaffRole.EVENT_MANAGER)),
        "otto": member_token(await make_member()),
        "oscar": staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER)),
        "desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
        "anonymous": None,
    }
    # when
    results = {name: await gql(client, NODE, variables, token=token) for name, token in callers.items()}
    # then
    seen = {"node": {"__typename": "SurveyInstance", "survey": {"title": "After the event"}}}
    assert results == {name: {"data": seen if name in ("mia", "olivia", "events") else {"node": None}} for name in callers}


async def test_survey_and_question_nodes_are_for_survey_staff(client):
    # given
    survey = await make_survey(title="Visits")
    question = await models.SurveyQuestion.get(survey_id=survey.id, position=2)
    events = staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))
    member = member_token(await make_member())
    # when
    survey_for_staff = await gql(client, NODE, {"id": gid("Survey", survey.id)}, token=events)
    question_for_staff = await gql(client, NODE, {"id": gid("SurveyQuestion", question.id)}, token=events)
    survey_for_member = await gql(client, NODE, {"id": gid("Survey", survey.id)}, token=member)
    question_for_member = await gql(client, NODE, {"id": gid("SurveyQuestion", question.id)}, token=member)
    # then
    assert survey_for_staff == {"data": {"node": {"__typename": "Survey", "title": "Visits"}}}
    assert question_for_staff == {"data": {"node": {"__typename": "SurveyQuestion", "prompt": "How satisfied were you?"}}}
    assert survey_for_member == question_for_member == {"data": {"node": None}}
