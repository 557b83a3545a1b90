"""The care calendar: next occurrences in a window of days, across the new year and 29 February,
within an account manager's scope; and the birthday greetings raised from it."""

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest

from domain import care, models, tasks
from domain.errors import DomainError, PermissionDenied
from domain.viewer import staff_viewer
from tests.factories import make_important_date, make_member, make_staff, make_tiers


def viewer_of(staff: models.Staff):
    return staff_viewer(staff.id, staff.role)


async def a_boss():
    await make_tiers()
    return viewer_of(await make_staff(models.StaffRole.CLUB_MANAGER))


def summary(entries):
    return [(entry.date, entry.days_away, entry.kind.value, entry.label, entry.years) for entry in entries]


async def page(viewer, today, days=14, account_manager_id=None, limit=100, after=None):
    return await care.calendar_page(
        viewer=viewer, days=days, account_manager_id=account_manager_id, limit=limit, after=after, today=today
    )


def test_the_window_maps_month_days_to_days_away():
    assert care.window(date(2026, 12, 30), 4) == {"1230": 0, "1231": 1, "0101": 2, "0102": 3}
    # 2027 is not a leap year: 28 February also stands for the 29th
    assert care.window(date(2027, 2, 27), 3) == {"0227": 0, "0228": 1, "0229": 1, "0301": 2}
    assert care.window(date(2028, 2, 27), 3) == {"0227": 0, "0228": 1, "0229": 2}
    # a whole year: today's month and day once, at 0
    assert len(care.window(date(2026, 11, 25), 366)) == 366
    assert care.window(date(2026, 11, 25), 366)["1125"] == 0


async def test_birthdays_and_dates_across_the_new_year_in_order():
    # given
    boss = await a_boss()
    ann = await make_member(name="Ann", birthday=date(1980, 1, 2))
    bob = await make_member(name="Bob", birthday=date(1990, 12, 31))
    await make_important_date(bob, kind=models.ImportantDateKind.ANNIVERSARY, label="Wedding", date=date(2010, 1, 2))
    await make_important_date(ann, kind=models.ImportantDateKind.CUSTOM, label="Son's birthday", date=date(2012, 1, 2))
    await make_member(name="Cid", birthday=date(1985, 1, 4))  # beyond the window
    await make_member(name="Dee", birthday=date(1985, 12, 29))  # just passed
    await make_member(name="Eve", birthday=date(1985, 12, 30), status=models.MemberStatus.SUSPENDED)
    # when
    entries = await page(boss, date(2026, 12, 30), days=4)
    # then
    assert summary(entries) == [
        (date(2026, 12, 31), 1, "birthday", "Birthday", 36),
        (date(2027, 1, 2), 3, "birthday", "Birthday", 47),
        (date(2027, 1, 2), 3, "anniversary", "Wedding", 17),
        (date(2027, 1, 2), 3, "custom", "Son's birthday", 15),
    ]
    assert [entry.member_id for entry in entries] == [bob.id, ann.id, bob.id, ann.id]
    assert await care.calendar_count(viewer=boss, days=4, account_manager_id=None, today=date(2026, 12, 30)) == 4


async def test_today_is_included_and_a_date_in_the_future_has_no_years_yet():
    # given
    boss = await a_boss()
    member = await make_member(birthday=date(1980, 11, 25))
    await make_important_date(member, kind=models.ImportantDateKind.CUSTOM, label="Graduation", date=date(2026, 11, 26))
    # when
    entries = await page(boss, date(2026, 11, 25), days=2)
    # then
    assert summary(entries) == [
        (date(2026, 11, 25), 0, "birthday", "Birthday", 46),
        (date(2026, 11, 26), 1, "custom", "Graduation", None),
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 2, 27), [(date(2027, 2, 28), 1, "birthday", "Birthday", 23)]),  # not a leap year
        (date(2028, 2, 27), [(date(2028, 2, 29), 2, "birthday", "Birthday", 24)]),
        (date(2028, 2, 29), [(date(2028, 2, 29), 0, "birthday", "Birthday", 24)]),
        (date(2027, 3, 1), []),
    ],
)
async def test_29_february_falls_on_28_february_in_other_years(today, expected):
    # given
    boss = await a_boss()
    await make_member(birthday=date(2004, 2, 29))
    # when
    entries = await page(boss, today, days=3)
    # then
    assert summary(entries) == expected


async def test_pages_follow_the_key():
    # given: five birthdays on the same day
    boss = await a_boss()
    members = [await make_member(birthday=date(1980, 6, 1)) for _ in range(5)]
    today = date(2026, 5, 30)
    # when
    first = await page(boss, today, limit=2)
    second = await page(boss, today, limit=2, after=first[-1].key)
    rest = await page(boss, today, limit=2, after=second[-1].key)
    # then
    assert [entry.member_id for entry in first + second + rest] == [member.id for member in members]


@pytest.mark.parametrize("days", [0, 367, -1])
async def test_days_out_of_bounds_are_refused(days):
    boss = await a_boss()
    with pytest.raises(DomainError) as refusal:
        await page(boss, date(2026, 1, 1), days=days)
    assert (refusal.value.field, refusal.value.message) == ("days", "`days` must be between 1 and 366")


