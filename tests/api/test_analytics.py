"""analytics: club-wide figures for staff, checked against figures worked out by hand from each test's data."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_attendance,
    make_earning,
    make_event,
    make_interaction,
    make_member,
    make_points_refund,
    make_spend,
    make_staff,
    make_survey,
    make_survey_instance,
    make_tiers,
    staff_token,
)

FLOW = """
query($from: DateTime!, $to: DateTime!, $period: Period) {
  analytics {
    pointsFlow(from: $from, to: $to, period: $period) { periodStart issued redeemed expired adjusted clawedBack }
  }
}
"""


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


async def manager_token() -> str:
    return staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))


async def ranged(client, query: str, start: str, end: str) -> dict[str, Any]:
    """The club manager's answer to a query over the days from `start` to `end` (midnight UTC, excluded)."""
    variables = {"from": f"{start}T00:00:00Z", "to": f"{end}T00:00:00Z"}
    return await gql(client, query, variables, token=await manager_token())


def fields(source: models.EntrySource = models.EntrySource.STAFF, **extra: Any) -> ledger.EntryFields:
    return ledger.EntryFields(source=source, **extra)


def bad_input(message: str, path: list[str]) -> dict[str, Any]:
    from unittest.mock import ANY

    return {
        "data": None,
        "errors": [{"message": message, "locations": ANY, "path": path, "extensions": {"code": "BAD_USER_INPUT"}}],
    }


# --- members ----------------------------------------------------------------------------------


async def test_members_are_counted_by_status_and_by_activity_up_to_a_moment(client):
    # given: the windows end on 30 June 2026 at noon; visits count from 1 April at noon (excluded).
    # `last_visit_at` is set as a grading today would leave it: it must not be what is counted.
    event = await make_event(starts_at=at(2026, 3, 1, 18))
    came_and_came_again = await make_member(joined_on=date(2020, 1, 1), last_visit_at=at(2026, 7, 10))
    await make_spend(came_and_came_again, "80.00", at=at(2026, 6, 1))
    await make_interaction(came_and_came_again, kind=models.InteractionKind.VISIT, at=at(2026, 6, 2))  # counted once
    await make_spend(came_and_came_again, "80.00", at=at(2026, 7, 10))  # after `asOf`
    await make_member(joined_on=date(2026, 6, 15))  # joined within 30 days, never came
    suspended = await make_member(joined_on=date(2024, 1, 1), status=models.MemberStatus.SUSPENDED)
    await make_interaction(suspended, kind=models.InteractionKind.VISIT, at=at(2026, 4, 2))  # visited
    resigned = await make_member(joined_on=date(2025, 1, 1), status=models.MemberStatus.RESIGNED)
    await make_attendance(event, resigned, checked_in_at=at(2026, 3, 1, 18))  # before the 90 days
    joined_after = await make_member(joined_on=date(2026, 7, 15))  # joined after: not counted at all
    await make_spend(joined_after, "50.00", at=at(2026, 7, 20))
    checked_in_after = await make_member(joined_on=date(2026, 5, 31), last_visit_at=at(2026, 6, 20))
    await make_attendance(event, checked_in_after, checked_in_at=at(2026, 7, 1))  # 30 days before, visit after
    refunded = await make_member(joined_on=date(2020, 1, 1), last_visit_at=at(2026, 6, 10))
    await make_spend(refunded, "40.00", refunded="40.00", at=at(2026, 6, 10))  # wholly refunded: no visit
    await make_interaction(refunded, kind=models.InteractionKind.CALL, at=at(2026, 6, 11))  # a call is no visit
    on_the_end = await make_member(joined_on=date(2020, 1, 1))
    await make_spend(on_the_end, "10.00", at=at(2026, 6, 30))  # exactly `asOf`: inside
    on_the_start = await make_member(joined_on=date(2020, 1, 1))
    await make_interaction(on_the_start, kind=models.InteractionKind.VISIT, at=at(2026, 4, 1))  # 90 days before: out
    query = """query($asOf: DateTime) { analytics { members(asOf: $asOf) {
      total active suspended resigned visitedLast90Days joinedLast30Days } } }"""
    # when
    result = await gql(client, query, {"asOf": "2026-06-30T12:00:00Z"}, token=await manager_token())
    # then
    members = {"total": 8, "active": 6, "suspended": 1, "resigned": 1, "visitedLast90Days": 3, "joinedLast30Days": 1}
    assert result == {"data": {"analytics": {"members": members}}}


