"""The points on Member: balance and debt, history that explains them, the balance at a moment, expiry."""

from datetime import datetime, timedelta, timezone
from unittest.mock import ANY

import pytest

from domain import ledger, models
from domain.ledger import EntryFields
from domain.models import EntryKind, EntrySource
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_member,
    make_purchase,
    make_staff,
    member_token,
    staff_token,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
SPEND = EntryFields(source=EntrySource.REDEMPTION, reason="Tasting menu")

HISTORY = """
query($id: ID!, $first: Int!, $after: String, $filter: PointsHistoryFilter) {
  member(id: $id) {
    pointsHistory(first: $first, after: $after, filter: $filter) {
      edges { node { kind amount balanceAfter createdAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
      totalCount
    }
  }
}
"""


def iso(moment):
    return moment.isoformat()


async def a_member_with_history():
    """Earned 100 on T0 and 50 a day later, spent 30 on day 2, 20 more expired on day 3 (in that order)."""
    member = await make_member()
    await make_earning(member, 100, at=T0)
    await make_earning(member, 50, at=T0 + timedelta(days=1))
    await ledger.debit(member_id=member.id, points=30, kind=EntryKind.REDEEM, fields=SPEND, now=T0 + timedelta(days=2))
    expired = EntryFields(source=EntrySource.EXPIRY, reason="Expired")
    await ledger.debit(
        member_id=member.id, points=20, kind=EntryKind.EXPIRE, fields=expired, now=T0 + timedelta(days=3)
    )
    return member


def node(kind, amount, balance, day):
    return {
        "node": {"kind": kind, "amount": amount, "balanceAfter": balance, "createdAt": iso(T0 + timedelta(days=day))}
    }


async def test_the_history_pages_newest_first(client):
    # given
    member = await a_member_with_history()
    variables = {"id": gid("Member", member.id), "first": 3}
    # when
    first = await gql(client, HISTORY, variables, token=member_token(member))
    cursor = first["data"]["member"]["pointsHistory"]["pageInfo"]["endCursor"]
    second = await gql(client, HISTORY, {**variables, "after": cursor}, token=member_token(member))
    # then
    assert first["data"]["member"]["pointsHistory"]["edges"] == [
        node("EXPIRE", -20, 100, 3),
        node("REDEEM", -30, 120, 2),
        node("EARN", 50, 150, 1),
    ]
    assert first["data"]["member"]["pointsHistory"]["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": cursor,
    }
    assert second["data"]["member"]["pointsHistory"]["edges"] == [node("EARN", 100, 100, 0)]
    assert second["data"]["member"]["pointsHistory"]["pageInfo"]["hasNextPage"] is False
    assert second["data"]["member"]["pointsHistory"]["totalCount"] == 4


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"kinds": ["EARN"]}, [node("EARN", 50, 150, 1), node("EARN", 100, 100, 0)]),
        ({"kinds": ["REDEEM", "EXPIRE"]}, [node("EXPIRE", -20, 100, 3), node("REDEEM", -30, 120, 2)]),
        (
            {"from": iso(T0 + timedelta(days=1)), "to": iso(T0 + timedelta(days=3))},
            [node("REDEEM", -30, 120, 2), node("EARN", 50, 150, 1)],
        ),
        ({"kinds": ["EARN"], "from": iso(T0 + timedelta(hours=1))}, [node("EARN", 50, 150, 1)]),
        ({"kinds": ["TRANSFER_IN"]}, []),
    ],
)
async def test_the_history_filters_by_kind_and_time(client, filter, expected):
    # given
    member = await a_member_with_history()
    staff = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    result = await gql(
        client, HISTORY, {"id": gid("Member", member.id), "first": 10, "filter": filter}, token=staff_token(staff)
    )
    # then
    history = result["data"]["member"]["pointsHistory"]
    assert (history["edges"], history["totalCount"]) == (expected, len(expected))


EXPLAINED = """
query($id: ID!) {
  member(id: $id) {
    pointsBalance pointsDebt
    pointsHistory(first: 1) {
      edges { node { amount consumedLots { amount lot { id amount remaining earnedAt expiresAt } } } }
    }
  }
}
"""


