"""Satisfaction surveys: sent after events and visits, answered once, aggregated into NPS and CSAT.

A survey is a questionnaire; a survey instance is that questionnaire sent to one member about one
occasion (an event attended, a visit, or a manual send), identified by a `source_key` so that it is
sent once however often and however concurrently the senders run. Answers copy the event and the
account manager of their instance, so that the aggregates group one table without joins.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import idempotency, models, points
from domain.db import Period, fetch_dicts, period_start_sql
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.ledger import utcnow
from domain.models import EventStatus, InteractionKind, MemberStatus, QuestionKind, SurveyTrigger
from domain.policy import Permission, has_permission, in_scope, require_permission
from domain.validation import as_utc, clean_range, clean_text
from domain.viewer import Viewer

MAX_TITLE_LENGTH = 200
MAX_QUESTIONS = 20
MAX_PROMPT_LENGTH = 500
MAX_TEXT_ANSWER_LENGTH = 2000
MAX_RECIPIENTS = 100
VALID_FOR = timedelta(days=14)  # an instance can be answered this long after it was sent
EVENT_LOOKBACK = timedelta(days=7)  # events that ended this recently get their survey sent
SCORES = {QuestionKind.NPS: (0, 10), QuestionKind.CSAT: (1, 5)}
_CHUNK = 500


def _now(now: datetime | None) -> datetime:
    """The time a write or read is judged at, in UTC (a naive `now` is taken as UTC)."""
    return as_utc(now) if now is not None else utcnow()


# --- who sees what ------------------------------------------------------------------------


def may_read_surveys(viewer: Viewer) -> bool:
    """Survey definitions: the staff who send surveys or read their answers."""
    return has_permission(viewer, Permission.SURVEY_MANAGE) or has_permission(viewer, Permission.FEEDBACK_READ)


def may_see_member_surveys(viewer: Viewer, *, member_id: int, account_manager_id: int | None) -> bool:
    """A member's survey instances and answers: the member themself, and FEEDBACK_READ staff in scope."""
    if viewer.is_member_self(member_id):
        return True
    return has_permission(viewer, Permission.FEEDBACK_READ) and in_scope(viewer, account_manager_id=account_manager_id)


def survey_query(*, viewer: Viewer) -> QuerySet[models.Survey]:
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not may_read_surveys(viewer):
        raise PermissionDenied()
    return models.Survey.all()


def member_instance_query(
    *, member_id: int, pending: bool | None, now: datetime | None = None
) -> QuerySet[models.SurveyInstance]:
    """A member's survey instances; pending: still to answer (true) or answered or expired (false)."""
    now = _now(now)
    query = models.SurveyInstance.filter(member_id=member_id)
    if pending is True:
        query = query.filter(responded_at__isnull=True, expires_at__gt=now)
    elif pending is False:
        query = query.filter(Q(responded_at__isnull=False) | Q(expires_at__lte=now))
    return query


# --- surveys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    kind: QuestionKind
    prompt: str
    required: bool = True


async def create_survey(
    *, viewer: Viewer, title: str, trigger: SurveyTrigger, questions: Sequence[QuestionSpec]
) -> models.Survey:
    """A new active survey. For events and visits, the newest active survey of that trigger is the one sent."""
    require_permission(viewer, Permission.SURVEY_MANAGE)
    title = clean_text(title, field="title", max_length=MAX_TITLE_LENGTH)
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise DomainError("INVALID", f"A survey has 1 to {MAX_QUESTIONS} questions", field="questions")
    prompts = [
        clean_text(question.prompt, field=f"questions.{i}.prompt", max_length=MAX_PROMPT_LENGTH)
        for i, question in enumerate(questions)
    ]
    async with in_transaction():
        survey = await models.Survey.create(title=title, trigger=trigger, is_active=True)
        await models.SurveyQuestion.bulk_create(
            [
                models.SurveyQuestion(
                    survey_id=survey.id, position=i + 1, kind=question.kind, prompt=prompt, required=question.required
                )
                for i, (question, prompt) in enumerate(zip(questions, prompts, strict=True))
            ]
        )
    return survey


async def _active_survey(trigger: SurveyTrigger) -> models.Survey | None:
    return await models.Survey.filter(trigger=trigger, is_active=True).order_by("-created_at", "-id").first()


_INSERT_COLUMNS = (
    "survey_id",
    "member_id",
    "event_id",
    "interaction_id",
    "account_manager_id",
    "source_key",
    "sent_at",
    "expires_at",
)