async def test_members_without_a_moment_are_counted_up_to_now(client):
    # given: visits no grading has seen yet (`last_visit_at` is empty): yesterday, and 100 days ago
    now = datetime.now(timezone.utc)
    recent = await make_member(joined_on=now.date() - timedelta(days=2))
    await make_interaction(recent, kind=models.InteractionKind.VISIT, at=now - timedelta(days=1))
    old = await make_member(joined_on=now.date() - timedelta(days=400))
    await make_spend(old, "25.00", at=now - timedelta(days=100))
    query = "{ analytics { members { total active visitedLast90Days joinedLast30Days } } }"
    # when
    result = await gql(client, query, token=await manager_token())
    # then
    members = {"total": 2, "active": 2, "visitedLast90Days": 1, "joinedLast30Days": 1}
    assert result == {"data": {"analytics": {"members": members}}}


# --- tiers ------------------------------------------------------------------------------------


async def test_the_tier_distribution_counts_active_members_up_the_ladder_empty_tiers_included(client):
    # given
    tiers = await make_tiers()
    for tier, status in [
        ("Silver", models.MemberStatus.ACTIVE),
        ("Silver", models.MemberStatus.ACTIVE),
        ("Silver", models.MemberStatus.RESIGNED),
        ("Gold", models.MemberStatus.ACTIVE),
        ("Gold", models.MemberStatus.SUSPENDED),
        ("Diamond", models.MemberStatus.ACTIVE),
    ]:
        await make_member(tier=tiers[tier], status=status)
    query = "{ analytics { tierDistribution { tier { id name } members share } } }"
    # when
    result = await gql(client, query, token=await manager_token())
    # then
    expected = [
        ("Silver", 2, 0.5),
        ("Gold", 1, 0.25),
        ("Platinum", 0, 0.0),
        ("Diamond", 1, 0.25),
    ]
    assert result == {
        "data": {
            "analytics": {
                "tierDistribution": [
                    {"tier": {"id": gid("Tier", tiers[name].id), "name": name}, "members": members, "share": share}
                    for name, members, share in expected
                ]
            }
        }
    }


async def test_the_tier_distribution_of_a_club_without_members_has_zero_shares(client):
    # given
    await make_tiers()
    # when
    query = "{ analytics { tierDistribution { tier { name } members share } } }"
    result = await gql(client, query, token=await manager_token())
    # then
    assert result["data"]["analytics"]["tierDistribution"] == [
        {"tier": {"name": name}, "members": 0, "share": 0.0} for name in ("Silver", "Gold", "Platinum", "Diamond")
    ]


# --- points liability -------------------------------------------------------------------------


async def test_the_points_liability_sums_balances_debts_holds_and_what_expires_soon(client):
    # given
    now = datetime.now(timezone.utc)
    ada, ben, _cleo, dan = [await make_member() for _ in range(4)]
    for points, days in [(100, 10), (50, 29), (200, 40)]:
        await ledger.credit(member_id=ada.id, points=points, fields=fields(), expires_at=now + timedelta(days=days))
    await ledger.hold(member_id=ada.id, points=20, reference="reward-1")  # from the lot expiring first: 80 left in it
    await make_earning(ben, 70, at=now - timedelta(days=1))
    await make_points_refund(ben, 100, at=now)  # 70 taken, 30 owed
    await make_earning(dan, 40, at=now - timedelta(days=1))
    hold = await ledger.hold(member_id=dan.id, points=10, reference="reward-2")
    await ledger.release(hold_entry_id=hold.id, reason="The partner refused")
    query = "{ analytics { pointsLiability { outstanding owed membersWithPoints expiringWithin30Days held } } }"
    # when
    result = await gql(client, query, token=await manager_token())
    # then: cleo has nothing
    liability = {
        "outstanding": 330 + 40,
        "owed": 30,
        "membersWithPoints": 2,
        "expiringWithin30Days": 80 + 50,
        "held": 20,
    }
    assert result == {"data": {"analytics": {"pointsLiability": liability}}}


