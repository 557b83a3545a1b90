"""A member with a bit of everything, made through the real domain operations: the subject of the
data export and erasure tests.

Mia has points from purchases, an adjustment, a transfer, an event and a survey; a redemption with a
partner's voucher and a partner award; a ticket with replies; interactions, a task, preferences
(one a private staff note), important dates and consents; she was referred by Rita and referred Rolf.
The free texts all carry words (`SECRETS`) that must not survive her erasure anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from api.tokens import issue_token
from domain import benefits, care, events, members, models, partner_points, points, sessions, surveys, tasks, tickets
from domain.viewer import Viewer, member_viewer, partner_viewer, staff_viewer
from tests.factories import (
    SECRET_KEY,
    make_api_key,
    make_benefit,
    make_event,
    make_member,
    make_member_reference,
    make_partner,
    make_purchase,
    make_registration,
    make_staff,
    make_survey,
    make_survey_instance,
    make_tiers,
    make_voucher,
)

PASSWORD = "mia-secret-password"
VOUCHER_CODE = "WINE-7KQ2-XM9D-4TRA"
# What Mia's erasure must remove from every table: her name, contact data and what was written about her.
SECRETS = (
    "Mia Lindqvist",
    "mia.lindqvist@example.com",
    "+41795550101",
    "Karl",
    "divorce",
    "lilies",
    "Barolo",
    "sommelier",
    "anniversary dinner",
    "noisy table",
    "Happy birthday",
    "203.0.113.7",
    "corkage",
)


@dataclass
class Story:
    member: models.Member
    referrer: models.Member
    referee: models.Member
    manager: models.Staff  # Mia's account manager
    club_manager: models.Staff
    partner: models.Partner
    partner_key: str
    member_reference: str
    voucher: models.Voucher
    session_token: str  # an access token of a live sign-in of Mia's
    period: tuple[datetime, datetime]  # covers everything that happened

    @property
    def viewer(self) -> Viewer:
        return member_viewer(self.member.id)

    @property
    def club_manager_viewer(self) -> Viewer:
        return staff_viewer(self.club_manager.id, self.club_manager.role)


async def make_story() -> Story:
    now = datetime.now(timezone.utc)
    tiers = await make_tiers()
    await make_benefit(tiers["Silver"], "welcome_drink", quota=2, period=models.QuotaPeriod.MONTH)
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Anna Manager")
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    club_manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    staff = staff_viewer(manager.id, manager.role)
    referrer = await make_member(name="Rita Referrer", tier=tiers["Silver"])
    member = await make_member(
        name="Mia Lindqvist",
        email="mia.lindqvist@example.com",
        phone="+41795550101",
        birthday=date(1985, 4, 12),
        gender=models.Gender.FEMALE,
        tier=tiers["Silver"],
        account_manager_id=manager.id,
        referred_by_id=referrer.id,
        password=PASSWORD,
    )
    referee = await make_member(name="Rolf Referee", tier=tiers["Silver"], referred_by_id=member.id)
    mia = member_viewer(member.id)

    # points: a first purchase (which rewards Rita), an adjustment, a transfer to Rolf
    await make_purchase(member, "250.00")
    await points.adjust_points(
        viewer=staff, member_id=member.id, points=40, reason="Apology for the noisy table", idempotency_key="adjust"
    )
    await points.transfer_points(
        viewer=mia,
        from_member_id=member.id,
        to_member_id=referee.id,
        points=20,
        note="Happy birthday",
        idempotency_key="transfer",
    )
    await benefits.use_benefit(
        viewer=staff, member_id=member.id, benefit_code="welcome_drink", note="Asked about corkage"
    )

    # profile details
    await members.add_preference(
        viewer=mia, member_id=member.id, category=models.PreferenceCategory.SEATING, value="Window seat"
    )
    await members.add_preference(
        viewer=staff,
        member_id=member.id,
        category=models.PreferenceCategory.NOTE,
        value="Going through a divorce; never seat her near Karl",
        is_private=True,
    )
    await members.add_important_date(
        viewer=mia, member_id=member.id, kind=models.ImportantDateKind.ANNIVERSARY, label="Met Karl", on=date(2012, 5, 5)
    )
    await members.set_consent(viewer=mia, member_id=member.id, purpose=models.ConsentPurpose.MARKETING, granted=True)
    await members.set_consent(
        viewer=mia, member_id=member.id, purpose=models.ConsentPurpose.PARTNER_SHARING, granted=True
    )

    # care
    await care.record_interaction(
        viewer=staff, member_id=member.id, kind=models.InteractionKind.CALL, summary="Talked about the divorce and Karl"
    )
    await tasks.create_task(
        viewer=staff, title="Send flowers", due_at=now + timedelta(days=2), member_id=member.id, notes="White lilies"
    )

    # a complaint (which raises a follow-up task naming its subject), with replies both ways and a staff note
    ticket = await tickets.create_ticket(
        viewer=mia,
        member_id=None,
        category=models.TicketCategory.COMPLAINT,
        subject="Our anniversary dinner",
        description="The sommelier was rude to Karl",
    )
    await tickets.respond_to_ticket(viewer=staff, ticket_id=ticket.id, body="We are sorry, Mia Lindqvist")
    await tickets.respond_to_ticket(viewer=mia, ticket_id=ticket.id, body="Karl is still upset")
    await tickets.respond_to_ticket(viewer=staff, ticket_id=ticket.id, body="Offer her a Barolo", internal=True)

    # an event attended, rated; a survey answered
    event = await make_event(starts_in=timedelta(hours=1), title="Piedmont evening")
    registration = await make_registration(event, member)
    await events.check_in(viewer=staff_viewer(desk.id, desk.role), registration_id=registration.id)
    await events.submit_feedback(viewer=mia, event_id=event.id, rating=4, comment="The Barolo was superb")
    survey = await make_survey(title="After your visit")
    questions = await models.SurveyQuestion.filter(survey_id=survey.id).order_by("position")
    instance = await make_survey_instance(survey, member)
    await surveys.submit_response(
        viewer=mia,
        instance_id=instance.id,
        answers=[
            surveys.AnswerSpec(questions[0].id, score=9),
            surveys.AnswerSpec(questions[1].id, score=4),
            surveys.AnswerSpec(questions[2].id, text="A better sommelier"),
        ],
        idempotency_key="survey",
    )

    # a partner: a redemption with its voucher, the partner's reference of Mia, an award at its shop
    partner = await make_partner("Maison Laurent")
    _, partner_key = await make_api_key(partner)
    voucher = await make_voucher(member, partner, code=VOUCHER_CODE, points=100, title="Tasting for two")
    reference = await make_member_reference(partner, member)
    await partner_points.award_points(
        viewer=partner_viewer(partner.id),
        member_reference=reference,
        points=30,
        purchase_reference="ML-0042",
        idempotency_key="award",
    )

    # a live sign-in, from an address that is personal data too
    grant = await sessions.start(viewer=mia, client_address="203.0.113.7", ttl_seconds=3600)
    token, _ = issue_token(mia, secret_key=SECRET_KEY, ttl_seconds=600, session_id=grant.session_id)

    return Story(
        member=await models.Member.get(id=member.id),
        referrer=referrer,
        referee=referee,
        manager=manager,
        club_manager=club_manager,
        partner=partner,
        partner_key=partner_key,
        member_reference=reference,
        voucher=voucher,
        session_token=token,
        period=(now - timedelta(days=1), now + timedelta(days=1)),
    )
