"""surveyCreate: staff who manage surveys write a questionnaire of NPS, CSAT and text questions."""

import pytest

from domain import models
from tests.factories import gql, make_member, make_staff, member_token, refused, staff_token

SURVEY_CREATE = """
mutation($input: SurveyCreateInput!) {
  surveyCreate(input: $input) {
    survey { title trigger isActive questions { position kind prompt required } }
    errors { field code message }
  }
}
"""
QUESTIONS = [
    {"kind": "NPS", "prompt": "Would you recommend us?"},
    {"kind": "CSAT", "prompt": "How was the evening?"},
    {"kind": "TEXT", "prompt": "Anything else?", "required": False},
]


def error(field, code, message):
    return {"data": {"surveyCreate": {"survey": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_an_event_manager_creates_an_after_event_survey(client):
    # given
    events = await make_staff(models.StaffRole.EVENT_MANAGER)
    # when
    result = await gql(
        client,
        SURVEY_CREATE,
        {"input": {"title": " After the salon ", "trigger": "AFTER_EVENT", "questions": QUESTIONS}},
        token=staff_token(events),
    )
    # then
    assert result == {
        "data": {
            "surveyCreate": {
                "survey": {
                    "title": "After the salon",
                    "trigger": "AFTER_EVENT",
                    "isActive": True,
                    "questions": [
                        {"position": 1, "kind": "NPS", "prompt": "Would you recommend us?", "required": True},
                        {"position": 2, "kind": "CSAT", "prompt": "How was the evening?", "required": True},
                        {"position": 3, "kind": "TEXT", "prompt": "Anything else?", "required": False},
                    ],
                },
                "errors": [],
            }
        }
    }
    assert await models.SurveyQuestion.all().count() == 3


@pytest.mark.parametrize(
    ("fields", "field", "code", "message"),
    [
        ({"title": ""}, "title", "REQUIRED", "This value is required"),
        ({"title": "x" * 201}, "title", "TOO_LONG", "At most 200 characters"),
        ({"questions": []}, "questions", "INVALID", "A survey has 1 to 20 questions"),
        ({"questions": [{"kind": "NPS", "prompt": "Why?"}] * 21}, "questions", "INVALID", "A survey has 1 to 20 questions"),
        ({"questions": [QUESTIONS[0], {"kind": "TEXT", "prompt": " "}]}, "questions.1.prompt", "REQUIRED", "This value is required"),
        ({"questions": [{"kind": "TEXT", "prompt": "x" * 501}]}, "questions.0.prompt", "TOO_LONG", "At most 500 characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(client, fields, field, code, message):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    result = await gql(
        client, SURVEY_CREATE, {"input": {"title": "Visit", "trigger": "MANUAL", "questions": QUESTIONS, **fields}}, token=token
    )
    # then
    assert result == error(field, code, message)
    assert await models.Survey.all().count() == 0


@pytest.mark.parametrize("role", [models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.FRONT_DESK])
async def test_others_are_refused(client, role):
    # given
    variables = {"input": {"title": "Visit", "trigger": "MANUAL", "questions": QUESTIONS}}
    # when
    staff = await gql(client, SURVEY_CREATE, variables, token=staff_token(await make_staff(role)))
    member = await gql(client, SURVEY_CREATE, variables, token=member_token(await make_member()))
    anonymous = await gql(client, SURVEY_CREATE, variables)
    # then
    assert staff == member == refused("surveyCreate", "FORBIDDEN")
    assert anonymous == refused("surveyCreate", "UNAUTHENTICATED")
    assert await models.Survey.all().count() == 0