async def test_each_debit_names_the_lots_it_drew_on(client):
    # given: a spend that empties the lot expiring first and takes from the next
    member = await make_member()
    soon = await make_earning(member, 40, at=T0 - timedelta(days=700))
    later = await make_earning(member, 100, at=T0)
    await ledger.debit(member_id=member.id, points=70, kind=EntryKind.REDEEM, fields=SPEND, now=T0)
    lots = {lot.entry_id: lot for lot in await models.PointsLot.filter(member_id=member.id)}
    # when
    result = await gql(client, EXPLAINED, {"id": gid("Member", member.id)}, token=member_token(member))
    # then

    def lot(entry, remaining):
        row = lots[entry.id]
        return {
            "id": gid("PointsLot", row.id),
            "amount": row.amount,
            "remaining": remaining,
            "earnedAt": iso(row.earned_at),
            "expiresAt": iso(row.expires_at),
        }

    assert result == {
        "data": {
            "member": {
                "pointsBalance": 70,
                "pointsDebt": 0,
                "pointsHistory": {
                    "edges": [
                        {
                            "node": {
                                "amount": -70,
                                "consumedLots": [
                                    {"amount": 40, "lot": lot(soon, 0)},
                                    {"amount": 30, "lot": lot(later, 70)},
                                ],
                            }
                        }
                    ]
                },
            }
        }
    }


BALANCE_AT = """
query($id: ID!, $before: DateTime!, $first: DateTime!, $between: DateTime!, $now: DateTime!) {
  member(id: $id) {
    before: pointsBalanceAt(at: $before)
    first: pointsBalanceAt(at: $first)
    between: pointsBalanceAt(at: $between)
    now: pointsBalanceAt(at: $now)
  }
}
"""


async def test_the_balance_at_a_moment_is_the_balance_after_the_last_entry_by_then(client):
    # given
    member = await a_member_with_history()
    moments = {
        "before": T0 - timedelta(microseconds=1),
        "first": T0,
        "between": T0 + timedelta(days=2, hours=12),
        "now": T0 + timedelta(days=30),
    }
    # when
    result = await gql(
        client,
        BALANCE_AT,
        {"id": gid("Member", member.id), **{name: iso(moment) for name, moment in moments.items()}},
        token=member_token(member),
    )
    # then
    assert result == {"data": {"member": {"before": 0, "first": 100, "between": 120, "now": 100}}}


EXPIRING = """
query($id: ID!) {
  member(id: $id) {
    soon: pointsExpiringSoon { date points }
    quarter: pointsExpiringSoon(days: 90) { date points }
  }
}
"""


async def test_points_expiring_soon_are_summed_per_day(client):
    # given: lots earned 730 days before they expire
    now = datetime.now(timezone.utc)
    member = await make_member()
    lifetime = timedelta(days=730)
    for points, days in ((10, 3), (15, 3), (20, 20), (30, 60), (40, 200)):
        await make_earning(member, points, at=now - lifetime + timedelta(days=days))
    # when
    result = await gql(client, EXPIRING, {"id": gid("Member", member.id)}, token=member_token(member))
    # then
    day = lambda days: (now + timedelta(days=days)).date().isoformat()  # noqa: E731
    assert result == {
        "data": {
            "member": {
                "soon": [{"date": day(3), "points": 25}, {"date": day(20), "points": 20}],
                "quarter": [
                    {"date": day(3), "points": 25},
                    {"date": day(20), "points": 20},
                    {"date": day(60), "points": 30},
                ],
            }
        }
    }


