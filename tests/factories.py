"""Builders for test data: each test says what it sets up, e.g. `await make_member(tier=gold)`."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import cache
from typing import Any
from unittest.mock import ANY

import httpx
from strawberry.relay import to_base64

from api.tokens import issue_token
from domain import models
from domain.passwords import hash_password
from domain.viewer import Viewer, member_viewer, staff_viewer

SECRET_KEY = "test-secret-key-" + "x" * 32
_serial = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def gid(type_name: str, pk: int) -> str:
    return to_base64(type_name, pk)


async def make_tiers() -> dict[str, models.Tier]:
    """Silver, Gold, Platinum and Diamond, each with a points multiplier and Gold up with guest passes."""
    tiers = {}
    for rank, (name, multiplier, passes) in enumerate(
        [("Silver", "1.00", None), ("Gold", "1.25", 4), ("Platinum", "1.50", 6), ("Diamond", "2.00", 12)], start=1
    ):
        tier = await models.Tier.create(name=name, rank=rank, description=f"{name} tier")
        await models.Benefit.create(tier=tier, code="points_multiplier", name="Points multiplier", value=Decimal(multiplier))
        if passes:
            await models.Benefit.create(
                tier=tier, code="guest_pass", name="Guest pass", quota=passes, quota_period=models.QuotaPeriod.YEAR
            )
        tiers[name] = tier
    return tiers


async def make_staff(role: models.StaffRole, *, password: str = "staff-password", **fields: Any) -> models.Staff:
    n = next(_serial)
    values = {"email": f"staff{n}@clubgraph.test", "name": f"Staff {n}", "role": role}
    return await models.Staff.create(password_hash=_password_hash(password), **{**values, **fields})


async def make_member(*, tier: models.Tier | None = None, password: str | None = None, **fields: Any) -> models.Member:
    n = next(_serial)
    tier = tier or await models.Tier.all().order_by("rank").first()
    if tier is None:
        tier = (await make_tiers())["Silver"]
    values = {
        "email": f"member{n}@example.com",
        "name": f"Member {n}",
        "phone": f"+4179{n:07d}",
        "birthday": date(1980, 1 + n % 12, 1 + n % 28),
        "joined_on": date(2024, 1, 1),
        "referral_code": f"REF{n:08d}",
        "tier_id": tier.id,
        "password_hash": _password_hash(password) if password else None,
    }
    return await models.Member.create(**{**values, **fields})


def token_for(viewer: Viewer) -> str:
    return issue_token(viewer, secret_key=SECRET_KEY, ttl_seconds=600)[0]


def member_token(member: models.Member) -> str:
    return token_for(member_viewer(member.id))


def staff_token(staff: models.Staff) -> str:
    return token_for(staff_viewer(staff.id, staff.role))


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    """POST a GraphQL request and return the decoded body; any HTTP status but 200 fails the test."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def make_preference(
    member: models.Member, *, category: models.PreferenceCategory = models.PreferenceCategory.DRINK, **fields: Any
) -> models.MemberPreference:
    values = {"value": "Green tea", "is_private": False, "noted_by_id": None}
    return await models.MemberPreference.create(member_id=member.id, category=category, **{**values, **fields})


async def make_important_date(member: models.Member, **fields: Any) -> models.ImportantDate:
    values = {"kind": models.ImportantDateKind.ANNIVERSARY, "label": "Wedding anniversary", "date": date(2015, 6, 20)}
    return await models.ImportantDate.create(member_id=member.id, **{**values, **fields})


async def make_consent(
    member: models.Member, purpose: models.ConsentPurpose, *, granted: bool = True, **fields: Any
) -> models.Consent:
    values = {"source": models.ConsentSource.WEB, "recorded_at": datetime(2025, 1, 1, tzinfo=timezone.utc)}
    return await models.Consent.create(member_id=member.id, purpose=purpose, granted=granted, **{**values, **fields})


REFUSAL_MESSAGES = {"UNAUTHENTICATED": "Sign in to do this", "FORBIDDEN": "You are not allowed to do this"}


