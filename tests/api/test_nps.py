"""nps: NPS and CSAT per period, event and account manager, checked against figures computed by hand."""

from datetime import datetime, timezone

import pytest

from domain import models, surveys
from domain.db import Period
from tests.factories import (
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

NPS = """
query($by: NpsGrouping!, $from: DateTime, $to: DateTime, $period: Period) {
  nps(by: $by, from: $from, to: $to, period: $period) {
    periodStart event { title } accountManager { name }
    responses promoters passives detractors score csatAverage
  }
}
"""
FROM, TO = "2026-10-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00"


def at(month, day, hour=12, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


async def answers_of_two_months():
    """Answers (kind, score, when, event, account manager), one survey instance each."""
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Olivia")
    oscar = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Oscar")
    salon = await make_event(title="Salon")
    tasting = await make_event(title="Tasting")
    member = await make_member()
    survey = await make_survey()
    questions = {q.kind: q for q in await models.SurveyQuestion.filter(survey_id=survey.id)}
    rows = [
        ("nps", 0, at(9, 15), salon, olivia),  # before the range
        ("nps", 10, at(10, 5), salon, olivia),
        ("csat", 5, at(10, 5), salon, olivia),
        ("nps", 9, at(10, 20), salon, oscar),
        ("nps", 10, at(10, 21), salon, oscar),
        ("nps", 6, at(10, 20), tasting, oscar),
        ("nps", 7, at(10, 31, 23, 30), tasting, olivia),
        ("nps", 3, at(11, 1, 0, 10), None, olivia),
        ("csat", 2, at(11, 1), None, oscar),
        ("csat", 3, at(11, 10), tasting, None),
        ("text", None, at(11, 10), tasting, olivia),
        ("nps", 10, at(12, 1), salon, olivia),  # the end of the range is excluded
    ]
    for kind, score, when, event, manager in rows:
        instance = await make_survey_instance(survey, member, event_id=event.id if event else None, account_manager_id=manager.id if manager else None)
        await models.SurveyAnswer.create(
            instance=instance,
            question=questions[kind],
            kind=kind,
            score=score,
            text="Fine" if kind == "text" else None,
            event_id=event.id if event else None,
            account_manager_id=manager.id if manager else None,
            submitted_at=when,
        )
    return olivia, oscar


def figure(responses, promoters, passives, detractors, score, csat, *, period=None, event=None, manager=None):
    return {
        "periodStart": period,
        "event": {"title": event} if event else None,
        "accountManager": {"name": manager} if manager else None,
        "responses": responses,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "score": score,
        "csatAverage": csat,
    }


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "PERIOD",
            [
                # October: 10, 9, 10, 6, 7 -> 3 promoters, 1 passive, 1 detractor: 60% - 20%
                figure(5, 3, 1, 1, 40.0, 5.0, period="2026-10-01"),
                # November: 3 -> one detractor; CSAT 2 and 3
                figure(1, 0, 0, 1, -100.0, 2.5, period="2026-11-01"),
            ],
        ),
        (
            "EVENT",
            [
                figure(3, 3, 0, 0, 100.0, 5.0, event="Salon"),  # 10, 9, 10
                figure(2, 0, 1, 1, -50.0, 3.0, event="Tasting"),  # 6, 7
            ],
        ),
        (
            "ACCOUNT_MANAGER",
            [
                figure(3, 1, 1, 1, 0.0, 5.0, manager="Olivia"),  # 10, 7, 3
                figure(3, 2, 0, 1, 33.3, 2.0, manager="Oscar"),  # 9, 10, 6: 66.7% - 33.3%
            ],
        ),
    ],
)
async def test_figures_of_a_club_manager(client, by, expected):
    # given
    await answers_of_two_months()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    result = await gql(client, NPS, {"by": by, "from": FROM, "to": TO}, token=token)
    # then
    assert result == {"data": {"nps": expected}}


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("PERIOD", [figure(2, 1, 1, 0, 50.0, 5.0, period="2026-10-01"), figure(1, 0, 0, 1, -100.0, None, period="2026-11-01")]),
        ("EVENT", [figure(1, 1, 0, 0, 100.0, 5.0, event="Salon"), figure(1, 0, 1, 0, 0.0, None, event="Tasting")]),
        ("ACCOUNT_MANAGER", [figure(3, 1, 1, 1, 0.0, 5.0, manager="Olivia")]),
    ],
)
async def test_an_account_manager_gets_the_figures_of_their_own_members_only(client, by, expected):
    # given
    olivia, oscar = await answers_of_two_months()
    # when
    result = await gql(client, NPS, {"by": by, "from": FROM, "to": TO}, token=staff_token(olivia))
    # then
    assert result == {"data": {"nps": expected}}


async def test_days_and_years(client):
    # given
    await answers_of_two_months()
    token = staff_token(await make_staff(models.StaffRole.ADMINISTRATOR))
    # when
    days = await gql(client, NPS, {"by": "PERIOD", "period": "DAY", "from": "2026-10-31T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, token=token)
    years = await gql(client, NPS, {"by": "PERIOD", "period": "YEAR", "from": FROM, "to": TO}, token=token)
    # then
    assert days == {
        "data": {"nps": [figure(1, 0, 1, 0, 0.0, None, period="2026-10-31"), figure(1, 0, 0, 1, -100.0, 2.0, period="2026-11-01")]}
    }
    assert years == {"data": {"nps": [figure(6, 3, 1, 2, 16.7, 3.33, period="2026-01-01")]}}


async def test_no_answers_no_figures(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    result = await gql(client, NPS, {"by": "PERIOD"}, token=token)
    # then
    assert result == {"data": {"nps": []}}


async def test_the_range_is_at_most_three_years_and_runs_forwards(client):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    too_long = await gql(client, NPS, {"by": "PERIOD", "from": "2020-01-01T00:00:00Z", "to": TO}, token=token)
    backwards = await gql(client, NPS, {"by": "PERIOD", "from": TO, "to": FROM}, token=token)
    # then
    assert too_long == refused("nps", "BAD_USER_INPUT", "The range covers at most 3 years")
    assert backwards == refused("nps", "BAD_USER_INPUT", "`from` must be before `to`")


async def test_only_feedback_readers_get_figures(client):
    # when
    anonymous = await gql(client, NPS, {"by": "EVENT"})
    member = await gql(client, NPS, {"by": "EVENT"}, token=member_token(await make_member()))
    desk = await gql(client, NPS, {"by": "EVENT"}, token=staff_token(await make_staff(models.StaffRole.FRONT_DESK)))
    # then
    assert anonymous == refused("nps", "UNAUTHENTICATED")
    assert member == desk == refused("nps", "FORBIDDEN")


async def test_the_figures_are_one_statement_however_many_answers(sql):
    # given
    await answers_of_two_months()
    sql.statements.clear()
    # when
    figures = await surveys.nps_figures(
        grouping=surveys.NpsGrouping.PERIOD, since=at(10, 1, 0), until=at(12, 1, 0), period=Period.MONTH
    )
    # then
    assert len(figures) == 2
    assert len(sql.statements) == 1, sql.statements
