"""Deterministic demo data: tiers, benefits, staff, the demo member, a crowd of invented members, points, and
the events, feedback and care seeded by `seed_events`, `seed_feedback` and `seed_care`."""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain import models
from domain.models import (
    ConsentPurpose,
    ConsentSource,
    Gender,
    ImportantDateKind,
    MemberStatus,
    PreferenceCategory as Cat,
    QuotaPeriod,
    StaffRole,
    TierChangeSource,
)
from domain.passwords import hash_password

SEED = 20261125
REFERENCE_DATE = date(2026, 11, 1)
BATCH_SIZE = 1000
_REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

DEMO_MEMBER_EMAIL = "member@clubgraph.example"
DEMO_MEMBER_PASSWORD = "member-demo"

# (email, password, name, role); the first account manager looks after the demo member.
_STAFF = [
    ("manager@clubgraph.example", "manager-demo", "周静怡", StaffRole.CLUB_MANAGER),
    ("frontdesk@clubgraph.example", "frontdesk-demo", "Lukas Brunner", StaffRole.FRONT_DESK),
    ("am@clubgraph.example", "am-demo", "王嘉怡", StaffRole.ACCOUNT_MANAGER),
    ("am2@clubgraph.example", "am-demo", "Amélie Rossi", StaffRole.ACCOUNT_MANAGER),
    ("am3@clubgraph.example", "am-demo", "黄志明", StaffRole.ACCOUNT_MANAGER),
    ("events@clubgraph.example", "events-demo", "Sofia Okafor", StaffRole.EVENT_MANAGER),
    ("partners@clubgraph.example", "partners-demo", "Daniel 陈", StaffRole.PARTNER_MANAGER),
    ("admin@clubgraph.example", "admin-demo", "李文博", StaffRole.ADMINISTRATOR),
]

DEMO_LOGINS: list[tuple[str, str, str]] = [("Member", DEMO_MEMBER_EMAIL, DEMO_MEMBER_PASSWORD)] + [
    (role.value.replace("_", " ").capitalize(), email, password)
    for email, password, _, role in _STAFF
    if email not in ("am2@clubgraph.example", "am3@clubgraph.example")
]

# (name, description, qualification: any one threshold met within 12 months); Silver is for everyone.
_TIERS = [
    ("Silver", "The entry tier: club access and member pricing.", {}),
    ("Gold", "For regulars: guest passes, priority booking and a birthday gift.",
     {"qualifying_points": 2_000, "qualifying_spend": Decimal(20_000), "qualifying_visits": 12}),
    ("Platinum", "Lounge access, private gallery visits and a sommelier on call.",
     {"qualifying_points": 6_000, "qualifying_spend": Decimal(60_000), "qualifying_visits": 30}),
    ("Diamond", "The full house: chauffeur service and unlimited priority, by invitation.",
     {"qualifying_points": 15_000, "qualifying_spend": Decimal(150_000), "qualifying_visits": 60, "grace_days": 60}),
]
_MULTIPLIERS = [Decimal("1.00"), Decimal("1.25"), Decimal("1.50"), Decimal("2.00")]
_GUEST_PASSES = [2, 4, 6, 12]
# (code, name, description, lowest rank that gets it, quota, quota period); no quota means unlimited
_EXTRA_BENEFITS = [
    ("birthday_gift", "Birthday gift", "A gift in the member's birthday month.", 2, 1, QuotaPeriod.YEAR),
    ("priority_booking", "Priority booking", "Tables and events open to you before everyone else.", 2, None, None),
    ("private_gallery_visit", "Private gallery visit", "An after-hours visit with a curator.", 3, 1, QuotaPeriod.YEAR),
    ("lounge_access", "Lounge access", "The members' lounge, any day of the week.", 3, None, None),
    ("sommelier_consultation", "Sommelier consultation", "Time with the head sommelier.", 3, 2, QuotaPeriod.YEAR),
    ("chauffeur_service", "Chauffeur service", "A driver to and from the club.", 4, 2, QuotaPeriod.MONTH),
]

