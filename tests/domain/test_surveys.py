"""Survey sending: after events (a job) and after visits (a hook), each occasion once, however often they run."""

import asyncio
from datetime import datetime, timedelta, timezone

from api.jobs import run_jobs_once
from domain import models, surveys
from domain.viewer import member_viewer, staff_viewer
from tests.factories import make_attendance, make_event, make_member, make_staff, make_survey

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


async def events_of_the_week():
    """A dinner that ended yesterday (two checked in, one no-show, one resigned), one that ended 8 days ago,
    one still to come, and a cancelled one."""
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    ann, ben, cleo = await make_member(account_manager_id=olivia.id), await make_member(), await make_member()
    resigned = await make_member(status=models.MemberStatus.RESIGNED)
    dinner = await make_event(starts_at=NOW - timedelta(days=1, hours=3), hours=2)
    await make_attendance(dinner, ann, checked_in_at=dinner.starts_at)
    await make_attendance(dinner, ben, checked_in_at=dinner.starts_at)
    await make_attendance(dinner, cleo, checked_in_at=None)
    await make_attendance(dinner, resigned, checked_in_at=dinner.starts_at)
    old = await make_event(starts_at=NOW - timedelta(days=8, hours=3), hours=2)
    await make_attendance(old, cleo, checked_in_at=old.starts_at)
    coming = await make_event(starts_at=NOW - timedelta(hours=1), hours=3)  # still running
    await make_attendance(coming, cleo, checked_in_at=coming.starts_at)
    cancelled = await make_event(starts_at=NOW - timedelta(days=2), status=models.EventStatus.CANCELLED)
    await make_attendance(cancelled, cleo, checked_in_at=cancelled.starts_at)
    return olivia, ann, ben, dinner


async def test_the_after_event_survey_goes_to_those_checked_in_at_events_of_the_last_week_once():
    # given
    olivia, ann, ben, dinner = await events_of_the_week()
    await make_survey(models.SurveyTrigger.AFTER_EVENT, title="Older")
    newest = await make_survey(models.SurveyTrigger.AFTER_EVENT, title="Newest")
    await make_survey(models.SurveyTrigger.AFTER_EVENT, title="Switched off", is_active=False)
    # when
    first = await surveys.send_due_surveys(now=NOW)
    second = await surveys.send_due_surveys(now=NOW + timedelta(hours=1))
    # then
    assert (first, second) == (2, 0)
    rows = await models.SurveyInstance.all().order_by("member_id").values_list(
        "survey_id", "member_id", "event_id", "account_manager_id", "source_key", "sent_at", "expires_at"
    )
    assert rows == [
        (newest.id, ann.id, dinner.id, olivia.id, f"event:{dinner.id}:member:{ann.id}", NOW, NOW + timedelta(days=14)),
        (newest.id, ben.id, dinner.id, None, f"event:{dinner.id}:member:{ben.id}", NOW, NOW + timedelta(days=14)),
    ]


async def test_concurrent_runs_send_once():
    # given
    await events_of_the_week()
    await make_survey(models.SurveyTrigger.AFTER_EVENT)
    # when
    await asyncio.gather(*(surveys.send_due_surveys(now=NOW) for _ in range(5)))
    # then
    assert await models.SurveyInstance.all().count() == 2


async def test_without_an_active_after_event_survey_nothing_is_sent_and_the_job_runs_with_the_others():
    # given
    await events_of_the_week()
    # when
    nothing = await surveys.send_due_surveys(now=NOW)
    await make_survey(models.SurveyTrigger.AFTER_EVENT)
    done = await run_jobs_once(now=NOW)
    # then
    assert nothing == 0
    assert done["event_surveys_sent"] == 2


async def test_a_visit_gets_the_after_visit_survey_once_and_other_interactions_none():
    # given
    olivia = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=olivia.id)
    survey = await make_survey(models.SurveyTrigger.AFTER_VISIT)
    visit = await models.Interaction.create(member_id=member.id, kind=models.InteractionKind.VISIT, summary="Lunch", occurred_at=NOW)
    call = await models.Interaction.create(member_id=member.id, kind=models.InteractionKind.CALL, summary="Call", occurred_at=NOW)
    # when
    first = await surveys.send_after_visit(interaction_id=visit.id, now=NOW)
    again = await surveys.send_after_visit(interaction_id=visit.id, now=NOW + timedelta(hours=1))
    for_call = await surveys.send_after_visit(interaction_id=call.id, now=NOW)
    # then
    assert first is not None and again is not None and first.id == again.id
    assert (first.survey_id, first.member_id, first.interaction_id, first.account_manager_id, first.source_key) == (
        survey.id, member.id, visit.id, olivia.id, f"visit:{visit.id}"
    )
    assert (first.sent_at, first.expires_at) == (NOW, NOW + timedelta(days=14))
    assert for_call is None
    assert await models.SurveyInstance.all().count() == 1


async def test_no_after_visit_survey_no_instance():
    # given
    member = await make_member()
    visit = await models.Interaction.create(member_id=member.id, kind=models.InteractionKind.VISIT, summary="Lunch", occurred_at=NOW)
    await make_survey(models.SurveyTrigger.AFTER_EVENT)
    # when
    sent = await surveys.send_after_visit(interaction_id=visit.id, now=NOW)
    # then
    assert sent is None
    assert await models.SurveyInstance.all().count() == 0


async def test_concurrent_senders_each_count_only_the_instances_they_inserted():
    # given
    await events_of_the_week()
    await make_survey(models.SurveyTrigger.AFTER_EVENT)
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    manual = await make_survey(models.SurveyTrigger.MANUAL)
    members = [(await make_member()).id for _ in range(30)]
    viewer = staff_viewer(boss.id, boss.role)
    # when
    job_runs = await asyncio.gather(*(surveys.send_due_surveys(now=NOW) for _ in range(5)))
    sends = await asyncio.gather(
        *(surveys.send_survey(viewer=viewer, survey_id=manual.id, member_ids=members, now=NOW) for _ in range(5))
    )
    # then: the totals add up to the rows there are, whoever won each row
    assert sum(job_runs) == 2
    assert sum(send["sent"] for send in sends) == 30
    assert all(send["sent"] + send["already_sent"] == 30 for send in sends)
    assert await models.SurveyInstance.all().count() == 32


async def test_times_without_an_offset_are_taken_as_utc():
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member()
    manual = await make_survey(
        models.SurveyTrigger.MANUAL, questions=((models.QuestionKind.NPS, "Recommend us?", True),)
    )
    naive = NOW.replace(tzinfo=None)
    # when
    sent = await surveys.send_survey(
        viewer=staff_viewer(boss.id, boss.role), survey_id=manual.id, member_ids=[member.id], now=naive
    )
    instance = await models.SurveyInstance.get(member_id=member.id)
    question = await models.SurveyQuestion.get(survey_id=manual.id)
    answered = await surveys.submit_response(
        viewer=member_viewer(member.id),
        instance_id=instance.id,
        answers=[surveys.AnswerSpec(question_id=question.id, score=10)],
        idempotency_key="naive-1",
        now=naive + timedelta(days=1),
    )
    pending = await surveys.member_instance_query(member_id=member.id, pending=False, now=naive).count()
    # then
    assert sent["sent"] == 1
    assert (instance.sent_at, instance.expires_at) == (NOW, NOW + timedelta(days=14))
    assert answered["instance_id"] == instance.id
    assert (await models.SurveyInstance.get(id=instance.id)).responded_at == NOW + timedelta(days=1)
    assert pending == 1
