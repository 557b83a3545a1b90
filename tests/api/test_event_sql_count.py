"""N+1 pinned away: a page of events or of registrations costs the same statements for 1 row as for 50."""

from __future__ import annotations

from datetime import timedelta

from domain import ledger, models
from tests.factories import (
    gid,
    gql,
    make_event,
    make_member,
    make_registration,
    make_staff,
    make_tiers,
    member_token,
    staff_token,
)

EVENTS_PAGE = """
query($first: Int!) {
  events(first: $first) {
    edges {
      node {
        title seatsLeft waitlistCount minTier { name }
        myRegistration { status waitlistPosition feedback { rating } }
      }
    }
  }
}
"""
REGISTRATIONS_PAGE = """
query($id: ID!, $first: Int!) {
  event(id: $id) {
    registrations(first: $first) {
      edges { node { status waitlistPosition member { name tier { name } } event { title } feedback { rating } } }
    }
  }
}
"""


async def _statements(sql, client, query, variables, token):
    sql.statements.clear()
    result = await gql(client, query, variables, token=token)
    return result, list(sql.statements)


async def test_a_page_of_fifty_events_costs_as_many_statements_as_a_page_of_one(client, sql):
    # given: fifty full events, the member waiting on each
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    start = ledger.utcnow() + timedelta(days=3)
    for n in range(50):
        event = await make_event(
            title=f"Event {n:02d}", capacity=1, starts_at=start + timedelta(hours=n), min_tier=tiers["Gold"]
        )
        await make_registration(event, await make_member(tier=tiers["Gold"]))
        await make_registration(event, member)
    token = member_token(member)
    # when
    one, for_one = await _statements(sql, client, EVENTS_PAGE, {"first": 1}, token)
    fifty, for_fifty = await _statements(sql, client, EVENTS_PAGE, {"first": 50}, token)
    # then
    node = {"seatsLeft": 0, "waitlistCount": 1, "minTier": {"name": "Gold"}}
    mine = {"status": "WAITLISTED", "waitlistPosition": 1, "feedback": None}
    assert fifty == {
        "data": {
            "events": {
                "edges": [{"node": {"title": f"Event {n:02d}", **node, "myRegistration": mine}} for n in range(50)]
            }
        }
    }
    assert one["data"]["events"]["edges"] == fifty["data"]["events"]["edges"][:1]
    # the page, tiers, waitlist counts, the member's registrations, their waitlist places, their feedback
    assert len(for_fifty) == len(for_one) == 6, "\n".join(for_fifty)


async def test_a_page_of_fifty_registrations_costs_as_many_statements_as_a_page_of_one(client, sql):
    # given: 25 seats taken, 25 waiting
    event = await make_event(title="Gala", capacity=25)
    for _ in range(50):
        await make_registration(event, await make_member())
    token = staff_token(await make_staff(models.StaffRole.EVENT_MANAGER))
    variables = {"id": gid("Event", event.id)}
    # when
    one, for_one = await _statements(sql, client, REGISTRATIONS_PAGE, {**variables, "first": 1}, token)
    fifty, for_fifty = await _statements(sql, client, REGISTRATIONS_PAGE, {**variables, "first": 50}, token)
    # then
    edges = fifty["data"]["event"]["registrations"]["edges"]
    assert [edge["node"]["waitlistPosition"] for edge in edges] == [None] * 25 + list(range(1, 26))
    assert {edge["node"]["event"]["title"] for edge in edges} == {"Gala"}
    assert one["data"]["event"]["registrations"]["edges"] == edges[:1]
    # the event, the page (its ids by a windowed query, then its rows), members, tiers, waitlist places, feedback
    assert len(for_fifty) == 7, "\n".join(for_fifty)
    assert len(for_one) == 6, "\n".join(for_one)  # nobody waiting on a page of one: no waitlist places asked
