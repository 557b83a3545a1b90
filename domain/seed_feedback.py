"""Demo feedback: tickets of every category and status (one breached), and surveys with answers, as of seeding.

Written through the tickets and surveys modules as the apps would, so that complaints raise their
follow-up tasks and every status change is in the history. Survey points are awarded at the time
of seeding, after every other demo entry: run this after the points and events demos.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from domain import ledger, models, points, surveys, tickets
from domain.models import InteractionKind, MemberStatus, QuestionKind, SurveyTrigger, TicketCategory, TicketSeverity
from domain.models import TicketStatus as Status
from domain.seed import DEMO_MEMBER_EMAIL, SEED
from domain.surveys import QuestionSpec
from domain.viewer import Viewer, member_viewer, staff_viewer

_EVENT_QUESTIONS = [
    QuestionSpec(QuestionKind.NPS, "How likely are you to recommend our events to a friend?"),
    QuestionSpec(QuestionKind.CSAT, "How satisfied were you with the evening?"),
    QuestionSpec(QuestionKind.TEXT, "What should we do differently next time?", required=False),
]
_VISIT_QUESTIONS = [
    QuestionSpec(QuestionKind.NPS, "How likely are you to recommend the club to a friend?"),
    QuestionSpec(QuestionKind.CSAT, "How satisfied were you with your visit?"),
    QuestionSpec(QuestionKind.TEXT, "Anything you would like us to know?", required=False),
]
_REMARKS = [
    "The new terrace is lovely.",
    "Service was attentive but a little slow at the bar.",
    "Please bring back the autumn menu.",
    "Perfect as always.",
    "Music was too loud for conversation.",
]
# Mostly happy members, with a tail of detractors, as a club of this kind would see.
_NPS_SCORES = [10, 10, 10, 9, 9, 9, 9, 8, 8, 7, 6, 5, 3]


async def seed_demo_feedback(*, progress: Callable[[str], None] | None = None) -> None:
    """Load the feedback demo once; a second run adds nothing."""
    report = progress or (lambda _msg: None)
    if await models.Survey.exists() or await models.Ticket.exists():
        return
    rng = random.Random(SEED + 30)
    now = ledger.utcnow().replace(microsecond=0)
    staff = {s.email: s for s in await models.Staff.all()}
    await _seed_tickets(staff, now)
    breached = await models.Ticket.filter(breached=True).count()
    report(f"tickets: {await models.Ticket.all().count()}, {breached} breached")
    await _seed_surveys(staff, now, rng)
    answered = await models.SurveyInstance.filter(responded_at__isnull=False).count()
    report(f"surveys: {await models.SurveyInstance.all().count()} sent, {answered} answered")


def _viewer(staff: models.Staff) -> Viewer:
    return staff_viewer(staff.id, staff.role)


async def _seed_tickets(staff: dict[str, models.Staff], now: datetime) -> None:
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    crowd = await models.Member.filter(status=MemberStatus.ACTIVE).exclude(id=demo.id).order_by("id").limit(5)
    boss = _viewer(staff["manager@clubgraph.example"])
    desk = _viewer(staff["frontdesk@clubgraph.example"])
    am = staff["am@clubgraph.example"]
    me = member_viewer(demo.id)

    def ago(**delta: float) -> datetime:
        return now - timedelta(**delta)

    async def open_(viewer: Viewer, member: models.Member, category: TicketCategory, subject: str, description: str,
                    when: datetime, severity: TicketSeverity | None = None) -> models.Ticket:
        return await tickets.create_ticket(viewer=viewer, member_id=member.id, category=category, subject=subject,
                                           description=description, severity=severity, now=when)

    async def move(viewer: Viewer, ticket: models.Ticket, status: Status, when: datetime, note: str = "") -> None:
        await tickets.transition_ticket(viewer=viewer, ticket_id=ticket.id, status=status, note=note, now=when)

    async def say(viewer: Viewer, ticket: models.Ticket, body: str, when: datetime, internal: bool = False) -> None:
        await tickets.respond_to_ticket(viewer=viewer, ticket_id=ticket.id, body=body, internal=internal, now=when)

    # The demo member's complaint, handled by her account manager and closed by her.
    soup = await open_(me, demo, TicketCategory.COMPLAINT, "The soup at the autumn dinner was served cold",
                       "Our table's soup arrived lukewarm, twice.", ago(days=20))
    await tickets.assign_ticket(viewer=boss, ticket_id=soup.id, assignee_id=am.id, now=ago(days=19, hours=23))
    await move(_viewer(am), soup, Status.IN_PROGRESS, ago(days=19, hours=22))
    await say(_viewer(am), soup, "Chef has been told; the pass now checks every plate's temperature.",
              ago(days=19, hours=21), internal=True)
    await say(_viewer(am), soup, "We are so sorry. Your next dinner for two is on us.", ago(days=19, hours=20))
    await move(_viewer(am), soup, Status.RESOLVED, ago(days=19, hours=20), "Dinner for two offered")
    await say(me, soup, "Thank you, that is very kind.", ago(days=18))
    await move(me, soup, Status.CLOSED, ago(days=18))
    # Her open request.
    table = await open_(me, demo, TicketCategory.REQUEST, "Could the lounge keep my usual table on Fridays?", "",
                        ago(days=1))
    await say(_viewer(am), table, "Of course; I will confirm with the lounge manager today.", ago(hours=20))
    # Other members: praise closed at once, a breached complaint, work in progress, a resolved one.
    praise = await open_(desk, crowd[0], TicketCategory.PRAISE, "Thank you to the sommelier",
                         "The pairing at the Burgundy tasting was superb.", ago(days=5))
    await move(boss, praise, Status.CLOSED, ago(days=4), "Passed on to the sommelier")
    valet = await open_(desk, crowd[1], TicketCategory.COMPLAINT, "Valet parking kept the member waiting 40 minutes",
                        "", ago(days=3), TicketSeverity.HIGH)
    await tickets.assign_ticket(viewer=boss, ticket_id=valet.id, assignee_id=staff["manager@clubgraph.example"].id,
                                now=ago(days=2))
    tasting = await open_(boss, crowd[2], TicketCategory.REQUEST, "A private tasting for a wedding anniversary",
                          "Twelve guests, in the cellar, in spring.", ago(days=2), TicketSeverity.LOW)
    await move(boss, tasting, Status.IN_PROGRESS, ago(days=1))
    spa = await open_(member_viewer(crowd[3].id), crowd[3], TicketCategory.COMPLAINT, "The spa booking was lost", "",
                      ago(days=4))
    await say(boss, spa, "Found and rebooked for Saturday at ten, with our apologies.", ago(days=3))
    await move(boss, spa, Status.RESOLVED, ago(days=2, hours=23))
    allergen = await open_(boss, crowd[4], TicketCategory.COMPLAINT, "A nut allergy was not flagged on the menu",
                           "No harm done, but the waiter did not know.", ago(hours=1), TicketSeverity.CRITICAL)
    await tickets.assign_ticket(viewer=boss, ticket_id=allergen.id, assignee_id=am.id, now=ago(minutes=50))
    await move(boss, allergen, Status.IN_PROGRESS, ago(minutes=45))
    await tickets.flag_breaches(now=now)


async def _seed_surveys(staff: dict[str, models.Staff], now: datetime, rng: random.Random) -> None:
    events_staff = _viewer(staff["events@clubgraph.example"])
    await surveys.create_survey(viewer=events_staff, title="After the event", trigger=SurveyTrigger.AFTER_EVENT,
                                questions=_EVENT_QUESTIONS)
    await surveys.create_survey(viewer=events_staff, title="After your visit", trigger=SurveyTrigger.AFTER_VISIT,
                                questions=_VISIT_QUESTIONS)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    crowd = await models.Member.filter(status=MemberStatus.ACTIVE).exclude(id=demo.id).order_by("id").limit(60)
    # Visits over the last six months, each followed by the after-visit survey; most are answered.
    sent = []
    for member in crowd:
        when = now - timedelta(days=rng.randint(2, 180), hours=rng.randint(0, 10))
        visit = await models.Interaction.create(
            member_id=member.id, kind=InteractionKind.VISIT, summary="Dinner at the restaurant", occurred_at=when,
            staff_id=member.account_manager_id)
        instance = await surveys.send_after_visit(interaction_id=visit.id, now=when + timedelta(hours=2))
        if instance is not None:
            sent.append(instance)
    # After the events of the last week: everyone checked in gets the after-event survey.
    await surveys.send_due_surveys(now=now)
    sent += await models.SurveyInstance.filter(event_id__isnull=False, responded_at__isnull=True).order_by("id")
    for instance in sent:
        if rng.random() < 0.8 and instance.member_id != demo.id:
            await _answer(instance, now, rng)
    # The demo member's visit yesterday: her survey waits for her.
    visit = await models.Interaction.create(
        member_id=demo.id, kind=InteractionKind.VISIT, summary="Lunch on the terrace",
        occurred_at=now - timedelta(days=1), staff_id=demo.account_manager_id)
    await surveys.send_after_visit(interaction_id=visit.id, now=now - timedelta(hours=20))


async def _answer(instance: models.SurveyInstance, now: datetime, rng: random.Random) -> None:
    """Answers as the member would give them a day after the survey came, and the points for them at seeding time."""
    answered_at = min(instance.sent_at + timedelta(hours=rng.randint(1, 30)), now)
    questions = await models.SurveyQuestion.filter(survey_id=instance.survey_id).order_by("position")
    rows = []
    for question in questions:
        if question.kind == QuestionKind.TEXT:
            if rng.random() < 0.4:
                rows.append((question, None, rng.choice(_REMARKS)))
        elif question.kind == QuestionKind.NPS:
            rows.append((question, rng.choice(_NPS_SCORES), None))
        else:
            rows.append((question, rng.choice([5, 5, 4, 4, 4, 3, 2]), None))
    await models.SurveyInstance.filter(id=instance.id).update(responded_at=answered_at)
    await models.SurveyAnswer.bulk_create([
        models.SurveyAnswer(instance_id=instance.id, question_id=question.id, kind=question.kind, score=score,
                            text=text, event_id=instance.event_id, account_manager_id=instance.account_manager_id,
                            submitted_at=answered_at)
        for question, score, text in rows
    ])
    await points.award_survey_points(member_id=instance.member_id, survey_response_id=instance.id, now=now)
