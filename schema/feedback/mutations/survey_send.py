"""surveySend: send a manual survey to members, once per member."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from domain import models, surveys
from schema.base import Info, node_pk
from schema.errors import error_type, perform
from schema.feedback.types import Survey


@strawberry.enum
class SurveySendErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_MANUAL = "NOT_MANUAL"
    SURVEY_INACTIVE = "SURVEY_INACTIVE"
    MEMBER_INACTIVE = "MEMBER_INACTIVE"
    INVALID = "INVALID"


SurveySendError = error_type("SurveySend", SurveySendErrorCode)


@strawberry.input
class SurveySendInput:
    survey_id: relay.GlobalID = strawberry.field(description="A manual, active survey")
    member_ids: list[relay.GlobalID] = strawberry.field(description=f"1 to {surveys.MAX_RECIPIENTS} active members")


@strawberry.type
class SurveySendPayload:
    survey: Survey | None = None
    sent: int | None = strawberry.field(default=None, description="Members it was sent to now")
    already_sent: int | None = strawberry.field(default=None, description="Members who had it already: not sent again")
    errors: list[SurveySendError]  # type: ignore[valid-type]


async def survey_send(info: Info, input: SurveySendInput) -> SurveySendPayload:
    async def action() -> dict:
        result = await surveys.send_survey(
            viewer=info.context.viewer,
            survey_id=node_pk(input.survey_id, "Survey", field="surveyId"),
            member_ids=[node_pk(id_, "Member", field=f"memberIds.{i}") for i, id_ in enumerate(input.member_ids)],
        )
        survey = await models.Survey.get(id=result["survey_id"])
        return {"survey": Survey.from_row(survey), "sent": result["sent"], "already_sent": result["already_sent"]}

    return await perform(info, SurveySendPayload, SurveySendError, action())
