"""careCalendar: upcoming birthdays and important dates, by account manager, page by page."""

from datetime import date, datetime, timedelta, timezone

import pytest

from domain import models
from tests.factories import (
    gid,
    gql,
    make_important_date,
    make_member,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

CALENDAR = """
query($days: Int, $accountManagerId: ID, $first: Int, $after: String) {
  careCalendar(days: $days, accountManagerId: $accountManagerId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { date daysAway kind label years member { name } } }
  }
}
"""


def today() -> date:
    return datetime.now(timezone.utc).date()


def born(days_ahead: int, year: int = 1980) -> date:
    """A date in `year` whose next occurrence is `days_ahead` days from today (29 February avoided)."""
    on = today() + timedelta(days=days_ahead)
    if (on.month, on.day) == (2, 29):
        on = on - timedelta(days=1)
    return on.replace(year=year)


async def calendar(client, token, **variables):
    return await gql(client, CALENDAR, variables, token=token)


def nodes(result):
    return [edge["node"] for edge in result["data"]["careCalendar"]["edges"]]


async def a_book_of_dates():
    await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    other = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    ann = await make_member(name="Ann", birthday=born(0), account_manager_id=manager.id)
    await make_important_date(ann, kind=models.ImportantDateKind.ANNIVERSARY, label="Wedding", date=born(3, 2010))
    await make_member(name="Ben", birthday=born(13), account_manager_id=manager.id)
    await make_member(name="Cat", birthday=born(14), account_manager_id=manager.id)  # beyond 14 days
    await make_member(name="Dan", birthday=born(5), account_manager_id=other.id)
    return manager, other


def entry(days_away, kind, label, years, name):
    on = today() + timedelta(days=days_away)
    return {"date": on.isoformat(), "daysAway": days_away, "kind": kind, "label": label, "years": years, "member": {"name": name}}


async def test_an_account_manager_sees_their_members_dates_of_the_next_14_days(client):
    # given
    manager, _ = await a_book_of_dates()
    # when
    result = await calendar(client, staff_token(manager))
    # then
    years = today().year
    assert result == {
        "data": {
            "careCalendar": {
                "totalCount": 3,
                "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": result["data"]["careCalendar"]["pageInfo"]["endCursor"]},
                "edges": [
                    {"node": entry(0, "BIRTHDAY", "Birthday", years - 1980, "Ann")},
                    {"node": entry(3, "ANNIVERSARY", "Wedding", (today() + timedelta(days=3)).year - 2010, "Ann")},
                    {"node": entry(13, "BIRTHDAY", "Birthday", (today() + timedelta(days=13)).year - 1980, "Ben")},
                ],
            }
        }
    }


async def test_the_club_manager_sees_everyone_and_pages_through(client):
    # given
    manager, other = await a_book_of_dates()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    # when
    first = await calendar(client, staff_token(boss), days=15, first=2)
    cursor = first["data"]["careCalendar"]["pageInfo"]["endCursor"]
    second = await calendar(client, staff_token(boss), days=15, first=2, after=cursor)
    cursor = second["data"]["careCalendar"]["pageInfo"]["endCursor"]
    third = await calendar(client, staff_token(boss), days=15, first=2, after=cursor)
    one_manager = await calendar(client, staff_token(boss), accountManagerId=gid("Staff", other.id))
    # then
    assert [node["member"]["name"] for node in nodes(first) + nodes(second) + nodes(third)] == [
        "Ann", "Ann", "Dan", "Ben", "Cat"
    ]
    assert [page["data"]["careCalendar"]["pageInfo"]["hasNextPage"] for page in (first, second, third)] == [True, True, False]
    assert first["data"]["careCalendar"]["totalCount"] == 5
    assert [node["member"]["name"] for node in nodes(one_manager)] == ["Dan"]


async def test_an_account_manager_may_not_look_at_a_colleagues_calendar(client):
    # given
    manager, other = await a_book_of_dates()
    # when
    result = await calendar(client, staff_token(manager), accountManagerId=gid("Staff", other.id))
    # then
    assert result == refused("careCalendar", "FORBIDDEN", "An account manager sees the calendar of their own members only")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"days": 0}, "`days` must be between 1 and 366"),
        ({"days": 367}, "`days` must be between 1 and 366"),
        ({"first": 101}, "`first` must be between 0 and 100"),
        ({"after": "bm90IGEgY3Vyc29y"}, "The cursor in `after` is not valid; use an `endCursor` from this list"),
        ({"after": "Y2FyZS1jYWxlbmRhcjoyMDI2LTAxLTAxfDl8MXwx"}, "The cursor in `after` is not valid; use an `endCursor` from this list"),
    ],
)
async def test_bad_arguments_are_refused(client, variables, message):
    # given
    manager, _ = await a_book_of_dates()
    # when
    result = await calendar(client, staff_token(manager), **variables)
    # then
    assert result == refused("careCalendar", "BAD_USER_INPUT", message)


@pytest.mark.parametrize("caller", ["anonymous", "member", "front desk"])
async def test_only_care_staff_see_the_calendar(client, caller):
    # given
    await make_tiers()
    member = await make_member()
    tokens = {
        "anonymous": None,
        "member": member_token(member),
        "front desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
    }
    # when
    result = await calendar(client, tokens[caller])
    # then
    assert result == refused("careCalendar", "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN")