def refused(operation: str, code: str, message: str | None = None) -> dict[str, Any]:
    """The whole response to a call refused at the top level: no data, one error with a stable code."""
    error = {"message": message or REFUSAL_MESSAGES[code], "locations": ANY, "path": [operation]}
    return {"data": None, "errors": [{**error, "extensions": {"code": code}}]}


async def set_thresholds(
    tier: models.Tier,
    *,
    points: int | None = None,
    spend: str | None = None,
    visits: int | None = None,
    window_months: int = 12,
    grace_days: int = 30,
) -> models.Tier:
    """Give a tier its qualification rule: any one of the thresholds set, met within the window."""
    tier.update_from_dict(
        {
            "qualifying_points": points,
            "qualifying_spend": Decimal(spend) if spend is not None else None,
            "qualifying_visits": visits,
            "window_months": window_months,
            "grace_days": grace_days,
        }
    )
    await tier.save()
    return tier


async def make_earning(
    member: models.Member, points: int, *, at: datetime, source: models.EntrySource = models.EntrySource.PURCHASE
) -> models.LedgerEntry:
    """Points earned through the ledger, as the points module writes them."""
    from domain import ledger  # here rather than on top: this section is appended to the builders

    entries = await ledger.credit(member_id=member.id, points=points, fields=ledger.EntryFields(source=source), now=at)
    return entries[0]


async def make_points_refund(member: models.Member, points: int, *, at: datetime) -> models.LedgerEntry | None:
    """Points taken back for a refunded purchase, owed as debt beyond the balance."""
    from domain import ledger

    return await ledger.debit(
        member_id=member.id,
        points=points,
        kind=models.EntryKind.REVERSE,
        fields=ledger.EntryFields(source=models.EntrySource.REFUND, reason="Refund"),
        now=at,
        shortfall_to_debt=True,
    )


async def make_spend(member: models.Member, amount: str, *, at: datetime, refunded: str = "0") -> models.Purchase:
    """A purchase (its spend and its day's visit), without the points it earns."""
    n = next(_serial)
    return await models.Purchase.create(
        member_id=member.id,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency="CHF",
        outlet="Bar",
        external_reference=f"R{n}",
        created_at=at,
    )


async def make_benefit(
    tier: models.Tier, code: str, *, quota: int | None = None, period: models.QuotaPeriod | None = None, **fields: Any
) -> models.Benefit:
    name = code.replace("_", " ").capitalize()
    return await models.Benefit.create(tier=tier, code=code, name=name, quota=quota, quota_period=period, **fields)


async def make_purchase(
    member: models.Member, amount: str = "100.00", *, at: datetime | None = None, **fields: Any
) -> models.Purchase:
    """A purchase recorded at the front desk through the points module, with the points it earns."""
    from domain import points

    n = next(_serial)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    values = {"currency": "CHF", "outlet": "Bar", "external_reference": f"P{n}", "paid_with_points": Decimal(0)}
    result = await points.record_purchase(
        viewer=staff_viewer(desk.id, desk.role),
        member_id=member.id,
        amount=Decimal(amount),
        idempotency_key=f"purchase-{n}",
        now=at,
        **{**values, **fields},
    )
    return await models.Purchase.get(id=result["purchase_id"])


async def make_campaign(bonus: str = "1.00", **fields: Any) -> models.Campaign:
    """A campaign running through 2026 unless told otherwise, with no caps."""
    values = {
        "name": f"Campaign x{bonus}",
        "starts_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "ends_at": datetime(2027, 1, 1, tzinfo=timezone.utc),
    }
    return await models.Campaign.create(bonus_multiplier=Decimal(bonus), **{**values, **fields})


async def points_of(member: models.Member) -> tuple[int, int]:
    """The member's (balance, debt), re-read."""
    row = await models.Member.get(id=member.id)
    return row.points_balance, row.points_debt


async def token_of(caller: models.StaffRole | str | None, member: models.Member) -> str | None:
    """The token of a caller in an auth table: None (anonymous), "member" (the member themself),
    "other account manager" (one not assigned to the member), or a staff role."""
    if caller is None:
        return None
    if caller == "member":
        return member_token(member)
    if caller == "other account manager":
        return staff_token(await make_staff(models.StaffRole.ACCOUNT_MANAGER))
    return staff_token(await make_staff(caller))