def _db_value(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


async def _send(rows: list[models.SurveyInstance]) -> int:
    """Insert the instances not sent yet; returns how many this call inserted.

    Insert-if-absent on the unique `source_key` (ON CONFLICT DO NOTHING, both databases), counting
    the keys the INSERT itself returns: a row a concurrent sender inserted first is neither
    inserted again nor counted here, and no transaction is aborted.
    """
    table = models.SurveyInstance._meta.db_table
    sent = 0
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        width = len(_INSERT_COLUMNS)
        values = ", ".join(
            "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")" for i in range(len(chunk))
        )
        params = [_db_value(getattr(row, column)) for row in chunk for column in _INSERT_COLUMNS]
        inserted = await fetch_dicts(
            f"INSERT INTO {table} ({', '.join(_INSERT_COLUMNS)}) VALUES {values} "
            "ON CONFLICT (source_key) DO NOTHING RETURNING source_key",
            params,
        )
        sent += len(inserted)
    return sent


async def send_due_surveys(*, now: datetime | None = None) -> int:
    """Send the active after-event survey to everyone checked in at an event that ended in the last 7 days.

    Returns how many instances were sent; safe to run as often as wanted and in several processes.
    """
    now = _now(now)
    survey = await _active_survey(SurveyTrigger.AFTER_EVENT)
    if survey is None:
        return 0
    attendees = await models.EventRegistration.filter(
        checked_in_at__isnull=False,
        event__status=EventStatus.SCHEDULED,
        event__ends_at__lte=now,
        event__ends_at__gt=now - EVENT_LOOKBACK,
        member__status=MemberStatus.ACTIVE,
    ).values_list("event_id", "member_id", "member__account_manager_id")
    rows = [
        models.SurveyInstance(
            survey_id=survey.id,
            member_id=member_id,
            event_id=event_id,
            account_manager_id=account_manager_id,
            source_key=f"event:{event_id}:member:{member_id}",
            sent_at=now,
            expires_at=now + VALID_FOR,
        )
        for event_id, member_id, account_manager_id in sorted(set(attendees))
    ]
    return await _send(rows)


async def send_after_visit(*, interaction_id: int, now: datetime | None = None) -> models.SurveyInstance | None:
    """Send the active after-visit survey to the member the visit was with, once per visit; None when there is none."""
    now = _now(now)
    survey = await _active_survey(SurveyTrigger.AFTER_VISIT)
    if survey is None:
        return None
    visits = models.Interaction.filter(
        id=interaction_id, kind=InteractionKind.VISIT, member__status=MemberStatus.ACTIVE
    )
    visit = await visits.first().values("member_id", "member__account_manager_id")
    if visit is None:
        return None
    source_key = f"visit:{interaction_id}"
    row = models.SurveyInstance(
        survey_id=survey.id,
        member_id=visit["member_id"],
        interaction_id=interaction_id,
        account_manager_id=visit["member__account_manager_id"],
        source_key=source_key,
        sent_at=now,
        expires_at=now + VALID_FOR,
    )
    await models.SurveyInstance.bulk_create([row], ignore_conflicts=True)
    return await models.SurveyInstance.get(source_key=source_key)


async def send_survey(
    *, viewer: Viewer, survey_id: int, member_ids: Sequence[int], now: datetime | None = None
) -> dict[str, int]:
    """Send a manual survey to the members named, once per member: `sent` new, `already_sent` before."""
    require_permission(viewer, Permission.SURVEY_MANAGE)
    survey = await models.Survey.get_or_none(id=survey_id)
    if survey is None:
        raise NotFound("Survey", field="surveyId")
    if survey.trigger != SurveyTrigger.MANUAL:
        raise DomainError(
            "NOT_MANUAL",
            "Only manual surveys are sent by hand; the others go out after events and visits",
            field="surveyId",
        )
    if not survey.is_active:
        raise DomainError("SURVEY_INACTIVE", "The survey is no longer active", field="surveyId")
    if not 1 <= len(member_ids) <= MAX_RECIPIENTS:
        raise DomainError("INVALID", f"Name 1 to {MAX_RECIPIENTS} members", field="memberIds")
    members = {
        member_id: (status, account_manager_id)
        for member_id, status, account_manager_id in await models.Member.filter(id__in=set(member_ids)).values_list(
            "id", "status", "account_manager_id"
        )
    }
    for i, member_id in enumerate(member_ids):
        if member_id not in members:
            raise NotFound("Member", field=f"memberIds.{i}")
        if members[member_id][0] != MemberStatus.ACTIVE:
            raise DomainError("MEMBER_INACTIVE", "This member's membership is not active", field=f"memberIds.{i}")
    now = _now(now)
    unique = list(dict.fromkeys(member_ids))
    rows = [
        models.SurveyInstance(
            survey_id=survey.id,
            member_id=member_id,
            account_manager_id=members[member_id][1],
            source_key=f"survey:{survey.id}:member:{member_id}",
            sent_at=now,
            expires_at=now + VALID_FOR,
        )
        for member_id in unique
    ]
    sent = await _send(rows)
    return {"survey_id": survey.id, "sent": sent, "already_sent": len(unique) - sent}