async def test_an_account_manager_sees_their_own_members_only():
    # given
    await make_tiers()
    mine, theirs = await make_staff(models.StaffRole.ACCOUNT_MANAGER), await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    own = await make_member(birthday=date(1980, 6, 1), account_manager_id=mine.id)
    await make_member(birthday=date(1980, 6, 1), account_manager_id=theirs.id)
    await make_member(birthday=date(1980, 6, 1))
    today = date(2026, 6, 1)
    # when
    entries = await page(viewer_of(mine), today)
    also = await page(viewer_of(mine), today, account_manager_id=mine.id)
    # then
    assert [entry.member_id for entry in entries] == [own.id]
    assert [entry.member_id for entry in also] == [own.id]
    with pytest.raises(PermissionDenied):
        await page(viewer_of(mine), today, account_manager_id=theirs.id)


async def test_the_club_manager_sees_everyone_or_one_account_manager():
    # given
    boss = await a_boss()
    am = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    managed = await make_member(birthday=date(1980, 6, 1), account_manager_id=am.id)
    unmanaged = await make_member(birthday=date(1980, 6, 2))
    today = date(2026, 6, 1)
    # when
    everyone = await page(boss, today)
    theirs = await page(boss, today, account_manager_id=am.id)
    # then
    assert [entry.member_id for entry in everyone] == [managed.id, unmanaged.id]
    assert [entry.member_id for entry in theirs] == [managed.id]


@pytest.mark.parametrize("role", [models.StaffRole.FRONT_DESK, models.StaffRole.EVENT_MANAGER, models.StaffRole.PARTNER_MANAGER])
async def test_staff_without_care_read_are_refused(role):
    await make_tiers()
    staff = await make_staff(role)
    with pytest.raises(PermissionDenied):
        await page(viewer_of(staff), date(2026, 6, 1))


# --- birthday greetings -----------------------------------------------------------------------


async def test_birthday_greetings_are_raised_once_for_members_with_an_account_manager():
    # given: today is 25 November, greetings go out 7 days ahead
    await make_tiers()
    am = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    in_a_week = await make_member(name="Wes", birthday=date(1980, 12, 2), account_manager_id=am.id)
    today_too = await make_member(name="Tia", birthday=date(1990, 11, 25), account_manager_id=am.id)
    await make_member(birthday=date(1980, 12, 3), account_manager_id=am.id)  # 8 days: not yet
    await make_member(birthday=date(1980, 12, 1))  # no account manager
    await make_member(birthday=date(1980, 12, 1), account_manager_id=am.id, status=models.MemberStatus.RESIGNED)
    now = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)
    # when
    raised = await care.raise_birthday_greetings(today=now.date(), now=now)
    again = await care.raise_birthday_greetings(today=now.date(), now=now + timedelta(hours=1))
    # then
    assert (raised, again) == (2, 0)
    tasks = await models.Task.all().order_by("due_at").values(
        "kind", "source_key", "title", "notes", "due_at", "member_id", "assignee_id", "created_at"
    )
    assert tasks == [
        {
            "kind": models.TaskKind.BIRTHDAY_GREETING,
            "source_key": f"birthday-greeting:{today_too.id}:2026",
            "title": "Birthday greeting: Tia",
            "notes": "Birthday on 25 November, 36 years",
            "due_at": datetime(2026, 11, 25, 9, tzinfo=timezone.utc),
            "member_id": today_too.id,
            "assignee_id": am.id,
            "created_at": now,
        },
        {
            "kind": models.TaskKind.BIRTHDAY_GREETING,
            "source_key": f"birthday-greeting:{in_a_week.id}:2026",
            "title": "Birthday greeting: Wes",
            "notes": "Birthday on 02 December, 46 years",
            "due_at": datetime(2026, 12, 2, 9, tzinfo=timezone.utc),
            "member_id": in_a_week.id,
            "assignee_id": am.id,
            "created_at": now,
        },
    ]


async def test_the_greeting_job_runs_through_the_app_jobs():
    # given
    from api.jobs import run_jobs_once

    await make_tiers()
    am = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    await make_member(birthday=date(1980, 12, 2), account_manager_id=am.id)
    now = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)
    # when
    done = await run_jobs_once(now=now)
    again = await run_jobs_once(now=now)
    # then
    assert (done["birthday_greetings_raised"], again["birthday_greetings_raised"]) == (1, 0)
    assert (done["members_graded"], again["members_graded"]) == (1, 1)
    assert await models.Task.filter(kind=models.TaskKind.BIRTHDAY_GREETING).count() == 1


async def test_a_task_raised_again_is_the_same_task_and_not_created_twice():
    # given
    await make_tiers()
    member = await make_member()
    now = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)
    fields = dict(
        kind=models.TaskKind.BIRTHDAY_GREETING, title="Birthday greeting", due_at=now + timedelta(days=2),
        member_id=member.id, assignee_id=None,
    )
    # when
    first = await tasks.raise_task(source_key="occasion:1", now=now, **fields)
    again = await tasks.raise_task(source_key="occasion:1", now=now + timedelta(hours=1), **fields)
    # then
    assert (first.created, again.created) == (True, False)
    assert first.task.id == again.task.id
    assert (again.task.status, again.task.outcome, again.task.created_at) == (models.TaskStatus.OPEN, "", now)
    assert await models.Task.all().count() == 1


async def test_two_greeting_runs_at_once_count_each_task_once():
    # given: three birthdays in the window, and two replicas running the job at the same moment
    await make_tiers()
    am = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    for day in (25, 27, 30):
        await make_member(birthday=date(1980, 11, day), account_manager_id=am.id)
    now = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)
    # when
    counts = await asyncio.gather(*(care.raise_birthday_greetings(today=now.date(), now=now) for _ in range(2)))
    # then: each task is counted by the one run that created it
    assert sum(counts) == 3
    assert await models.Task.filter(kind=models.TaskKind.BIRTHDAY_GREETING).count() == 3