# --- events -------------------------------------------------------------------------------------

from datetime import timedelta  # noqa: E402  (here, with the events builders that need it)


async def make_event(
    *, starts_in: timedelta = timedelta(days=7), hours: int = 2, capacity: int = 20, price_points: int = 0, **fields: Any
) -> models.Event:
    """An event starting `starts_in` from now, refundable until 48 hours before it starts."""
    now = datetime.now(timezone.utc)
    starts_at = fields.pop("starts_at", now + starts_in)
    values = {
        "title": "Wine tasting",
        "category": models.EventCategory.TASTING,
        "venue": "The cellar",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
        "capacity": capacity,
        "price_points": price_points,
        "cancellation_deadline": starts_at - timedelta(hours=48),
    }
    return await models.Event.create(**{**values, **fields})


async def make_registration(
    event: models.Event, member: models.Member, *, guests: int = 0, now: datetime | None = None
) -> models.EventRegistration:
    """The member registered themself through the events module: paid and seated, or waitlisted and held."""
    from domain import events

    n = next(_serial)
    result = await events.register(
        viewer=member_viewer(member.id),
        event_id=event.id,
        member_id=member.id,
        guests=guests,
        idempotency_key=f"registration-{n}",
        now=now,
    )
    return await models.EventRegistration.get(id=result["registration_id"])


# --- feedback -----------------------------------------------------------------------------------


async def make_ticket(
    member: models.Member,
    *,
    category: models.TicketCategory = models.TicketCategory.REQUEST,
    severity: models.TicketSeverity = models.TicketSeverity.MEDIUM,
    **fields: Any,
) -> models.Ticket:
    """A ticket written straight to the table, its SLA from its severity (no follow-up task, no history)."""
    from domain import tickets

    created_at = fields.pop("created_at", datetime.now(timezone.utc))
    values = {
        "subject": "The wine list",
        "description": "",
        "status": models.TicketStatus.OPEN,
        "sla_due_at": tickets.sla_due_at(severity, created_at),
    }
    return await models.Ticket.create(
        member_id=member.id, category=category, severity=severity, created_at=created_at, **{**values, **fields}
    )


SURVEY_QUESTIONS = (
    (models.QuestionKind.NPS, "How likely are you to recommend the club to a friend?", True),
    (models.QuestionKind.CSAT, "How satisfied were you?", True),
    (models.QuestionKind.TEXT, "What could we do better?", False),
)


async def make_survey(
    trigger: models.SurveyTrigger = models.SurveyTrigger.MANUAL,
    *,
    questions: tuple[tuple[models.QuestionKind, str, bool], ...] = SURVEY_QUESTIONS,
    **fields: Any,
) -> models.Survey:
    """A survey of an NPS, a CSAT (both required) and an optional text question, unless told otherwise."""
    survey = await models.Survey.create(title=fields.pop("title", f"{trigger.value} survey"), trigger=trigger, **fields)
    for position, (kind, prompt, required) in enumerate(questions, start=1):
        await models.SurveyQuestion.create(survey=survey, position=position, kind=kind, prompt=prompt, required=required)
    return survey


async def make_survey_instance(
    survey: models.Survey, member: models.Member, *, sent_at: datetime | None = None, **fields: Any
) -> models.SurveyInstance:
    """The survey sent to the member now (or at `sent_at`), open for 14 days, with their account manager."""
    sent_at = sent_at or datetime.now(timezone.utc)
    n = next(_serial)
    values = {
        "source_key": f"test:{n}",
        "expires_at": sent_at + timedelta(days=14),
        "account_manager_id": member.account_manager_id,
    }
    return await models.SurveyInstance.create(
        survey=survey, member_id=member.id, sent_at=sent_at, **{**values, **fields}
    )


async def make_attendance(event: models.Event, member: models.Member, *, checked_in_at: datetime | None) -> models.EventRegistration:
    """A confirmed registration written straight to the table, checked in at the door or not."""
    n = next(_serial)
    return await models.EventRegistration.create(
        event=event,
        member_id=member.id,
        status=models.RegistrationStatus.CONFIRMED,
        check_in_code=f"code-{n}",
        created_at=event.starts_at - timedelta(days=3),
        confirmed_at=event.starts_at - timedelta(days=3),
        checked_in_at=checked_in_at,
    )