# --- answering ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerSpec:
    question_id: int  # 0 when the given ID is not a question's
    score: int | None = None
    text: str | None = None


def _invalid(message: str, field: str) -> DomainError:
    return DomainError("INVALID", message, field=field)


def _clean_answer_text(text: str, field: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise _invalid("Write an answer, or leave the question out", field)
    if len(text) > MAX_TEXT_ANSWER_LENGTH:
        raise _invalid(f"At most {MAX_TEXT_ANSWER_LENGTH} characters", field)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise _invalid("Control characters are not allowed", field)
    return text


def validate_answers(
    questions: Sequence[models.SurveyQuestion], answers: Sequence[AnswerSpec]
) -> list[tuple[models.SurveyQuestion, int | None, str | None]]:
    """Each answer checked against its question: (question, score, text) per answer, or INVALID naming the field."""
    by_id = {question.id: question for question in questions}
    if len(answers) > len(questions):
        raise _invalid(f"The survey has {len(questions)} questions", "answers")
    seen: dict[int, int] = {}
    checked = []
    for i, answer in enumerate(answers):
        path = f"answers.{i}"
        question = by_id.get(answer.question_id)
        if question is None:
            raise _invalid("This question is not part of the survey", f"{path}.questionId")
        if question.id in seen:
            raise _invalid(f"This question is already answered in answers.{seen[question.id]}", f"{path}.questionId")
        seen[question.id] = i
        if question.kind == QuestionKind.TEXT:
            if answer.score is not None:
                raise _invalid("A text question takes no score", f"{path}.score")
            if answer.text is None:
                raise _invalid("Write an answer, or leave the question out", f"{path}.text")
            checked.append((question, None, _clean_answer_text(answer.text, f"{path}.text")))
        else:
            low, high = SCORES[question.kind]
            if answer.text is not None:
                raise _invalid("A score question takes no text", f"{path}.text")
            if answer.score is None or not low <= answer.score <= high:
                raise _invalid(f"Give a score from {low} to {high}", f"{path}.score")
            checked.append((question, answer.score, None))
    for question in questions:
        if question.required and question.id not in seen:
            raise _invalid(f"Answer question {question.position}: {question.prompt}", "answers")
    return checked


async def submit_response(
    *,
    viewer: Viewer,
    instance_id: int,
    answers: Sequence[AnswerSpec],
    idempotency_key: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The member answers a survey sent to them, once, and earns the survey points.

    Returns `instance_id` and `points_awarded`. The answer is claimed by a conditional UPDATE of
    `responded_at` (set only where still null): of concurrent submissions, one wins and the others
    are told the survey is already answered, so points are awarded once.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not viewer.is_member:
        raise PermissionDenied()  # members answer their own surveys; staff never answer for them
    owner = await models.SurveyInstance.filter(id=instance_id).first().values_list("member_id", flat=True)
    if owner != viewer.id:
        raise NotFound("Survey", field="surveyInstanceId")
    now = _now(now)
    arguments = {
        "instance_id": instance_id,
        "answers": [[answer.question_id, answer.score, answer.text] for answer in answers],
    }
    return await idempotency.run_once(
        scope=idempotency.scope_of(viewer, "survey_response_submit"),
        key=idempotency_key,
        arguments=arguments,
        action=lambda: _submit(instance_id, answers, now),
    )


async def _submit(instance_id: int, answers: Sequence[AnswerSpec], now: datetime) -> dict[str, Any]:
    instance = await models.SurveyInstance.get(id=instance_id)
    if instance.responded_at is not None:
        raise DomainError("ALREADY_RESPONDED", "You have already answered this survey", field="surveyInstanceId")
    if now >= instance.expires_at:
        raise DomainError("EXPIRED", "This survey has expired", field="surveyInstanceId")
    questions = await models.SurveyQuestion.filter(survey_id=instance.survey_id).order_by("position")
    checked = validate_answers(questions, answers)
    claimed = await models.SurveyInstance.filter(id=instance.id, responded_at__isnull=True).update(responded_at=now)
    if not claimed:
        raise DomainError("ALREADY_RESPONDED", "You have already answered this survey", field="surveyInstanceId")
    await models.SurveyAnswer.bulk_create(
        [
            models.SurveyAnswer(
                instance_id=instance.id,
                question_id=question.id,
                kind=question.kind,
                score=score,
                text=text,
                event_id=instance.event_id,
                account_manager_id=instance.account_manager_id,
                submitted_at=now,
            )
            for question, score, text in checked
        ]
    )
    entry = await points.award_survey_points(member_id=instance.member_id, survey_response_id=instance.id, now=now)
    return {"instance_id": instance.id, "points_awarded": entry.amount if entry else 0}


# --- aggregates ---------------------------------------------------------------------------


class NpsGrouping(StrEnum):
    PERIOD = "period"
    EVENT = "event"
    ACCOUNT_MANAGER = "account_manager"


@dataclass(frozen=True, slots=True)
class NpsFigure:
    """NPS and CSAT of one group: a period, an event or an account manager."""

    period_start: date | None
    event_id: int | None
    account_manager_id: int | None
    responses: int  # NPS answers
    promoters: int  # scores 9 and 10
    passives: int  # 7 and 8
    detractors: int  # 0 to 6
    score: float | None  # % promoters - % detractors, one decimal; None without NPS answers
    csat_average: float | None  # two decimals; None without CSAT answers


_NPS_SQL = """
SELECT {group} AS group_key,
       COUNT(CASE WHEN kind = 'nps' THEN 1 END) AS responses,
       COUNT(CASE WHEN kind = 'nps' AND score >= 9 THEN 1 END) AS promoters,
       COUNT(CASE WHEN kind = 'nps' AND score BETWEEN 7 AND 8 THEN 1 END) AS passives,
       COUNT(CASE WHEN kind = 'nps' AND score <= 6 THEN 1 END) AS detractors,
       AVG(CASE WHEN kind = 'csat' THEN score * 1.0 END) AS csat_average
FROM survey_answer
WHERE kind IN ('nps', 'csat') AND submitted_at >= $1 AND submitted_at < $2{conditions}
GROUP BY 1
ORDER BY 1
"""


async def nps_figures(
    *,
    grouping: NpsGrouping,
    since: datetime,
    until: datetime,
    period: Period = Period.MONTH,
    account_manager_id: int | None = None,
) -> list[NpsFigure]:
    """NPS and CSAT figures of the answers submitted in [since, until), per group, in one GROUP BY.

    `account_manager_id` limits them to the answers of that account manager's members (as assigned
    when each survey was sent). Groups without a key (answers about no event, members without an
    account manager) are left out of the EVENT and ACCOUNT_MANAGER groupings.
    """
    since, until = clean_range(since, until)
    group = {
        NpsGrouping.PERIOD: period_start_sql("submitted_at", period),
        NpsGrouping.EVENT: "event_id",
        NpsGrouping.ACCOUNT_MANAGER: "account_manager_id",
    }[grouping]
    params: list[Any] = [since, until]  # in UTC: SQLite compares the text
    conditions = ""
    if grouping != NpsGrouping.PERIOD:
        conditions += f" AND {group} IS NOT NULL"
    if account_manager_id is not None:
        params.append(account_manager_id)
        conditions += f" AND account_manager_id = ${len(params)}"
    rows = await fetch_dicts(_NPS_SQL.format(group=group, conditions=conditions), params)
    return [_figure(grouping, row) for row in rows]


def _figure(grouping: NpsGrouping, row: dict[str, Any]) -> NpsFigure:
    key = row["group_key"]
    responses, promoters, detractors = int(row["responses"]), int(row["promoters"]), int(row["detractors"])
    csat = row["csat_average"]
    return NpsFigure(
        period_start=date.fromisoformat(key) if grouping == NpsGrouping.PERIOD else None,
        event_id=int(key) if grouping == NpsGrouping.EVENT else None,
        account_manager_id=int(key) if grouping == NpsGrouping.ACCOUNT_MANAGER else None,
        responses=responses,
        promoters=promoters,
        passives=int(row["passives"]),
        detractors=detractors,
        score=round(100 * (promoters - detractors) / responses, 1) if responses else None,
        csat_average=round(float(csat), 2) if csat is not None else None,
    )
