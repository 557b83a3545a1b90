"""The demo's feedback: tickets of every category and status, one breached, and surveys answered and pending."""

from domain import ledger, models
from domain.models import SurveyTrigger, TicketCategory, TicketStatus
from domain.seed import DEMO_MEMBER_EMAIL, seed_demo
from domain.seed_events import seed_demo_events
from domain.seed_feedback import seed_demo_feedback


async def test_the_demo_has_every_kind_of_ticket_and_surveys_answered_and_pending():
    # given
    await seed_demo(members=80)
    await seed_demo_events()
    # when
    await seed_demo_feedback()
    await seed_demo_feedback()  # a second run adds nothing
    # then
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    tickets = await models.Ticket.all().values_list("category", "status", "breached")
    assert {category for category, _, _ in tickets} == set(TicketCategory)
    assert {status for _, status, _ in tickets} == set(TicketStatus)
    assert len(tickets) == 7
    assert [breached for _, _, breached in tickets].count(True) == 1
    complaints = await models.Ticket.filter(category=TicketCategory.COMPLAINT).values_list("id", flat=True)
    assert sorted(await models.Task.filter(kind=models.TaskKind.COMPLAINT_FOLLOW_UP).values_list("source_key", flat=True)) == sorted(
        f"ticket:{ticket_id}" for ticket_id in complaints
    )
    assert {survey.trigger for survey in await models.Survey.all()} == {SurveyTrigger.AFTER_EVENT, SurveyTrigger.AFTER_VISIT}
    pending = await models.SurveyInstance.filter(member_id=demo.id, responded_at__isnull=True).count()
    assert pending >= 1
    assert await models.SurveyInstance.filter(responded_at__isnull=False).count() >= 10
    assert await models.SurveyAnswer.filter(event_id__isnull=False).exists()
    answered = await models.SurveyInstance.filter(responded_at__isnull=False).count()
    assert await models.LedgerEntry.filter(source=models.EntrySource.SURVEY).count() == answered
    assert await ledger.check_invariants() == []