# --- care ---------------------------------------------------------------------------------------


async def make_interaction(
    member: models.Member,
    *,
    kind: models.InteractionKind = models.InteractionKind.CALL,
    at: datetime | None = None,
    staff: models.Staff | None = None,
    summary: str = "Checked in on them",
) -> models.Interaction:
    """An interaction written straight to the table (no grading, no survey)."""
    return await models.Interaction.create(
        member_id=member.id,
        kind=kind,
        summary=summary,
        occurred_at=at or datetime.now(timezone.utc),
        staff_id=staff.id if staff else None,
    )


async def make_task(
    *,
    title: str = "Call back",
    due_at: datetime | None = None,
    member: models.Member | None = None,
    assignee: models.Staff | None = None,
    kind: models.TaskKind = models.TaskKind.FOLLOW_UP,
    **fields: Any,
) -> models.Task:
    """An open task written straight to the table, due in a day unless told otherwise."""
    now = datetime.now(timezone.utc)
    return await models.Task.create(
        title=title,
        kind=kind,
        due_at=due_at or now + timedelta(days=1),
        member_id=member.id if member else None,
        assignee_id=assignee.id if assignee else None,
        created_at=now,
        **fields,
    )


# --- partners ---------------------------------------------------------------------------------


async def make_partner(name: str = "Maison Laurent", **fields: Any) -> models.Partner:
    """A partner written straight to the table: active, 0.0100 CHF a point, signing secret "partner-secret"."""
    values = {
        "slug": name.lower().replace(" ", "-"),
        "point_value": Decimal("0.0100"),
        "currency": "CHF",
        "base_url": None,
        "signing_secret": "partner-secret",
    }
    return await models.Partner.create(name=name, **{**values, **fields})


async def make_api_key(partner: models.Partner, *, label: str = "POS", **fields: Any) -> tuple[models.PartnerApiKey, str]:
    """A live key of the partner, made by the domain (so that it is hashed as in production), and the key."""
    from domain.partners import _new_prefix, hash_secret

    secret = f"secret-{next(_serial)}"
    values = {"created_at": datetime.now(timezone.utc), "label": label}
    row = await models.PartnerApiKey.create(
        partner_id=partner.id, prefix=_new_prefix(), secret_hash=hash_secret(secret), **{**values, **fields}
    )
    return row, f"{row.prefix}.{secret}"


async def partner_gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    key: str,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """POST a GraphQL request with a partner's API key; the HTTP status must be `status`.

    Every partner response carries `extensions.cost`: checked for its shape here and left out of
    what is returned (tests/test_partner_budget.py checks the figures).
    """
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"ApiKey {key}", **(headers or {})},
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body.pop("extensions")["cost"]) == {"requested", "actual", "remaining"}, response.text
    return body


# --- Partner API ------------------------------------------------------------------------------


async def make_redemption(
    member: models.Member,
    partner: models.Partner | None = None,
    *,
    points: int = 100,
    at: datetime | None = None,
    title: str = "Tasting for two",
    quantity: int = 1,
) -> models.Redemption:
    """A completed redemption made through the ledger as the saga makes it: points earned a minute
    before, held and captured at `at` with the redemption's reference, the REDEEM entry linked."""
    from domain import ledger

    at = at or datetime.now(timezone.utc)
    reference = f"rdm_test_{next(_serial)}"
    earned = ledger.EntryFields(source=models.EntrySource.PURCHASE, reason="Points to redeem")
    await ledger.credit(member_id=member.id, points=points, fields=earned, now=at - timedelta(minutes=1))
    hold = await ledger.hold(member_id=member.id, points=points, reference=reference, now=at)
    redeem = await ledger.capture(hold_entry_id=hold.id, reason=f"Redeemed: {title}", now=at)
    return await models.Redemption.create(
        reference=reference,
        member_id=member.id,
        partner_id=partner.id if partner else None,
        item_id="item-1",
        title=title,
        quantity=quantity,
        points=points,
        status=models.RedemptionStatus.COMPLETED,
        idempotency_key=reference,
        fingerprint="0" * 64,
        hold_entry_id=hold.id,
        redeem_entry_id=redeem.id,
        created_at=at,
        settled_at=at,
    )


