"""surveyResponseSubmit: a member answers a survey sent to them, once, and earns the survey points once."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_event,
    make_member,
    make_staff,
    make_survey,
    make_survey_instance,
    member_token,
    points_of,
    refused,
    staff_token,
)

SUBMIT = """
mutation($input: SurveyResponseSubmitInput!) {
  surveyResponseSubmit(input: $input) {
    surveyInstance { id respondedAt answers { kind score text question { position } } }
    pointsAwarded
    errors { field code message }
  }
}
"""
UNDONE = {"surveyInstance": None, "pointsAwarded": None}


async def a_sent_survey(**fields):
    """The standard survey (NPS and CSAT required, text optional) sent to a member of Olivia's about an event."""
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=olivia.id)
    survey = await make_survey(models.SurveyTrigger.AFTER_EVENT)
    event = await make_event(starts_in=timedelta(days=-2))
    instance = await make_survey_instance(survey, member, event_id=event.id, **fields)
    questions = await models.SurveyQuestion.filter(survey_id=survey.id).order_by("position")
    return member, instance, questions, event, olivia


def answer(question, score=None, text=None):
    return {"questionId": gid("SurveyQuestion", question.id), "score": score, "text": text}


def submit(instance, answers, key="answer-1"):
    return {"input": {"surveyInstanceId": gid("SurveyInstance", instance.id), "answers": answers, "idempotencyKey": key}}


