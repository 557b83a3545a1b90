"""surveyResponseSubmit: a member answers a survey sent to them, once, and earns the survey points."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import surveys
from schema.base import Info, node_pk, node_pk_or_none
from schema.errors import error_type, perform
from schema.feedback.types import SurveyInstance
from schema.points.types import IDEMPOTENCY_KEY_HELP


@strawberry.enum
class SurveyResponseSubmitErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    EXPIRED = "EXPIRED"
    ALREADY_RESPONDED = "ALREADY_RESPONDED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


SurveyResponseSubmitError = error_type("SurveyResponseSubmit", SurveyResponseSubmitErrorCode)


@strawberry.input(
    description="The answer to one question: a score for NPS (0 to 10) and CSAT (1 to 5), a text otherwise."
)
class SurveyAnswerInput:
    question_id: relay.GlobalID
    score: int | None = None
    text: str | None = strawberry.field(
        default=None, description=f"At most {surveys.MAX_TEXT_ANSWER_LENGTH} characters"
    )


@strawberry.input
class SurveyResponseSubmitInput:
    survey_instance_id: relay.GlobalID
    answers: list[SurveyAnswerInput] = strawberry.field(
        description="Every required question answered, each question at most once"
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY_HELP)


@strawberry.type
class SurveyResponseSubmitPayload:
    survey_instance: SurveyInstance | None = None
    points_awarded: int | None = strawberry.field(
        default=None, description="Points credited for answering; 0 when the membership is not active"
    )
    errors: list[SurveyResponseSubmitError]  # type: ignore[valid-type]


async def survey_response_submit(info: Info, input: SurveyResponseSubmitInput) -> SurveyResponseSubmitPayload:
    async def action() -> dict:
        result = await surveys.submit_response(
            viewer=info.context.viewer,
            instance_id=node_pk(input.survey_instance_id, "SurveyInstance", field="surveyInstanceId"),
            answers=[
                surveys.AnswerSpec(
                    question_id=node_pk_or_none(answer.question_id, "SurveyQuestion", missing=0) or 0,
                    score=answer.score,
                    text=answer.text,
                )
                for answer in input.answers
            ],
            idempotency_key=input.idempotency_key,
        )
        row = await info.context.loaders.survey_instance_by_id.load(result["instance_id"])
        return {"survey_instance": SurveyInstance.from_row(row), "points_awarded": result["points_awarded"]}

    return await perform(info, SurveyResponseSubmitPayload, SurveyResponseSubmitError, action())
