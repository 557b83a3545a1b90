"""Analytics rules: the periods a range covers, the ranges allowed, and who may read the figures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain import analytics, ledger, models
from domain.db import Period, fetch_dicts, period_start_sql
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.validation import clean_range
from domain.viewer import ANONYMOUS, member_viewer, staff_viewer
from tests.factories import make_earning, make_member, make_points_refund, make_spend

UTC = timezone.utc


def moment(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "period", "expected"),
    [
        (moment(2026, 11, 25, 23), moment(2026, 11, 27), Period.DAY, ["2026-11-25", "2026-11-26"]),
        (moment(2026, 11, 25), moment(2026, 12, 1), Period.WEEK, ["2026-11-23", "2026-11-30"]),
        (moment(2026, 11, 15), moment(2027, 2, 1), Period.MONTH, ["2026-11-01", "2026-12-01", "2027-01-01"]),
        (moment(2026, 11, 15), moment(2027, 2, 1, 0, 0, 1), Period.MONTH,
         ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"]),
        (moment(2025, 6, 1), moment(2027, 1, 1), Period.YEAR, ["2025-01-01", "2026-01-01"]),
    ],
)
def test_a_range_covers_every_period_it_overlaps(start, end, period, expected):
    assert [day.isoformat() for day in analytics.period_starts(start, end, period)] == expected


@pytest.mark.parametrize("period", list(Period))
async def test_python_and_sql_agree_on_where_a_period_starts(period):
    # given: moments around the turns of days, weeks, months and years
    moments = [moment(2026, 12, 31, 23, 59), moment(2027, 1, 1), moment(2026, 11, 29, 23), moment(2026, 11, 30, 0, 30),
               moment(2024, 2, 29, 12), moment(2026, 3, 1, 0, 0)]
    for at in moments:
        await make_spend(await make_member(), "1.00", at=at)
    # when
    rows = await fetch_dicts(f"SELECT {period_start_sql('created_at', period)} AS start FROM purchase ORDER BY id", [])
    # then
    assert [row["start"] for row in rows] == [analytics.period_start(at.date(), period).isoformat() for at in moments]


def test_a_moment_without_an_offset_is_taken_as_utc():
    one_hour_ahead = timezone(timedelta(hours=1))
    start, end = clean_range(datetime(2026, 1, 1), datetime(2026, 2, 1, 1, tzinfo=one_hour_ahead))
    assert (start, end) == (moment(2026, 1, 1), moment(2026, 2, 1))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (moment(2026, 2, 1), moment(2026, 1, 1), "`from` must be before `to`"),
        (moment(2026, 2, 1), moment(2026, 2, 1), "`from` must be before `to`"),
        (moment(2023, 1, 1), moment(2026, 1, 5), "The range covers at most 3 years"),
    ],
)
def test_a_range_runs_forwards_over_at_most_three_years(start, end, message):
    with pytest.raises(DomainError) as refused:
        clean_range(start, end)
    assert refused.value.message == message


def test_three_years_with_a_leap_day_are_allowed():
    assert clean_range(moment(2024, 1, 1), moment(2027, 1, 1)) == (moment(2024, 1, 1), moment(2027, 1, 1))


RANGE = {"start": moment(2026, 1, 1), "end": moment(2026, 2, 1)}
FIGURES = [
    (analytics.member_counts, {}),
    (analytics.tier_distribution, {}),
    (analytics.points_liability, {}),
    (analytics.points_held, {}),
    (analytics.points_flow, {**RANGE, "period": Period.MONTH}),
    (analytics.event_fill_rates, RANGE),
    (analytics.nps_trend, {**RANGE, "period": Period.MONTH}),
]


@pytest.mark.parametrize(("figure", "arguments"), FIGURES, ids=[figure.__name__ for figure, _ in FIGURES])
@pytest.mark.parametrize(
    ("viewer", "refusal"),
    [
        (ANONYMOUS, NotAuthenticated),
        (member_viewer(1), PermissionDenied),
        *((staff_viewer(1, role), PermissionDenied) for role in models.StaffRole
          if role not in (models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR)),
    ],
    ids=lambda value: getattr(value, "role", None) or getattr(value, "kind", None) or value.__name__,
)
async def test_every_figure_is_refused_to_those_without_analytics_read(figure, arguments, viewer, refusal):
    with pytest.raises(refusal):
        await figure(viewer=viewer, **arguments)


@pytest.mark.parametrize("role", [models.StaffRole.CLUB_MANAGER, models.StaffRole.ADMINISTRATOR])
async def test_the_club_manager_and_administrators_read_them(role):
    counts = await analytics.member_counts(viewer=staff_viewer(1, role), as_of=moment(2026, 1, 1))
    assert counts == analytics.MemberCounts(0, 0, 0, 0, 0, 0)


def test_an_event_without_seats_is_not_divided_by_zero():
    rate = analytics.EventFillRate(event_id=1, capacity=0, seats_taken=0, waitlisted=2, attended=0, cancelled=0)
    assert rate.fill_rate == 0.0


async def test_too_many_events_in_a_range_are_refused(monkeypatch):
    # given: the limit lowered to 2 for the test
    monkeypatch.setattr(analytics, "MAX_EVENTS", 2)
    for day in (2, 3, 4):
        await models.Event.create(title=f"Salon {day}", category=models.EventCategory.SALON, venue="Library",
                                  starts_at=moment(2026, 1, day), ends_at=moment(2026, 1, day, 2), capacity=10,
                                  cancellation_deadline=moment(2026, 1, 1))
    viewer = staff_viewer(1, models.StaffRole.CLUB_MANAGER)
    # when
    with pytest.raises(DomainError) as refused:
        await analytics.event_fill_rates(viewer=viewer, **RANGE)
    # then
    assert refused.value.message == "More than 2 events start in this range: narrow it"
    assert len(await analytics.event_fill_rates(viewer=viewer, start=RANGE["start"], end=moment(2026, 1, 4))) == 2


async def test_the_flow_of_a_range_explains_what_the_club_owes_at_its_end():
    # given: a ledger that starts in the range, with every kind of entry, a hold still open and a debt

    def at(month: int, day: int) -> datetime:
        return moment(2026, month, day, 12)

    sources = (models.EntrySource.STAFF, models.EntrySource.TRANSFER, models.EntrySource.REDEMPTION)
    staff, transfer, redemption = (ledger.EntryFields(source=source) for source in sources)
    ada, ben = await make_member(), await make_member()
    await make_earning(ada, 500, at=at(1, 5))
    await ledger.credit(member_id=ben.id, points=120, fields=staff, now=at(1, 6), expires_at=at(2, 1))
    await ledger.credit(member_id=ada.id, points=40, fields=staff, kind=models.EntryKind.ADJUST, now=at(1, 7))
    spent = await ledger.debit(
        member_id=ada.id, points=90, kind=models.EntryKind.REDEEM, fields=redemption, now=at(1, 8)
    )
    await ledger.hold(member_id=ada.id, points=60, reference="open", now=at(1, 9))
    await ledger.debit(member_id=ada.id, points=30, kind=models.EntryKind.TRANSFER_OUT, fields=transfer, now=at(1, 10))
    await ledger.credit(member_id=ben.id, points=30, kind=models.EntryKind.TRANSFER_IN, fields=transfer, now=at(1, 10))
    await ledger.expire_due_lots(now=at(2, 2))  # ben's 120
    await make_points_refund(ben, 100, at=at(2, 3))  # takes ben's 30, owes 70
    await make_earning(ben, 200, at=at(2, 4))  # 70 of it clears the debt
    await ledger.refund(entry_id=spent.id, reason="Not delivered", now=at(2, 5))
    await ledger.debit(member_id=ada.id, points=15, kind=models.EntryKind.ADJUST, fields=staff, now=at(2, 6))
    boss = staff_viewer(1, models.StaffRole.CLUB_MANAGER)
    # when
    flows = await analytics.points_flow(
        viewer=boss, start=moment(2026, 1, 1), end=moment(2026, 3, 1), period=Period.MONTH
    )
    liability = await analytics.points_liability(viewer=boss, now=at(3, 1))
    held = await analytics.points_held(viewer=boss)
    # then
    net = sum(f.issued - f.redeemed - f.expired + f.adjusted - f.clawed_back for f in flows)
    ada_balance = 500 + 40 - 90 - 60 - 30 + 90 - 15
    ben_balance = 120 + 30 - 120 - 30 + 200 - 70
    assert (liability.outstanding, held, liability.owed) == (ada_balance + ben_balance, 60, 0)
    assert net == liability.outstanding + held