def error(field, code, message):
    return {"data": {"surveyResponseSubmit": {**UNDONE, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_member_answers_and_earns_the_survey_points(client):
    # given
    member, instance, (nps, csat, text), event, olivia = await a_sent_survey()
    answers = [answer(csat, score=4), answer(nps, score=9), answer(text, text=" More jazz ")]
    # when
    result = await gql(client, SUBMIT, submit(instance, answers), token=member_token(member))
    # then
    row = await models.SurveyInstance.get(id=instance.id)
    assert result == {
        "data": {
            "surveyResponseSubmit": {
                "surveyInstance": {
                    "id": gid("SurveyInstance", instance.id),
                    "respondedAt": row.responded_at.isoformat(),
                    "answers": [
                        {"kind": "CSAT", "score": 4, "text": None, "question": {"position": 2}},
                        {"kind": "NPS", "score": 9, "text": None, "question": {"position": 1}},
                        {"kind": "TEXT", "score": None, "text": "More jazz", "question": {"position": 3}},
                    ],
                },
                "pointsAwarded": 50,
                "errors": [],
            }
        }
    }
    stored = await models.SurveyAnswer.all().order_by("id").values_list("kind", "event_id", "account_manager_id", "submitted_at")
    assert stored == [(kind, event.id, olivia.id, row.responded_at) for kind in ("csat", "nps", "text")]
    assert await points_of(member) == (50, 0)
    entry = await models.LedgerEntry.get(member_id=member.id)
    assert (entry.source, entry.reference) == (models.EntrySource.SURVEY, f"survey-response:{instance.id}")


async def test_the_optional_question_may_be_left_out(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    # when
    result = await gql(client, SUBMIT, submit(instance, [answer(nps, score=0), answer(csat, score=1)]), token=member_token(member))
    # then
    assert result["data"]["surveyResponseSubmit"]["errors"] == []
    assert await models.SurveyAnswer.all().count() == 2


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (lambda q: [answer(q[0], score=11), answer(q[1], score=3)], "answers.0.score", "Give a score from 0 to 10"),
        (lambda q: [answer(q[0], score=-1), answer(q[1], score=3)], "answers.0.score", "Give a score from 0 to 10"),
        (lambda q: [answer(q[0], score=7), answer(q[1], score=0)], "answers.1.score", "Give a score from 1 to 5"),
        (lambda q: [answer(q[0], score=7), answer(q[1])], "answers.1.score", "Give a score from 1 to 5"),
        (lambda q: [answer(q[0], score=7), answer(q[1], score=3, text="Nice")], "answers.1.text", "A score question takes no text"),
        (lambda q: [answer(q[0], score=7), answer(q[1], score=3), answer(q[2], text="x" * 2001)], "answers.2.text", "At most 2000 characters"),
        (lambda q: [answer(q[0], score=7), answer(q[1], score=3), answer(q[2], text=" ")], "answers.2.text", "Write an answer, or leave the question out"),
        (lambda q: [answer(q[0], score=7), answer(q[1], score=3), answer(q[2], score=2)], "answers.2.score", "A text question takes no score"),
        (lambda q: [answer(q[0], score=7), answer(q[0], score=8)], "answers.1.questionId", "This question is already answered in answers.0"),
        (lambda q: [answer(q[0], score=7)], "answers", "Answer question 2: How satisfied were you?"),
        (lambda q: [{"questionId": gid("SurveyQuestion", 999), "score": 5}], "answers.0.questionId", "This question is not part of the survey"),
        (lambda q: [{"questionId": gid("Member", q[0].id), "score": 5}], "answers.0.questionId", "This question is not part of the survey"),
        (lambda q: [answer(q[0], score=1)] * 4, "answers", "The survey has 3 questions"),
    ],
)
async def test_every_answer_is_checked_and_a_bad_one_names_its_field(client, answers, field, message):
    # given
    member, instance, questions, _, _ = await a_sent_survey()
    # when
    result = await gql(client, SUBMIT, submit(instance, answers(questions)), token=member_token(member))
    # then
    assert result == error(field, "INVALID", message)
    assert (await models.SurveyInstance.get(id=instance.id)).responded_at is None
    assert await models.SurveyAnswer.all().count() == 0
    assert await points_of(member) == (0, 0)


async def test_a_question_of_another_survey_is_not_part_of_this_one(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    other = await make_survey()
    foreign = await models.SurveyQuestion.get(survey_id=other.id, position=1)
    # when
    result = await gql(client, SUBMIT, submit(instance, [answer(nps, score=7), answer(foreign, score=3)]), token=member_token(member))
    # then
    assert result == error("answers.1.questionId", "INVALID", "This question is not part of the survey")


async def test_an_expired_survey_takes_no_answers(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey(sent_at=datetime.now(timezone.utc) - timedelta(days=15))
    # when
    result = await gql(client, SUBMIT, submit(instance, [answer(nps, score=7), answer(csat, score=3)]), token=member_token(member))
    # then
    assert result == error("surveyInstanceId", "EXPIRED", "This survey has expired")
    assert await models.SurveyAnswer.all().count() == 0


async def test_a_second_answer_is_refused_and_a_retry_with_the_same_key_gets_the_first_result(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    answers = [answer(nps, score=7), answer(csat, score=3)]
    token = member_token(member)
    first = await gql(client, SUBMIT, submit(instance, answers, key="k1"), token=token)
    # when
    retry = await gql(client, SUBMIT, submit(instance, answers, key="k1"), token=token)
    reused = await gql(client, SUBMIT, submit(instance, [answer(nps, score=8), answer(csat, score=3)], key="k1"), token=token)
    again = await gql(client, SUBMIT, submit(instance, answers, key="k2"), token=token)
    # then
    assert first["data"]["surveyResponseSubmit"]["errors"] == []
    assert retry == first
    assert reused == error(
        "idempotencyKey", "IDEMPOTENCY_KEY_REUSED", "This idempotency key was already used for a different request; use a new key"
    )
    assert again == error("surveyInstanceId", "ALREADY_RESPONDED", "You have already answered this survey")
    assert await models.SurveyAnswer.all().count() == 2
    assert await points_of(member) == (50, 0)


async def test_of_ten_concurrent_submissions_with_different_keys_exactly_one_wins_and_points_are_awarded_once(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    token = member_token(member)
    # when
    results = await asyncio.gather(
        *(
            gql(client, SUBMIT, submit(instance, [answer(nps, score=n), answer(csat, score=3)], key=f"k{n}"), token=token)
            for n in range(10)
        )
    )
    # then
    payloads = [result["data"]["surveyResponseSubmit"] for result in results]
    winners = [payload for payload in payloads if payload["errors"] == []]
    losers = [payload for payload in payloads if payload["errors"]]
    assert len(winners) == 1 and winners[0]["pointsAwarded"] == 50
    assert losers == [
        {**UNDONE, "errors": [{"field": "surveyInstanceId", "code": "ALREADY_RESPONDED", "message": "You have already answered this survey"}]}
    ] * 9
    assert await models.SurveyAnswer.all().count() == 2
    assert await points_of(member) == (50, 0)
    assert await models.LedgerEntry.filter(member_id=member.id).count() == 1
    assert await ledger.check_invariants() == []


async def test_an_empty_idempotency_key_is_refused(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    # when
    result = await gql(client, SUBMIT, submit(instance, [answer(nps, score=7), answer(csat, score=3)], key=" "), token=member_token(member))
    # then
    assert result == error("idempotencyKey", "INVALID", "The idempotency key must be 1 to 200 printable characters")
    assert (await models.SurveyInstance.get(id=instance.id)).responded_at is None


async def test_an_inactive_member_may_answer_but_earns_nothing(client):
    # given
    member, instance, (nps, csat, _), _, _ = await a_sent_survey()
    await models.Member.filter(id=member.id).update(status=models.MemberStatus.SUSPENDED)
    # when
    result = await gql(client, SUBMIT, submit(instance, [answer(nps, score=7), answer(csat, score=3)]), token=member_token(member))
    # then
    assert result["data"]["surveyResponseSubmit"]["pointsAwarded"] == 0
    assert await points_of(member) == (0, 0)


async def test_only_the_member_it_was_sent_to_may_answer(client):
    # given
    member, instance, (nps, csat, _), _, olivia = await a_sent_survey()
    answers = [answer(nps, score=7), answer(csat, score=3)]
    # when
    other = await gql(client, SUBMIT, submit(instance, answers), token=member_token(await make_member()))
    unknown = await gql(
        client, SUBMIT, {"input": {"surveyInstanceId": gid("SurveyInstance", 999), "answers": answers, "idempotencyKey": "k"}},
        token=member_token(member),
    )
    staff = await gql(client, SUBMIT, submit(instance, answers), token=staff_token(olivia))
    anonymous = await gql(client, SUBMIT, submit(instance, answers))
    # then
    assert other == unknown == error("surveyInstanceId", "NOT_FOUND", "Survey not found")
    assert staff == refused("surveyResponseSubmit", "FORBIDDEN")
    assert anonymous == refused("surveyResponseSubmit", "UNAUTHENTICATED")
    assert await models.SurveyAnswer.all().count() == 0
