"""surveyCreate: a new active questionnaire of NPS, CSAT and text questions."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import surveys
from schema.base import Info
from schema.errors import error_type, perform
from schema.feedback.types import QuestionKind, Survey, SurveyTrigger


@strawberry.enum
class SurveyCreateErrorCode(Enum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"


SurveyCreateError = error_type("SurveyCreate", SurveyCreateErrorCode)


@strawberry.input
class SurveyQuestionInput:
    kind: QuestionKind
    prompt: str = strawberry.field(description=f"1 to {surveys.MAX_PROMPT_LENGTH} characters")
    required: bool = True


@strawberry.input
class SurveyCreateInput:
    title: str = strawberry.field(description=f"1 to {surveys.MAX_TITLE_LENGTH} characters")
    trigger: SurveyTrigger = strawberry.field(
        description="After events and visits, the newest active survey of that trigger is sent; "
        "manual ones by surveySend"
    )
    questions: list[SurveyQuestionInput] = strawberry.field(description=f"1 to {surveys.MAX_QUESTIONS}, in order")


@strawberry.type
class SurveyCreatePayload:
    survey: Survey | None = None
    errors: list[SurveyCreateError]  # type: ignore[valid-type]


async def survey_create(info: Info, input: SurveyCreateInput) -> SurveyCreatePayload:
    async def action() -> dict:
        row = await surveys.create_survey(
            viewer=info.context.viewer,
            title=input.title,
            trigger=input.trigger,
            questions=[
                surveys.QuestionSpec(kind=question.kind, prompt=question.prompt, required=question.required)
                for question in input.questions
            ],
        )
        return {"survey": Survey.from_row(row)}

    return await perform(info, SurveyCreatePayload, SurveyCreateError, action())
