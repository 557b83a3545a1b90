"""Lifecycle stage, churn risk and RFM segment: the formula by tables of cases, then the figures
from the database, the grading job and the retention calls it raises."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain import lifecycle, models
from domain.db import day_sql, fetch_dicts
from domain.lifecycle import Activity
from domain.models import ChurnRisk, LifecycleStage, Segment
from tests.factories import (
    make_attendance,
    make_interaction,
    make_member,
    make_spend,
    make_staff,
    make_task,
    make_tiers,
)

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
OLD = TODAY - timedelta(days=1000)  # a member for long enough to be mature


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# (description, activity, stage, risk)
STAGES = [
    ("joined last month, never came", Activity(joined_on=ago(30)), LifecycleStage.NEW, ChurnRisk.LOW),
    ("joined 50 days ago, never came", Activity(joined_on=ago(50)), LifecycleStage.NEW, ChurnRisk.MEDIUM),
    ("joined 90 days ago, never came", Activity(joined_on=ago(90)), LifecycleStage.NEW, ChurnRisk.MEDIUM),
    ("joined 91 days ago, never came", Activity(joined_on=ago(91)), LifecycleStage.LAPSED, ChurnRisk.HIGH),
    ("new and came yesterday", Activity(joined_on=ago(20), last_visit=ago(1), visits_last_90=1), LifecycleStage.NEW, ChurnRisk.LOW),
    ("last came 180 days ago", Activity(joined_on=OLD, last_visit=ago(180)), LifecycleStage.LAPSED, ChurnRisk.HIGH),
    ("last came 179 days ago", Activity(joined_on=OLD, last_visit=ago(179)), LifecycleStage.GROWING, ChurnRisk.HIGH),
    ("last came 91 days ago", Activity(joined_on=OLD, last_visit=ago(91)), LifecycleStage.GROWING, ChurnRisk.HIGH),
    ("last came 90 days ago", Activity(joined_on=OLD, last_visit=ago(90)), LifecycleStage.GROWING, ChurnRisk.MEDIUM),
    ("last came 46 days ago", Activity(joined_on=OLD, last_visit=ago(46)), LifecycleStage.GROWING, ChurnRisk.MEDIUM),
    ("last came 45 days ago", Activity(joined_on=OLD, last_visit=ago(45)), LifecycleStage.GROWING, ChurnRisk.LOW),
    (
        "mature: two years and 6 visits",
        Activity(joined_on=ago(730), last_visit=ago(3), visits_last_90=3, visits_previous_90=3, visits_12_months=6),
        LifecycleStage.MATURE,
        ChurnRisk.LOW,
    ),
    (
        "a day short of two years",
        Activity(joined_on=ago(729), last_visit=ago(3), visits_last_90=3, visits_previous_90=3, visits_12_months=6),
        LifecycleStage.GROWING,
        ChurnRisk.LOW,
    ),
    (
        "two years but 5 visits",
        Activity(joined_on=ago(730), last_visit=ago(3), visits_last_90=3, visits_previous_90=2, visits_12_months=5),
        LifecycleStage.GROWING,
        ChurnRisk.LOW,
    ),
    (
        "declining by half or more: 2 after 5",
        Activity(joined_on=OLD, last_visit=ago(3), visits_last_90=2, visits_previous_90=5, visits_12_months=9),
        LifecycleStage.DECLINING,
        ChurnRisk.HIGH,  # 2 <= 40 % of 5
    ),
    (
        "declining by less than 60 %: 4 after 9",
        Activity(joined_on=OLD, last_visit=ago(3), visits_last_90=4, visits_previous_90=9, visits_12_months=15),
        LifecycleStage.DECLINING,
        ChurnRisk.MEDIUM,
    ),
    (
        "half is not declining: 2 after 4",
        Activity(joined_on=OLD, last_visit=ago(3), visits_last_90=2, visits_previous_90=4, visits_12_months=8),
        LifecycleStage.MATURE,
        ChurnRisk.LOW,
    ),
    (
        "one visit before is too few to decline from",
        Activity(joined_on=OLD, last_visit=ago(100), visits_previous_90=1, visits_12_months=1),
        LifecycleStage.GROWING,
        ChurnRisk.HIGH,
    ),
]


@pytest.mark.parametrize(("activity", "stage", "risk"), [case[1:] for case in STAGES], ids=[case[0] for case in STAGES])
def test_stage_and_churn_risk(activity, stage, risk):
    assert lifecycle.lifecycle_stage(activity, TODAY) is stage
    assert lifecycle.churn_risk(activity, TODAY, stage) is risk


# (days since the last visit or None, visits in 12 months, spend, R, F, M)
SCORES = [
    (0, 24, "20000", 5, 5, 5),
    (14, 23, "19999.99", 5, 4, 4),
    (15, 12, "8000", 4, 4, 4),
    (30, 11, "7999.99", 4, 3, 3),
    (31, 6, "3000", 3, 3, 3),
    (60, 5, "2999.99", 3, 2, 2),
    (61, 2, "800", 2, 2, 2),
    (120, 1, "799.99", 2, 1, 1),
    (121, 0, "0", 1, 1, 1),
    (None, 0, "0", 1, 1, 1),
]


@pytest.mark.parametrize(("days", "visits", "spend", "r", "f", "m"), SCORES)
def test_rfm_scores(days, visits, spend, r, f, m):
    activity = Activity(joined_on=OLD, last_visit=ago(days) if days is not None else None)
    assert lifecycle.recency_score(activity, TODAY) == r
    assert lifecycle.frequency_score(visits) == f
    assert lifecycle.monetary_score(Decimal(spend)) == m


SEGMENTS = [
    ((4, 4, 4), Segment.CORE),
    ((5, 5, 5), Segment.CORE),
    ((3, 5, 5), Segment.IMPORTANT),  # M >= 4
    ((1, 1, 4), Segment.IMPORTANT),
    ((3, 4, 1), Segment.IMPORTANT),  # F >= 4 and R >= 3
    ((2, 4, 1), Segment.AT_RISK),
    ((2, 3, 1), Segment.AT_RISK),
    ((1, 1, 3), Segment.AT_RISK),
    ((2, 2, 2), Segment.REGULAR),
    ((3, 3, 3), Segment.REGULAR),
    ((5, 1, 1), Segment.REGULAR),
]


@pytest.mark.parametrize(("scores", "segment"), SEGMENTS, ids=["".join(map(str, s)) for s, _ in SEGMENTS])
def test_segments(scores, segment):
    assert lifecycle.segment_of(*scores) is segment


def test_grade_puts_it_together():
    activity = Activity(
        joined_on=OLD, last_visit=ago(10), visits_last_90=6, visits_previous_90=6, visits_12_months=14,
        spend_12_months=Decimal("9000"),
    )
    assert lifecycle.grade(activity, TODAY) == lifecycle.Grade(
        stage=LifecycleStage.MATURE, churn_risk=ChurnRisk.LOW, recency=5, frequency=4, monetary=4, segment=Segment.CORE
    )
    assert lifecycle.grade(activity, TODAY).rfm_score == "544"


# --- the figures from the database --------------------------------------------------------------


def at(days: int, hour: int = 12) -> datetime:
    return NOW.replace(hour=hour) - timedelta(days=days)


async def test_visits_are_distinct_days_of_purchases_visits_and_check_ins():
    # given
    await make_tiers()
    member = await make_member(joined_on=OLD)
    await make_spend(member, "100.00", at=at(1, 9))
    await make_interaction(member, kind=models.InteractionKind.VISIT, at=at(1, 20))  # the same day: one visit
    await make_interaction(member, kind=models.InteractionKind.CALL, at=at(0))  # a call is no visit
    await make_spend(member, "50.00", at=at(30), refunded="50.00")  # wholly refunded: no visit, no spend
    await make_spend(member, "200.00", at=at(100), refunded="20.00")  # the previous 90 days
    event = await models.Event.create(
        title="Salon", category=models.EventCategory.SALON, venue="Library", starts_at=at(120), ends_at=at(120, 14),
        capacity=10, cancellation_deadline=at(121),
    )
    await make_attendance(event, member, checked_in_at=at(120))
    await make_attendance(event, await make_member(), checked_in_at=at(120))  # someone else's
    await make_spend(member, "999.00", at=at(400))  # beyond 12 months: recency only if nothing later
    await make_spend(member, "1.00", at=NOW + timedelta(days=1))  # after `now`: not yet
    # when
    figures = await lifecycle.activities([member], now=NOW)
    # then
    activity, last_at = figures[member.id]
    assert activity == Activity(
        joined_on=OLD,
        last_visit=ago(1),
        visits_last_90=1,
        visits_previous_90=2,
        visits_12_months=3,
        spend_12_months=Decimal("280.00"),
    )
    assert last_at == at(1, 20)


async def test_the_day_of_a_visit_is_its_utc_day_on_either_database():
    # given: late evening west of Greenwich is already the next day in UTC
    await make_tiers()
    member = await make_member(joined_on=OLD)
    await make_spend(member, "10.00", at=datetime(2026, 11, 24, 23, 30, tzinfo=timezone(timedelta(hours=-2))))
    # when
    rows = await fetch_dicts(f"SELECT {day_sql('created_at')} AS day FROM purchase", [])
    # then
    assert rows == [{"day": "2026-11-25"}]


async def test_the_job_grades_every_active_member_and_skips_others():
    # given
    await make_tiers()
    regular = await make_member(joined_on=OLD)
    for days in range(0, 60, 5):  # 12 visits, the last today, 12 x 1,000 CHF
        await make_spend(regular, "1000.00", at=at(days))
    lapsed = await make_member(joined_on=OLD)
    await make_spend(lapsed, "5000.00", at=at(200))
    resigned = await make_member(joined_on=OLD, status=models.MemberStatus.RESIGNED)
    # when
    graded = await lifecycle.recompute_all(now=NOW)
    # then
    assert graded == 2
    rows = {
        row["id"]: row
        for row in await models.Member.all().values(
            "id", "lifecycle_stage", "churn_risk", "segment", "rfm_score", "care_computed_at"
        )
    }
    assert rows[regular.id] == {
        "id": regular.id, "lifecycle_stage": LifecycleStage.MATURE, "churn_risk": ChurnRisk.LOW,
        "segment": Segment.CORE, "rfm_score": "544", "care_computed_at": NOW,
    }
    assert rows[lapsed.id] == {
        "id": lapsed.id, "lifecycle_stage": LifecycleStage.LAPSED, "churn_risk": ChurnRisk.HIGH,
        "segment": Segment.AT_RISK, "rfm_score": "113", "care_computed_at": NOW,
    }
    assert rows[resigned.id]["care_computed_at"] is None


async def test_a_turn_to_high_risk_raises_one_retention_call_for_the_account_manager():
    # given: graded once while still coming, then nothing for 91 days
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(joined_on=OLD, account_manager_id=manager.id, name="Rita Risk")
    await make_spend(member, "100.00", at=at(80))
    await lifecycle.recompute_all(now=NOW)
    assert await models.Task.all().count() == 0
    later = NOW + timedelta(days=11)
    # when
    await lifecycle.recompute_all(now=later)
    await lifecycle.recompute_all(now=later)
    await lifecycle.recompute_all(now=later + timedelta(days=1))
    # then
    tasks = await models.Task.all().values(
        "kind", "source_key", "title", "member_id", "assignee_id", "due_at", "status", "created_at"
    )
    assert tasks == [
        {
            "kind": models.TaskKind.RETENTION_CALL,
            "source_key": f"retention:{member.id}:2026-12-06",
            "title": "Retention call: Rita Risk",
            "member_id": member.id,
            "assignee_id": manager.id,
            "due_at": datetime(2026, 12, 8, 9, tzinfo=timezone.utc),
            "status": models.TaskStatus.OPEN,
            "created_at": later,
        }
    ]
    assert (await models.Member.get(id=member.id)).churn_risk is ChurnRisk.HIGH


async def a_member_with_a_retention_call():
    """A member graded while still coming, then quiet for 91 days: their retention call is raised at `NOW + 11 days`."""
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(joined_on=OLD, account_manager_id=manager.id, name="Rita Risk")
    await make_spend(member, "100.00", at=at(80))
    await lifecycle.recompute_all(now=NOW)
    raised_at = NOW + timedelta(days=11)
    await lifecycle.recompute_all(now=raised_at)
    call = await models.Task.get(kind=models.TaskKind.RETENTION_CALL)
    return manager, member, call, raised_at


async def test_a_visit_after_the_retention_call_cancels_it_and_leaves_other_tasks_open():
    # given: the retention call, a complaint follow-up and a hand-made task about the member
    manager, member, call, raised_at = await a_member_with_a_retention_call()
    complaint = await make_task(member=member, assignee=manager, kind=models.TaskKind.COMPLAINT_FOLLOW_UP)
    by_hand = await make_task(member=member, assignee=manager)
    back = raised_at + timedelta(days=1, hours=3)
    await make_interaction(member, kind=models.InteractionKind.VISIT, at=back)
    # when: the visit is noted
    await lifecycle.note_activity(member_id=member.id, at=back, now=back)
    # then
    rows = await models.Task.all().order_by("id").values("id", "status", "outcome", "completed_at", "completed_by_id")
    assert rows == [
        {
            "id": call.id,
            "status": models.TaskStatus.CANCELLED,
            "outcome": "The member came back on 2026-12-07",
            "completed_at": back,
            "completed_by_id": None,
        },
        {"id": complaint.id, "status": models.TaskStatus.OPEN, "outcome": "", "completed_at": None, "completed_by_id": None},
        {"id": by_hand.id, "status": models.TaskStatus.OPEN, "outcome": "", "completed_at": None, "completed_by_id": None},
    ]


async def test_the_job_cancels_the_call_of_a_member_whose_visit_was_not_noted():
    # given: a purchase written without its hook, so only the next grading run sees it
    _, member, call, raised_at = await a_member_with_a_retention_call()
    await make_spend(member, "40.00", at=raised_at + timedelta(days=2))
    # when
    await lifecycle.recompute_all(now=raised_at + timedelta(days=2, hours=1))
    # then
    cancelled = await models.Task.get(id=call.id)
    assert (cancelled.status, cancelled.outcome) == (models.TaskStatus.CANCELLED, "The member came back on 2026-12-08")


async def test_a_retention_call_stays_open_without_a_new_visit_and_a_done_one_stays_done():
    # given: the member is graded again without a new visit, as after a refund
    _, member, call, raised_at = await a_member_with_a_retention_call()
    await lifecycle.note_activity(member_id=member.id, at=raised_at + timedelta(days=1), now=raised_at + timedelta(days=1))
    assert (await models.Task.get(id=call.id)).status is models.TaskStatus.OPEN
    # and: the account manager calls them, then they come back
    await models.Task.filter(id=call.id).update(status=models.TaskStatus.DONE, outcome="Called: busy month")
    back = raised_at + timedelta(days=3)
    await make_interaction(member, kind=models.InteractionKind.VISIT, at=back)
    # when
    await lifecycle.note_activity(member_id=member.id, at=back, now=back)
    # then
    done = await models.Task.get(id=call.id)
    assert (done.status, done.outcome) == (models.TaskStatus.DONE, "Called: busy month")


async def test_a_retention_call_raised_again_is_not_counted_again():
    # given
    _, member, call, raised_at = await a_member_with_a_retention_call()
    # when
    again = await lifecycle.raise_retention_call(member, today=raised_at.date(), now=raised_at + timedelta(hours=1))
    # then
    assert (again.task.id, again.created) == (call.id, False)


async def test_a_first_grading_raises_no_retention_call():
    # given
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(joined_on=OLD, account_manager_id=manager.id)
    # when
    await lifecycle.recompute_all(now=NOW)
    # then
    assert (await models.Member.get(id=member.id)).churn_risk is ChurnRisk.HIGH
    assert await models.Task.all().count() == 0


async def test_note_activity_grades_the_member_at_once():
    # given: a lapsed member, graded
    await make_tiers()
    member = await make_member(joined_on=OLD)
    await lifecycle.recompute_all(now=NOW)
    await make_interaction(member, kind=models.InteractionKind.VISIT, at=NOW)
    # when
    await lifecycle.note_activity(member_id=member.id, at=NOW, now=NOW)
    # then
    row = await models.Member.get(id=member.id)
    assert (row.lifecycle_stage, row.churn_risk, row.rfm_score, row.last_visit_at) == (
        LifecycleStage.GROWING, ChurnRisk.LOW, "511", NOW
    )


async def test_a_purchase_recorded_grades_the_member():
    # given
    from tests.factories import make_purchase

    await make_tiers()
    member = await make_member(joined_on=OLD)
    # when
    await make_purchase(member, "3500.00")
    # then
    row = await models.Member.get(id=member.id)
    assert (row.lifecycle_stage, row.segment, row.rfm_score) == (LifecycleStage.GROWING, Segment.REGULAR, "513")


async def test_a_refund_grades_the_member_again():
    # given: a big spender's only purchase, refunded in full
    from decimal import Decimal as D

    from domain import points
    from domain.viewer import staff_viewer
    from tests.factories import make_purchase

    await make_tiers()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(joined_on=OLD)
    purchase = await make_purchase(member, "9000.00")
    assert (await models.Member.get(id=member.id)).rfm_score == "514"
    # when
    await points.refund_purchase(
        viewer=staff_viewer(boss.id, boss.role), purchase_id=purchase.id, amount=D("9000.00"), idempotency_key="r"
    )
    # then: no visit and no spend left
    row = await models.Member.get(id=member.id)
    assert (row.lifecycle_stage, row.rfm_score, row.last_visit_at) == (LifecycleStage.LAPSED, "111", None)