# (hanzi, pinyin)
_CN_SURNAMES = [("林", "lin"), ("陈", "chen"), ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"),
                ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"),
                ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"),
                ("高", "gao"), ("罗", "luo"), ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie")]
_CN_GIVEN = {
    Gender.FEMALE: [("婉清", "wanqing"), ("雨桐", "yutong"), ("静怡", "jingyi"), ("诗涵", "shihan"),
                    ("梦瑶", "mengyao"), ("欣然", "xinran"), ("佳琪", "jiaqi"), ("若曦", "ruoxi"),
                    ("晓彤", "xiaotong"), ("慧敏", "huimin"), ("雅琴", "yaqin"), ("美玲", "meiling")],
    Gender.MALE: [("思远", "siyuan"), ("浩然", "haoran"), ("子轩", "zixuan"), ("俊杰", "junjie"),
                  ("志强", "zhiqiang"), ("宇航", "yuhang"), ("博文", "bowen"), ("明哲", "mingzhe"),
                  ("建国", "jianguo"), ("天佑", "tianyou"), ("嘉豪", "jiahao"), ("文涛", "wentao")],
}
_LATIN_FIRST = {
    Gender.FEMALE: ["Amélie", "Chiara", "Ingrid", "Leila", "Sofia", "Nadia", "Charlotte", "Aiko", "Mariana",
                    "Elena", "Zoe", "Freya", "Amara", "Isabel", "Hanna", "Priya"],
    Gender.MALE: ["Lukas", "Matteo", "Olivier", "Rafael", "Tobias", "Henrik", "Kwame", "Arjun", "Nikolai",
                  "Samuel", "Julien", "Andrés", "Felix", "Omar", "Thomas", "Kenji"],
}
_LATIN_LAST = ["Müller", "Rossi", "Dubois", "Fernández", "Okafor", "Lindqvist", "Nakamura", "Kowalski",
               "Brunner", "Moreau", "Haddad", "Costa", "O'Neill", "Van der Berg", "Schmid", "Petrov",
               "Mehta", "Keller", "Santos", "Andersen", "Bianchi", "Weber", "Novak", "Laurent"]
_ASCII = str.maketrans("üéáèöäó", "ueaeoao", "' ")

_PREFERENCES: dict[Cat, list[str]] = {
    Cat.FOOD: ["No shellfish", "Vegetarian", "Gluten-free", "Loves oysters", "不吃辣", "Lactose intolerant"],
    Cat.DRINK: ["Burgundy, Pinot Noir", "Single malt, no ice", "Champagne on arrival", "不喝酒", "Oolong tea"],
    Cat.SEATING: ["Corner table by the window", "Quiet booth", "Terrace when warm", "靠窗的位置"],
    Cat.LIGHTING: ["Dim", "Bright, reads the menu without glasses", "Candlelight"],
    Cat.MUSIC: ["Jazz", "Classical", "No music at the table", "Bossa nova"],
    Cat.CONTACT_CHANNEL: ["WeChat", "Email", "Phone call", "WhatsApp", "SMS"],
    Cat.CONTACT_HOURS: ["After 18:00", "Mornings only", "Weekdays 9:00-12:00", "Never on Sundays"],
    Cat.INTEREST: ["Contemporary art", "Golf", "Wine collecting", "Classical music", "书法", "Sailing"],
    Cat.TABOO: ["Never seat near the kitchen", "Do not mention business at dinner", "No white flowers"],
    Cat.SPECIAL_NEED: ["Wheelchair access", "Hearing loop", "Allergy kit at the table"],
    Cat.NOTE: ["Prefers to be addressed in Mandarin", "Usually brings a guest", "喜欢安静", "Use the title Dr."],
}
_IMPORTANT_LABELS = {
    ImportantDateKind.ANNIVERSARY: ["Wedding anniversary", "Company founding", "Arrival in Switzerland"],
    ImportantDateKind.CUSTOM: ["Spouse's birthday", "Daughter's birthday", "Son's graduation", "Mother's birthday"],
}


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def _referral_codes(rng: random.Random, count: int) -> list[str]:
    codes: dict[str, None] = {}  # a dict keeps the draw order, so the result is deterministic
    while len(codes) < count:
        codes["".join(rng.choices(_REFERRAL_ALPHABET, k=8))] = None
    return list(codes)


def _invented_person(rng: random.Random, n: int) -> tuple[str, str, Gender]:
    """(name, email, gender) for the n-th member; n keeps the email unique."""
    gender = rng.choices(list(Gender), weights=[48, 46, 2, 4])[0]
    name_gender = gender if gender in (Gender.FEMALE, Gender.MALE) else rng.choice([Gender.FEMALE, Gender.MALE])
    if rng.random() < 0.5:
        (surname, surname_py), (given, given_py) = rng.choice(_CN_SURNAMES), rng.choice(_CN_GIVEN[name_gender])
        return surname + given, f"{given_py}.{surname_py}.{n}@example.com", gender
    first, last = rng.choice(_LATIN_FIRST[name_gender]), rng.choice(_LATIN_LAST)
    local = f"{first}.{last}".lower().translate(_ASCII)
    return f"{first} {last}", f"{local}.{n}@example.com", gender


async def seed_demo(*, members: int = 240, progress: Callable[[str], None] | None = None) -> bool:
    """Load the demo data into an empty database; False, touching nothing, when tiers already exist."""
    report = progress or (lambda _msg: None)
    if await models.Tier.exists():
        return False
    rng = random.Random(SEED)
    # Argon2 is deliberately slow: hash each distinct password once, outside the transaction.
    hashes = {pw: hash_password(pw) for pw in sorted({pw for _, pw, _, _ in _STAFF} | {DEMO_MEMBER_PASSWORD})}
    codes = _referral_codes(rng, max(members, 1))  # the demo member always exists

    async with in_transaction():
        tiers = [await models.Tier.create(name=name, rank=rank, description=description, **rule)
                 for rank, (name, description, rule) in enumerate(_TIERS, start=1)]
        benefits = []
        for tier in tiers:
            benefits.append(models.Benefit(
                tier=tier, code="points_multiplier", name="Points multiplier", value=_MULTIPLIERS[tier.rank - 1],
                description="Points earned on every spend are multiplied by this factor."))
            if tier.rank >= 2:
                benefits.append(models.Benefit(
                    tier=tier, code="guest_pass", name="Guest pass", quota=_GUEST_PASSES[tier.rank - 1],
                    quota_period=QuotaPeriod.YEAR, description="Bring a guest for the day."))
            for code, name, description, min_rank, quota, period in _EXTRA_BENEFITS:
                if tier.rank >= min_rank:
                    benefits.append(models.Benefit(tier=tier, code=code, name=name, description=description,
                                                   quota=quota, quota_period=period))
        await models.Benefit.bulk_create(benefits)
        report("tiers and benefits")

        staff = {email: await models.Staff.create(email=email, password_hash=hashes[pw], name=name, role=role)
                 for email, pw, name, role in _STAFF}
        account_managers = [s for s in staff.values() if s.role is StaffRole.ACCOUNT_MANAGER]
        # Preferences are noted by the people who actually talk to members.
        noters = [*account_managers, staff["frontdesk@clubgraph.example"]]
        report("staff")

        # Created alone and first so it is the lowest member id, which the demo and tests rely on.
        gold, demo_am, desk = tiers[1], staff["am@clubgraph.example"], staff["frontdesk@clubgraph.example"]
        demo = await models.Member.create(
            email=DEMO_MEMBER_EMAIL, password_hash=hashes[DEMO_MEMBER_PASSWORD], name="宋雅琳",
            gender=Gender.FEMALE, phone="+41445550123", birthday=date(1984, 3, 17), joined_on=date(2021, 5, 12),
            tier=gold, account_manager=demo_am, referral_code=codes[0])
        preferences = [
            models.MemberPreference(member=demo, category=Cat.DRINK, value="Burgundy, Pinot Noir", noted_by=demo_am),
            models.MemberPreference(member=demo, category=Cat.SEATING, value="Corner table by the window",
                                    noted_by=desk),
            models.MemberPreference(member=demo, category=Cat.FOOD, value="No shellfish"),
            models.MemberPreference(member=demo, category=Cat.CONTACT_CHANNEL, value="WeChat"),
            models.MemberPreference(member=demo, category=Cat.NOTE, value="Prefers to be addressed in Mandarin",
                                    noted_by=demo_am),
            models.MemberPreference(member=demo, category=Cat.NOTE, is_private=True, noted_by=demo_am,
                                    value="Discreet about her visits: never confirm her presence to callers"),
        ]
        dates = [
            models.ImportantDate(member=demo, kind=ImportantDateKind.ANNIVERSARY, label="Wedding anniversary",
                                 date=date(2012, 9, 8)),
            models.ImportantDate(member=demo, kind=ImportantDateKind.CUSTOM, label="Daughter's birthday",
                                 date=date(2015, 6, 21)),
        ]
        consents = [
            models.Consent(member=demo, purpose=purpose, granted=granted, source=ConsentSource.WEB,
                           recorded_at=_at_noon(demo.joined_on))
            for purpose, granted in zip(ConsentPurpose, (True, True, False))
        ]
        tier_changes = [models.TierChange(member=demo, to_tier=gold, source=TierChangeSource.ENROLMENT,
                                          reason="Enrolment")]

        # Children are drawn now but attached after the bulk insert, once member ids are known.
        pending: dict[str, tuple[list[models.MemberPreference], list[models.ImportantDate], list[models.Consent]]] = {}
        crowd: list[models.Member] = []
        assigned = 0
        for n in range(1, members):
            name, email, gender = _invented_person(rng, n)
            joined_on = REFERENCE_DATE - timedelta(days=rng.randint(0, 8 * 365))
            tier = rng.choices(tiers, weights=[55, 28, 12, 5])[0]
            manager = None
            if rng.random() < 0.8:
                manager, assigned = account_managers[assigned % len(account_managers)], assigned + 1
            crowd.append(models.Member(
                email=email, name=name, gender=gender, phone=f"+4179{n:07d}", joined_on=joined_on,
                birthday=None if rng.random() < 0.1 else _random_date(rng, date(1950, 1, 1), date(2003, 12, 31)),
                status=rng.choices(list(MemberStatus), weights=[94, 4, 2])[0],
                tier=tier, account_manager=manager, referral_code=codes[n]))
            prefs = []
            for category in rng.sample(list(_PREFERENCES), rng.randint(0, 4)):
                prefs.append(models.MemberPreference(
                    category=category, value=rng.choice(_PREFERENCES[category]),
                    noted_by=rng.choice(noters) if rng.random() < 0.5 else None,
                    is_private=category in (Cat.NOTE, Cat.TABOO) and rng.random() < 0.4))
            important = [
                models.ImportantDate(kind=kind, label=rng.choice(_IMPORTANT_LABELS[kind]),
                                     date=_random_date(rng, date(1975, 1, 1), date(2026, 10, 31)))
                for kind in rng.sample(list(ImportantDateKind), rng.choice([0, 0, 1, 1, 2]))
            ]
            member_consents = []
            if rng.random() < 0.6:
                recorded_at = _at_noon(joined_on) + timedelta(minutes=rng.randint(0, 600))
                source = rng.choice(list(ConsentSource))
                member_consents = [
                    models.Consent(purpose=purpose, granted=rng.random() < 0.6, source=source, recorded_at=recorded_at)
                    for purpose in ConsentPurpose
                    if rng.random() < 0.8
                ]
            pending[email] = (prefs, important, member_consents)
        for start in range(0, len(crowd), BATCH_SIZE):
            await models.Member.bulk_create(crowd[start:start + BATCH_SIZE])
            report(f"members {min(start + BATCH_SIZE, len(crowd)) + 1}/{members}")

        # bulk_create does not hand ids back on every backend, so read them by the unique email.
        tier_of = {m.email: m.tier for m in crowd}
        for member_id, email in await models.Member.all().order_by("id").values_list("id", "email"):
            if email == DEMO_MEMBER_EMAIL:
                continue
            prefs, important, member_consents = pending[email]
            for child in (*prefs, *important, *member_consents):
                child.member_id = member_id
            preferences += prefs
            dates += important
            consents += member_consents
            tier_changes.append(models.TierChange(member_id=member_id, to_tier=tier_of[email],
                                                  source=TierChangeSource.ENROLMENT, reason="Enrolment"))
        for label, model, rows in (("preferences", models.MemberPreference, preferences),
                                   ("important dates", models.ImportantDate, dates),
                                   ("consents", models.Consent, consents),
                                   ("tier history", models.TierChange, tier_changes)):
            await model.bulk_create(rows, batch_size=BATCH_SIZE)
            report(f"{label}: {len(rows)}")
    await seed_demo_points(progress=report)
    await _seed_demo_crm(progress=report)
    return True


async def _seed_demo_crm(*, progress: Callable[[str], None]) -> None:
    """Events, then feedback about them, then care, whose grading sees every visit and purchase before it."""
    # Imported here: they import the points and members modules, which are not needed at start-up.
    from domain.seed_care import seed_demo_care
    from domain.seed_events import seed_demo_events
    from domain.seed_feedback import seed_demo_feedback

    await seed_demo_events(progress=progress)
    await seed_demo_feedback(progress=progress)
    await seed_demo_care(progress=progress)




async def seed_demo_points(*, progress: Callable[[str], None] | None = None) -> None:
    """Points for the demo, written through the points module as the apps would: purchases (some under
    a campaign, some referred), a refund, a transfer each way, a goodwill adjustment, a birthday bonus,
    a redemption and expired points, so that every balance has a history that explains it."""
    from domain import ledger, points  # points imports the members and tiers modules: not at start-up
    from domain.viewer import member_viewer, staff_viewer

    report = progress or (lambda _msg: None)
    rng = random.Random(SEED + 1)
    staff = {s.email: s for s in await models.Staff.all()}
    desk = staff_viewer(staff["frontdesk@clubgraph.example"].id, StaffRole.FRONT_DESK)
    boss = staff_viewer(staff["manager@clubgraph.example"].id, StaffRole.CLUB_MANAGER)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    crowd = await models.Member.filter(status=MemberStatus.ACTIVE).exclude(id=demo.id).order_by("id").limit(80)
    friend = crowd[0]
    await models.Campaign.create(
        name="Spring tasting weeks", starts_at=_at_noon(date(2026, 3, 1)), ends_at=_at_noon(date(2026, 4, 1)),
        bonus_multiplier=Decimal("1.00"), cap_per_member=500, cap_total=20_000)
    await models.Campaign.create(
        name="Year-end double points", starts_at=_at_noon(date(2026, 11, 15)), ends_at=_at_noon(date(2027, 1, 15)),
        bonus_multiplier=Decimal("1.00"), cap_per_member=2_000, cap_total=500_000)
    # The demo member referred the first few, whose first purchases reward her.
    await models.Member.filter(id__in=[m.id for m in crowd[:4]]).update(referred_by_id=demo.id)

    receipts = itertools.count(1)

    def buy(member: models.Member, amount: str, outlet: str) -> Callable[[datetime], Awaitable[object]]:
        n = next(receipts)
        return lambda when: points.record_purchase(
            viewer=desk, member_id=member.id, amount=Decimal(amount), currency="CHF", outlet=outlet,
            external_reference=f"DEMO-{n:05d}", idempotency_key=f"demo-purchase-{n}", now=when)

    def days_ago(days: int, hour: int = 12) -> datetime:
        return datetime.combine(REFERENCE_DATE - timedelta(days=days), time(hour), tzinfo=timezone.utc)

    async def refund_last(when: datetime) -> object:
        last = await models.Purchase.filter(member_id=demo.id).order_by("-created_at").first()
        assert last is not None
        return await points.refund_purchase(
            viewer=boss, purchase_id=last.id, amount=Decimal("140.00"), idempotency_key="demo-refund", now=when)

    # (when, what): run in time order, so that each entry's balance and time agree with the ones before.
    events: list[tuple[datetime, Callable[[datetime], Awaitable[object]]]] = [
        (days_ago(800), buy(demo, "480.00", "Restaurant")),
        (days_ago(700), buy(demo, "1250.00", "Wine cellar")),
        (days_ago(420), buy(demo, "320.50", "Spa")),
        (days_ago(250), buy(demo, "2400.00", "Boutique")),
        (_at_noon(date(2026, 3, 17)), lambda when: points.award_birthday_bonus(member_id=demo.id, year=2026, now=when)),
        (days_ago(240), buy(demo, "185.00", "Cigar lounge")),
        (days_ago(150), buy(demo, "640.00", "Restaurant")),
        (days_ago(61), lambda when: ledger.expire_due_lots(now=when)),
        (days_ago(60), refund_last),
        (days_ago(40), lambda when: points.transfer_points(
            viewer=member_viewer(demo.id), from_member_id=demo.id, to_member_id=friend.id, points=300,
            note="For your birthday dinner", idempotency_key="demo-gift", now=when)),
        (days_ago(30), lambda when: points.transfer_points(
            viewer=member_viewer(friend.id), from_member_id=friend.id, to_member_id=demo.id, points=150,
            note="Thank you for the wine", idempotency_key="demo-thanks", now=when)),
        (days_ago(20), lambda when: points.adjust_points(
            viewer=boss, member_id=demo.id, points=250, reason="Goodwill: the private room was double-booked",
            idempotency_key="demo-goodwill", now=when)),
        (days_ago(15), lambda when: ledger.debit(
            member_id=demo.id, points=800, kind=models.EntryKind.REDEEM, now=when,
            fields=ledger.EntryFields(source=models.EntrySource.REDEMPTION, reason="Sommelier dinner for two"))),
        (days_ago(0), lambda when: ledger.expire_due_lots(now=when)),
    ]
    outlets = ["Restaurant", "Wine cellar", "Cigar lounge", "Spa", "Boutique"]
    for member in crowd:
        for _ in range(rng.randint(1, 3)):
            amount = f"{rng.randint(45, 2400)}.{rng.choice(['00', '50', '90'])}"
            when = days_ago(rng.randint(70, 600), rng.randint(9, 22))
            events.append((when, buy(member, amount, rng.choice(outlets))))
    for when, event in sorted(events, key=lambda event: event[0]):
        await event(when)
    report(f"points: {await models.Purchase.all().count()} purchases, {await models.LedgerEntry.all().count()} entries")