@pytest.mark.parametrize("days", [0, 3651])
async def test_expiry_beyond_ten_years_or_below_a_day_is_a_bad_request(client, days):
    # given
    member = await make_member()
    query = "query($id: ID!, $days: Int!) { member(id: $id) { pointsExpiringSoon(days: $days) { date } } }"
    # when
    result = await gql(client, query, {"id": gid("Member", member.id), "days": days}, token=member_token(member))
    # then
    assert result == {
        "data": {"member": None},
        "errors": [
            {
                "message": "`days` must be between 1 and 3650",
                "locations": ANY,
                "path": ["member", "pointsExpiringSoon"],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


POINTS = "query($id: ID!) { member(id: $id) { pointsBalance pointsDebt } }"


@pytest.mark.parametrize(
    ("caller", "seen"),
    [
        ("the member", True),
        ("another member", False),
        (models.StaffRole.FRONT_DESK, True),
        (models.StaffRole.EVENT_MANAGER, True),
        (models.StaffRole.PARTNER_MANAGER, False),
        (None, False),
    ],
)
async def test_points_are_seen_by_the_member_and_staff_who_read_members(client, caller, seen):
    # given
    member = await make_member()
    await make_earning(member, 120, at=T0)
    token = None
    if caller == "the member":
        token = member_token(member)
    elif caller == "another member":
        token = member_token(await make_member())
    elif caller is not None:
        token = staff_token(await make_staff(caller))
    # when
    result = await gql(client, POINTS, {"id": gid("Member", member.id)}, token=token)
    # then
    assert result == {"data": {"member": {"pointsBalance": 120, "pointsDebt": 0} if seen else None}}


async def test_a_referrer_sees_the_reward_but_not_the_referee_purchase(client):
    # given
    referrer = await make_member()
    referee = await make_member(referred_by_id=referrer.id)
    await make_purchase(referee, "80.00", at=T0)
    query = "query($id: ID!) { member(id: $id) { pointsHistory { edges { node { source amount purchase { id } } } } } }"
    # when
    result = await gql(client, query, {"id": gid("Member", referrer.id)}, token=member_token(referrer))
    # then
    assert result == {
        "data": {
            "member": {"pointsHistory": {"edges": [{"node": {"source": "REFERRAL", "amount": 1000, "purchase": None}}]}}
        }
    }


PAGE = """
query($id: ID!, $first: Int!) {
  member(id: $id) {
    pointsHistory(first: $first) {
      edges { node { amount purchase { outlet } lot { expiresAt } consumedLots { amount lot { expiresAt } } } }
    }
  }
}
"""


async def test_a_history_page_costs_the_same_statements_for_two_entries_as_for_twenty(client, sql):
    # given: purchases and spends, each spend drawing on several lots
    member = await make_member()
    for n in range(10):
        await make_purchase(member, "10.00", at=T0 + timedelta(hours=n))
        await ledger.debit(
            member_id=member.id, points=7, kind=EntryKind.REDEEM, fields=SPEND, now=T0 + timedelta(hours=n)
        )
    await make_purchase(member, "10.00", at=T0 + timedelta(days=1))  # the newest two use every loader
    token = member_token(member)
    # when
    sql.statements.clear()
    two = await gql(client, PAGE, {"id": gid("Member", member.id), "first": 2}, token=token)
    statements_for_two = list(sql.statements)
    sql.statements.clear()
    twenty = await gql(client, PAGE, {"id": gid("Member", member.id), "first": 20}, token=token)
    statements_for_twenty = list(sql.statements)
    # then
    assert len(two["data"]["member"]["pointsHistory"]["edges"]) == 2
    edges = twenty["data"]["member"]["pointsHistory"]["edges"]
    assert len(edges) == 20
    assert sum(len(edge["node"]["consumedLots"]) for edge in edges) > 10
    # the member, the page, purchases, the credits' lots, consumptions, and the lots consumed
    assert len(statements_for_twenty) == len(statements_for_two) == 6, "\n".join(statements_for_twenty)


async def test_balance_at_and_expiring_soon_on_a_member_page_cost_the_same_for_1_and_10_members(client, sql):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    for n in range(10):
        member = await make_member()
        await make_earning(member, 100 + n, at=datetime.now(timezone.utc) - timedelta(days=1))
    query = """query($first: Int!, $at: DateTime!) { members(first: $first) { edges { node {
      pointsBalanceAt(at: $at) pointsExpiringSoon(days: 1000) { points } } } } }"""
    at = datetime.now(timezone.utc).isoformat()
    counts, pages = [], []
    # when
    for first in (1, 10):
        before = len(sql.statements)
        pages.append(await gql(client, query, {"first": first, "at": at}, token=staff_token(manager)))
        counts.append(len(sql.statements) - before)
    # then
    assert [edge["node"]["pointsBalanceAt"] for edge in pages[1]["data"]["members"]["edges"]] == list(range(100, 110))
    assert [edge["node"]["pointsExpiringSoon"] for edge in pages[1]["data"]["members"]["edges"]] == [
        [{"points": 100 + n}] for n in range(10)
    ]
    assert counts[0] == counts[1]