async def make_voucher(
    member: models.Member,
    partner: models.Partner | None = None,
    *,
    code: str | None = None,
    points: int = 100,
    at: datetime | None = None,
    title: str = "Tasting for two",
    **fields: Any,
) -> models.Voucher:
    """The voucher of a new completed redemption (`make_redemption`): issued at `at`, valid 90 days."""
    at = at or datetime.now(timezone.utc)
    redemption = await make_redemption(member, partner, points=points, at=at, title=title)
    values = {
        "code": code or f"V-{next(_serial):06d}",
        "title": title,
        "quantity": redemption.quantity,
        "status": models.VoucherStatus.ISSUED,
        "issued_at": at,
        "expires_at": at + timedelta(days=90),
    }
    return await models.Voucher.create(
        redemption_id=redemption.id,
        member_id=member.id,
        partner_id=partner.id if partner else None,
        **{**values, **fields},
    )


async def make_member_reference(partner: models.Partner, member: models.Member) -> str:
    """The partner's reference of the member, as the member shows it at the counter."""
    from domain import references

    return await references.reference_for(partner_id=partner.id, member_id=member.id)


# --- redemptions ------------------------------------------------------------------------------


async def make_club_reward(title: str = "Cellar tour", **fields: Any) -> models.Reward:
    """One of the club's own rewards: 500 points, 5 in stock, any tier, valid 90 days."""
    values = {"description": "", "points_price": 500, "stock": 5, "category": "experience", "validity_days": 90}
    return await models.Reward.create(title=title, **{**values, **fields})


def reward_gid(key: str) -> str:
    """The GraphQL Reward id of a catalog key, e.g. "club:3" or "partner:2:wine-tasting-evening"."""
    return to_base64("Reward", key)


# --- rewards ------------------------------------------------------------------------------------


async def make_reward(title: str = "Club scarf", points_price: int = 500, **fields: Any) -> models.Reward:
    """A reward of the club's own, written straight to the table: active, unlimited, for every tier."""
    values = {"category": "merchandise", "description": f"{title}, from the club shop"}
    return await models.Reward.create(title=title, points_price=points_price, **{**values, **fields})


async def make_pushed_item(
    partner: models.Partner, item_id: str, points_price: int, **fields: Any
) -> models.PartnerCatalogItem:
    """An item of a partner's pushed catalog, pushed now unless `pushed_at` says otherwise."""
    values = {
        "title": item_id.replace("-", " ").capitalize(),
        "category": "wine",
        "validity_days": 60,
        "pushed_at": datetime.now(timezone.utc),
    }
    return await models.PartnerCatalogItem.create(
        partner_id=partner.id, item_id=item_id, points_price=points_price, **{**values, **fields}
    )


# --- node access (tests/test_node_access.py) ----------------------------------------------------


async def make_event_feedback(event: models.Event, member: models.Member, *, rating: int = 4) -> models.EventFeedback:
    """The member's rating of an event they attended (checked in), written straight to the tables."""
    registration = await make_attendance(event, member, checked_in_at=event.starts_at)
    return await models.EventFeedback.create(
        event_id=event.id,
        registration_id=registration.id,
        member_id=member.id,
        rating=rating,
        comment="Lovely evening",
        created_at=event.ends_at,
    )


async def make_ticket_response(
    ticket: models.Ticket, *, staff: models.Staff | None = None, body: str = "We are on it", **fields: Any
) -> models.TicketResponse:
    """A reply on the ticket, by a member of staff (or by its member without `staff`), not internal."""
    values = {"is_internal": False, "created_at": datetime.now(timezone.utc)}
    return await models.TicketResponse.create(
        ticket_id=ticket.id,
        staff_id=staff.id if staff else None,
        member_id=None if staff else ticket.member_id,
        body=body,
        **{**values, **fields},
    )
