"""Demo data for customer care: interactions, tasks and upcoming dates for the demo account
manager, then the grading of every member, so that segments and churn risk are filled in.

Dates are relative to the seeding day, so that the demo calendar always has something coming up.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from domain import care, lifecycle, models, points, tasks
from domain.ledger import utcnow
from domain.models import ImportantDateKind, InteractionKind, MemberStatus, StaffRole
from domain.viewer import staff_viewer

SEED = 20261125 + 3
DEMO_MEMBER_EMAIL = "member@clubgraph.example"
DEMO_ACCOUNT_MANAGER_EMAIL = "am@clubgraph.example"

_SUMMARIES = {
    InteractionKind.VISIT: [
        "Dinner with two guests in the private room",
        "Came for the Burgundy tasting, stayed for the cigar lounge",
        "Lunch at the bar, asked about the spring programme",
        "Spa afternoon, then drinks on the terrace",
    ],
    InteractionKind.CALL: [
        "Called to confirm the table for Saturday",
        "Follow-up call after the gala: delighted with the seating",
        "Asked about guest passes for visiting family",
    ],
    InteractionKind.MESSAGE: [
        "WeChat: sent the new wine list",
        "Email: invitation to the members' winter dinner",
    ],
    InteractionKind.GIFT: [
        "Sent a bottle of Pinot Noir for the anniversary",
        "Flowers for the daughter's graduation",
    ],
}


_REVIEW_TASK = "Prepare the quarterly care review"  # its presence says the care demo is loaded


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


async def seed_demo_care(*, progress: Callable[[str], None] | None = None) -> None:
    """Interactions, tasks and upcoming dates of the demo account manager, then the grading; once."""
    if await models.Task.filter(title=_REVIEW_TASK).exists():
        return
    report = progress or (lambda _msg: None)
    rng = random.Random(SEED)
    now = utcnow().replace(microsecond=0)
    today = now.date()
    am = await models.Staff.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    viewer = staff_viewer(am.id, StaffRole.ACCOUNT_MANAGER)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    theirs = (
        await models.Member.filter(account_manager_id=am.id, status=MemberStatus.ACTIVE)
        .exclude(id=demo.id)
        .order_by("id")
        .limit(12)
    )

    # Interactions, oldest first, so that each visit grades the member as it happened in time.
    planned: list[tuple[datetime, models.Member, InteractionKind]] = [
        (_at(today - timedelta(days=days), hour), demo, kind)
        for days, hour, kind in (
            (200, 19, InteractionKind.VISIT),
            (120, 11, InteractionKind.CALL),
            (75, 20, InteractionKind.VISIT),
            (40, 10, InteractionKind.GIFT),
            (21, 13, InteractionKind.VISIT),
            (9, 16, InteractionKind.MESSAGE),
            (2, 20, InteractionKind.VISIT),
        )
    ]
    for member in theirs:
        for _ in range(rng.randint(1, 4)):
            kind = rng.choices(list(_SUMMARIES), weights=[5, 3, 2, 1])[0]
            planned.append((_at(today - timedelta(days=rng.randint(1, 330)), rng.randint(9, 21)), member, kind))
    # Two regulars who come every fortnight: valued members for the segments to show.
    for member in theirs[:2]:
        planned += [
            (_at(today - timedelta(days=days), 19), member, InteractionKind.VISIT) for days in range(4, 360, 14)
        ]
    for when, member, kind in sorted(planned, key=lambda plan: (plan[0], plan[1].id)):
        await care.record_interaction(
            viewer=viewer, member_id=member.id, kind=kind, summary=rng.choice(_SUMMARIES[kind]), occurred_at=when, now=now
        )
    report(f"care: {len(planned)} interactions")

    # Dates coming up in the next two weeks, so that the demo calendar is never empty.
    upcoming = [
        (demo, ImportantDateKind.CUSTOM, "Son's graduation anniversary", 4, 3),
        *[
            (member, kind, label, days_ahead, rng.randint(3, 30))
            for member, (kind, label, days_ahead) in zip(
                theirs,
                [
                    (ImportantDateKind.ANNIVERSARY, "Wedding anniversary", 1),
                    (ImportantDateKind.CUSTOM, "Spouse's birthday", 6),
                    (ImportantDateKind.ANNIVERSARY, "Company founding", 10),
                    (ImportantDateKind.CUSTOM, "Mother's birthday", 13),
                ],
                strict=False,
            )
        ],
    ]
    for member, kind, label, days_ahead, years in upcoming:
        on = today + timedelta(days=days_ahead)
        on = on - timedelta(days=1) if (on.month, on.day) == (2, 29) else on
        await models.ImportantDate.create(member_id=member.id, kind=kind, label=label, date=on.replace(year=on.year - years))
    for member, days_ahead in zip(theirs[4:7], (3, 8, 12), strict=False):
        on = today + timedelta(days=days_ahead)
        on = on - timedelta(days=1) if (on.month, on.day) == (2, 29) else on
        await models.Member.filter(id=member.id).update(birthday=on.replace(year=on.year - rng.randint(28, 70)))
    report("care: upcoming dates")

    # A few open tasks, and one already done.
    for member, title, due_in in (
        (demo, "Reserve the corner table for her anniversary dinner", 5),
        (theirs[0] if theirs else None, "Send the spring programme", 2),
        (theirs[1] if len(theirs) > 1 else None, "Call back about guest passes", 1),
        (None, _REVIEW_TASK, 10),
    ):
        await tasks.create_task(
            viewer=viewer,
            member_id=member.id if member else None,
            title=title,
            due_at=_at(today + timedelta(days=due_in), 10),
            now=now,
        )
    done = await tasks.create_task(
        viewer=viewer, member_id=demo.id, title="Thank her for the referral", due_at=now + timedelta(hours=1), now=now
    )
    await tasks.complete_task(viewer=viewer, task_id=done.id, outcome="Called: she was delighted", now=now)

    if theirs:
        # The first regular also spends: the demo's core member.
        await points.record_purchase(
            viewer=viewer, member_id=theirs[0].id, amount=Decimal("9200.00"), currency="CHF", outlet="Boutique",
            external_reference="DEMO-CARE-1", idempotency_key="demo-care-purchase-1", now=now,
        )

    graded = await lifecycle.recompute_all(now=now)
    greetings = await care.raise_birthday_greetings(today=today, now=now)
    report(f"care: {graded} members graded, {greetings} birthday greetings")