# --- points flow ------------------------------------------------------------------------------


async def test_the_points_flow_shows_each_month_of_the_range_with_what_moved_in_it(client):
    # given
    ada, ben = await make_member(), await make_member()
    await make_earning(ada, 1000, at=at(2025, 12, 20))  # before the range
    await make_earning(ada, 200, at=at(2026, 1, 10))
    await ledger.credit(member_id=ada.id, points=300, fields=fields(models.EntrySource.PURCHASE), now=at(2026, 1, 15),
                        expires_at=at(2026, 2, 1))
    await ledger.credit(member_id=ada.id, points=25, fields=fields(), kind=models.EntryKind.ADJUST, now=at(2026, 1, 20))
    await ledger.expire_due_lots(now=at(2026, 2, 2))  # the 300
    redemption = await ledger.debit(member_id=ada.id, points=80, kind=models.EntryKind.REDEEM, now=at(2026, 2, 10),
                                    fields=fields(models.EntrySource.REDEMPTION))
    held = await ledger.hold(member_id=ada.id, points=50, reference="dinner", now=at(2026, 2, 12))
    await ledger.capture(hold_entry_id=held.id, reason="Dinner served", now=at(2026, 2, 13))  # a release and a redeem
    held = await ledger.hold(member_id=ada.id, points=40, reference="voucher", now=at(2026, 2, 14))
    await ledger.release(hold_entry_id=held.id, reason="The partner refused", now=at(2026, 2, 15))  # neither
    await ledger.refund(entry_id=redemption.id, reason="Reward not delivered", now=at(2026, 3, 5))
    await ledger.debit(member_id=ada.id, points=10, kind=models.EntryKind.ADJUST, fields=fields(), now=at(2026, 3, 8))
    await make_points_refund(ada, 60, at=at(2026, 3, 9))
    await ledger.debit(member_id=ada.id, points=70, kind=models.EntryKind.TRANSFER_OUT, now=at(2026, 3, 10),
                       fields=fields(models.EntrySource.TRANSFER, counterpart_id=ben.id))
    await ledger.credit(member_id=ben.id, points=70, kind=models.EntryKind.TRANSFER_IN, now=at(2026, 3, 10),
                        fields=fields(models.EntrySource.TRANSFER, counterpart_id=ada.id))
    await make_earning(ada, 999, at=datetime(2026, 5, 1, tzinfo=timezone.utc))  # at the end of the range: excluded
    variables = {"from": "2026-01-01T00:00:00Z", "to": "2026-05-01T00:00:00Z", "period": "MONTH"}
    # when
    result = await gql(client, FLOW, variables, token=await manager_token())
    # then
    months = [
        ("2026-01-01", 500, 0, 0, 25, 0),
        ("2026-02-01", 0, 80 + 50, 300, 0, 0),
        ("2026-03-01", 0, -80, 0, -10, 60),  # a redemption given back counts against the month it is given back in
        ("2026-04-01", 0, 0, 0, 0, 0),
    ]
    keys = ("periodStart", "issued", "redeemed", "expired", "adjusted", "clawedBack")
    assert result == {"data": {"analytics": {"pointsFlow": [dict(zip(keys, month)) for month in months]}}}


async def test_the_points_flow_by_week_starts_on_mondays_and_covers_partial_weeks(client):
    # given: 7 January 2026 is a Wednesday
    ada = await make_member()
    await make_earning(ada, 10, at=at(2026, 1, 7))
    await make_earning(ada, 20, at=at(2026, 1, 11))  # Sunday
    await make_earning(ada, 40, at=at(2026, 1, 12))  # Monday
    await make_earning(ada, 80, at=at(2026, 1, 6))  # before the range, in its first week
    query = """query($from: DateTime!, $to: DateTime!) {
      analytics { pointsFlow(from: $from, to: $to, period: WEEK) { periodStart issued } } }"""
    # when
    result = await ranged(client, query, "2026-01-07", "2026-01-20")
    # then
    weeks = [{"periodStart": "2026-01-05", "issued": 30}, {"periodStart": "2026-01-12", "issued": 40},
             {"periodStart": "2026-01-19", "issued": 0}]
    assert result == {"data": {"analytics": {"pointsFlow": weeks}}}


