"""Demo events: a few past ones with attendance and ratings, several upcoming, relative to the day of seeding.

Written through the events module as the apps would, so that every seat, waitlist place, payment,
hold, guest pass and attendance point is explained by the ledger. Entries are written in time order
and after the points demo's last entry, so that balances over time stay consistent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import events, ledger, models
from domain.errors import DomainError
from domain.models import EventCategory, MemberStatus, StaffRole
from domain.seed import DEMO_MEMBER_EMAIL, SEED
from domain.viewer import member_viewer, staff_viewer

COMMENTS = {
    5: ["Wonderful evening, thank you!", "Superb, the best one this year.", ""],
    4: ["Very good, a little crowded at the bar.", "Lovely, would come again.", ""],
    3: ["Fine, but it started late.", "Good content, the room was too warm."],
    2: ["Too loud to hear the speaker."],
}


@dataclass(frozen=True)
class _Plan:
    title: str
    category: EventCategory
    venue: str
    description: str
    starts_in: timedelta  # from the day of seeding; negative for past events
    hours: int
    capacity: int
    price_points: int = 0
    min_tier: str | None = None
    attendees: int = 0  # registrations made
    turnout: float = 0.9  # past events: the share of those who came


_PLANS = [
    _Plan(
        "Burgundy grand cru tasting",
        EventCategory.TASTING,
        "The wine cellar",
        "Six grands crus from the Côte de Nuits, presented by our sommelier.",
        timedelta(days=-12, hours=19),
        3,
        24,
        price_points=40,
        attendees=18,
    ),
    _Plan(
        "Salon: the art of the cigar",
        EventCategory.SALON,
        "The cigar lounge",
        "An evening on Cuban leaf, with a master roller at work.",
        timedelta(days=-8, hours=20),
        3,
        30,
        attendees=22,
        turnout=0.8,
    ),
    _Plan(
        "Lecture: a short history of Champagne",
        EventCategory.LECTURE,
        "The library",
        "From Dom Pérignon to grower Champagne, with a glass to follow.",
        timedelta(days=-3, hours=18),
        2,
        60,
        attendees=26,
    ),
    _Plan(
        "Autumn truffle dinner",
        EventCategory.DINNER,
        "The private dining room",
        "Five courses around the white truffle of Alba. Platinum members and above.",
        timedelta(days=5, hours=19),
        4,
        16,
        price_points=120,
        min_tier="Platinum",
        attendees=6,
    ),
    _Plan(
        "Whisky masterclass",
        EventCategory.TASTING,
        "The bar",
        "Islay and Speyside side by side, with the distillery's ambassador.",
        timedelta(days=9, hours=18),
        2,
        12,
        price_points=60,
        attendees=15,
    ),
    _Plan(
        "Sailing afternoon on the lake",
        EventCategory.OUTDOOR,
        "The harbour pier",
        "A regatta for beginners, then apéritif on deck.",
        timedelta(days=14, hours=13),
        5,
        40,
        attendees=14,
    ),
    _Plan(
        "Lecture: collecting contemporary art",
        EventCategory.LECTURE,
        "The gallery",
        "A gallerist on buying young artists well.",
        timedelta(days=21, hours=18),
        2,
        80,
        attendees=20,
    ),
    _Plan(
        "New Year's salon",
        EventCategory.SALON,
        "The grand salon",
        "Music, oysters and a toast to the new year.",
        timedelta(days=30, hours=20),
        4,
        60,
        price_points=30,
        attendees=25,
    ),
]


async def seed_demo_events(*, progress: Callable[[str], None] | None = None) -> None:
    """The demo's events; does nothing when there are events already."""
    report = progress or (lambda _msg: None)
    if await models.Event.exists():
        return
    rng = random.Random(SEED + 3)
    now = ledger.utcnow().replace(second=0, microsecond=0)
    day = now.replace(hour=0, minute=0)
    staff = {s.email: s for s in await models.Staff.all()}
    manager = staff["events@clubgraph.example"]
    door = staff_viewer(manager.id, StaffRole.EVENT_MANAGER)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    ranks = dict(await models.Tier.all().values_list("name", "rank"))
    tier_rank = dict(await models.Tier.all().values_list("id", "rank"))
    crowd = await models.Member.filter(status=MemberStatus.ACTIVE).exclude(id=demo.id).order_by("id").limit(200)
    # Past events go after the points demo's last entry, so that every balance's history reads in order.
    latest = await models.LedgerEntry.all().order_by("-created_at").first().values_list("created_at", flat=True)
    floor = max(day - timedelta(days=14), (latest or day - timedelta(days=30)) + timedelta(hours=1))
    past_slots = [floor + (now - timedelta(hours=6) - floor) * (n + 1) / 4 for n in range(3)]

    created = []
    for plan in _PLANS:
        starts_at = day + plan.starts_in if plan.starts_in > timedelta(0) else past_slots[len(created)]
        created.append(
            await models.Event.create(
                title=plan.title,
                category=plan.category,
                description=plan.description,
                venue=plan.venue,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=plan.hours),
                capacity=plan.capacity,
                price_points=plan.price_points,
                min_tier_id=(await models.Tier.get(name=plan.min_tier)).id if plan.min_tier else None,
                cancellation_deadline=starts_at - events.DEFAULT_CANCELLATION_NOTICE,
                created_by_id=manager.id,
                created_at=floor,
            )
        )

    async def register(event: models.Event, plan: _Plan, member: models.Member, when: datetime) -> None:
        guests = 1 if tier_rank[member.tier_id] >= 2 and rng.random() < 0.2 else 0
        try:
            await events.register(
                viewer=member_viewer(member.id),
                event_id=event.id,
                member_id=member.id,
                guests=guests,
                idempotency_key=f"demo-event-{event.id}",
                now=when,
            )
        except DomainError:
            pass  # short of points or guest passes: this member stays home, as some would

    # Registrations for past events, in time order, then the door and the ratings.
    for event, plan in zip(created[:3], _PLANS[:3], strict=True):
        when = max(floor, event.starts_at - timedelta(days=3))
        for n, member in enumerate(rng.sample(crowd, min(plan.attendees, len(crowd)))):
            await register(event, plan, member, min(when + timedelta(minutes=n), event.starts_at - timedelta(hours=1)))
    for event, plan in zip(created[:3], _PLANS[:3], strict=True):
        confirmed = await models.EventRegistration.filter(
            event_id=event.id, status=models.RegistrationStatus.CONFIRMED
        ).order_by("id")
        came = [r for r in confirmed if rng.random() < plan.turnout]
        for n, registration in enumerate(came):
            await events.check_in(
                viewer=door, registration_id=registration.id, now=event.starts_at + timedelta(minutes=n)
            )
        for registration in came[: len(came) * 2 // 3]:
            rating = rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0]
            await events.submit_feedback(
                viewer=member_viewer(registration.member_id),
                event_id=event.id,
                rating=rating,
                comment=rng.choice(COMMENTS[rating]),
                now=event.ends_at + timedelta(hours=2),
            )

    # Upcoming: registrations now; the whisky masterclass fills up and keeps a waitlist.
    for event, plan in zip(created[3:], _PLANS[3:], strict=True):
        eligible = [m for m in crowd if not plan.min_tier or tier_rank[m.tier_id] >= ranks[plan.min_tier]]
        for member in rng.sample(eligible, min(plan.attendees, len(eligible))):
            await register(event, plan, member, now)
    sailing = created[5]
    await events.register(
        viewer=member_viewer(demo.id),
        event_id=sailing.id,
        member_id=demo.id,
        guests=1,
        idempotency_key="demo-sailing",
        now=now,
    )
    registrations = await models.EventRegistration.all().count()
    report(f"events: {len(created)}, registrations: {registrations}")