async def test_the_points_flow_is_by_month_unless_told(client):
    # when
    result = await gql(
        client, FLOW, {"from": "2026-01-15T00:00:00Z", "to": "2026-02-15T00:00:00Z"}, token=await manager_token()
    )
    # then
    zeros = {"issued": 0, "redeemed": 0, "expired": 0, "adjusted": 0, "clawedBack": 0}
    assert result == {
        "data": {
            "analytics": {
                "pointsFlow": [{"periodStart": "2026-01-01", **zeros}, {"periodStart": "2026-02-01", **zeros}]
            }
        }
    }


async def test_a_range_must_run_forwards_and_cover_at_most_three_years(client):
    # given
    token = await manager_token()
    # when
    backwards = await gql(client, FLOW, {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, token=token)
    empty = await gql(client, FLOW, {"from": "2026-02-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, token=token)
    too_long = await gql(client, FLOW, {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, token=token)
    three_years = await gql(client, FLOW, {"from": "2023-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, token=token)
    # then
    path = ["analytics", "pointsFlow"]
    assert backwards == empty == bad_input("`from` must be before `to`", path)
    assert too_long == bad_input("The range covers at most 3 years", path)
    assert len(three_years["data"]["analytics"]["pointsFlow"]) == 36


# --- events -----------------------------------------------------------------------------------


async def register(
    event: models.Event,
    status: models.RegistrationStatus,
    *,
    guests: int = 0,
    checked_in: bool = False,
) -> models.EventRegistration:
    """A registration written straight to the table, as the events module leaves it."""
    member = await make_member()
    return await models.EventRegistration.create(
        event=event,
        member_id=member.id,
        guests=guests,
        status=status,
        check_in_code=f"code-{event.id}-{member.id}",
        created_at=event.starts_at - timedelta(days=5),
        checked_in_at=event.starts_at if checked_in else None,
    )


async def test_event_fill_rates_count_seats_waitlist_attendance_and_cancellations_per_event(client):
    # given
    salon = await make_event(title="Salon", starts_at=at(2026, 9, 10), capacity=10)
    tasting = await make_event(title="Tasting", starts_at=at(2026, 9, 5), capacity=4)
    await make_event(title="Lecture", starts_at=datetime(2026, 10, 1, tzinfo=timezone.utc))  # at the end: excluded
    await make_event(title="Outing", starts_at=at(2026, 8, 31))  # before the range
    confirmed, waitlisted, cancelled = (models.RegistrationStatus(s) for s in ("confirmed", "waitlisted", "cancelled"))
    await register(salon, confirmed, guests=2, checked_in=True)
    await register(salon, confirmed)
    await register(salon, confirmed, guests=1, checked_in=True)
    await register(salon, waitlisted)
    await register(salon, waitlisted, guests=1)
    await register(salon, cancelled, guests=3)
    query = """query($from: DateTime!, $to: DateTime!) { analytics { eventFillRates(from: $from, to: $to) {
      event { id title } capacity seatsTaken fillRate waitlisted attended cancelled } } }"""
    # when
    result = await ranged(client, query, "2026-09-01", "2026-10-01")
    # then: earliest first
    assert result == {
        "data": {
            "analytics": {
                "eventFillRates": [
                    {
                        "event": {"id": gid("Event", tasting.id), "title": "Tasting"},
                        "capacity": 4,
                        "seatsTaken": 0,
                        "fillRate": 0.0,
                        "waitlisted": 0,
                        "attended": 0,
                        "cancelled": 0,
                    },
                    {
                        "event": {"id": gid("Event", salon.id), "title": "Salon"},
                        "capacity": 10,
                        "seatsTaken": 3 + 1 + 2,
                        "fillRate": 0.6,
                        "waitlisted": 2,
                        "attended": 2,
                        "cancelled": 1,
                    },
                ]
            }
        }
    }


# --- NPS --------------------------------------------------------------------------------------


async def answer(survey: models.Survey, kind: models.QuestionKind, score: int, when: datetime) -> None:
    question = await models.SurveyQuestion.get(survey_id=survey.id, kind=kind)
    instance = await make_survey_instance(survey, await make_member(), sent_at=when - timedelta(days=1))
    await models.SurveyAnswer.create(instance=instance, question=question, kind=kind, score=score, submitted_at=when)


def counts(responses: int, promoters: int, passives: int, detractors: int) -> dict[str, int]:
    return {"responses": responses, "promoters": promoters, "passives": passives, "detractors": detractors}


async def test_the_nps_trend_scores_each_month_of_the_range_none_without_answers(client):
    # given
    survey = await make_survey()
    nps, csat = models.QuestionKind.NPS, models.QuestionKind.CSAT
    for kind, score, when in [
        (nps, 10, at(2026, 10, 2)),
        (nps, 9, at(2026, 10, 12)),
        (nps, 7, at(2026, 10, 20)),
        (nps, 3, at(2026, 10, 31, 23)),
        (csat, 1, at(2026, 10, 5)),  # not an NPS answer
        (nps, 0, at(2026, 9, 30, 23)),  # before the range
    ]:
        await answer(survey, kind, score, when)
    query = """query($from: DateTime!, $to: DateTime!) { analytics { npsTrend(from: $from, to: $to) {
      periodStart responses promoters passives detractors score } } }"""
    # when
    result = await ranged(client, query, "2026-10-01", "2026-12-01")
    # then: (2 promoters - 1 detractor) of 4 answers
    assert result == {
        "data": {
            "analytics": {
                "npsTrend": [
                    {"periodStart": "2026-10-01", **counts(4, 2, 1, 1), "score": 25.0},
                    {"periodStart": "2026-11-01", **counts(0, 0, 0, 0), "score": None},
                ]
            }
        }
    }


# --- SQL statements ---------------------------------------------------------------------------

EVERYTHING = """
query($from: DateTime!, $to: DateTime!) {
  analytics {
    members { total active visitedLast90Days }
    tierDistribution { tier { name } members share }
    pointsLiability { outstanding owed membersWithPoints expiringWithin30Days held }
    pointsFlow(from: $from, to: $to, period: DAY) { periodStart issued redeemed }
    eventFillRates(from: $from, to: $to) { event { title } seatsTaken fillRate }
    npsTrend(from: $from, to: $to, period: WEEK) { periodStart score }
  }
}
"""
# members 1, tier distribution 2 (the aggregate, the tiers' loader), liability 2 (the aggregate,
# held), points flow 1, fill rates 2 (the aggregate, the events' loader), NPS 1.
STATEMENTS = 9


async def add_activity(count: int, survey: models.Survey, start: datetime) -> None:
    """`count` members, each with points earned and redeemed, an event registration and an NPS answer."""
    for i in range(count):
        when = start + timedelta(days=i % 20, hours=i % 5)
        member = await make_member(last_visit_at=when)
        await make_earning(member, 100 + i, at=when)
        await ledger.debit(member_id=member.id, points=10, kind=models.EntryKind.REDEEM, now=when,
                           fields=fields(models.EntrySource.REDEMPTION))
        event = await make_event(title=f"Event {i}", starts_at=when, capacity=5)
        await register(event, models.RegistrationStatus.CONFIRMED, checked_in=True)
        await answer(survey, models.QuestionKind.NPS, i % 11, when)


async def test_the_statements_do_not_grow_with_the_rows_summarised(client, sql):
    # given
    await make_tiers()
    survey = await make_survey()
    start = datetime.now(timezone.utc) - timedelta(days=25)
    variables = {"from": start.isoformat(), "to": (start + timedelta(days=30)).isoformat()}
    token = await manager_token()
    await add_activity(3, survey, start)
    sql.statements.clear()
    few = await gql(client, EVERYTHING, variables, token=token)
    few_statements = sql.count
    await add_activity(57, survey, start)
    sql.statements.clear()
    # when
    many = await gql(client, EVERYTHING, variables, token=token)
    # then
    assert "errors" not in few and "errors" not in many
    assert len(few["data"]["analytics"]["eventFillRates"]) == 3
    assert len(many["data"]["analytics"]["eventFillRates"]) == 60
    assert many["data"]["analytics"]["members"]["total"] == 3 * 60  # the registrations and answers bring their own
    assert few_statements == sql.count == STATEMENTS
