"""N+1 pinned away for events' nested lists: a page of 20 members with their registrations, or of 20
events with their registrations and feedback, costs the statements of a page of 1."""

from __future__ import annotations

from datetime import timedelta

from domain import events, models
from domain.viewer import member_viewer, staff_viewer
from tests.factories import gql, make_event, make_member, make_registration, make_staff, make_tiers, staff_token

PAGE = 20


async def twenty_events_and_members() -> models.Staff:
    """Twenty events an hour ahead and twenty members, each registered for two of them (their own and
    the next); each member checked in at their own event and rated it."""
    await make_tiers()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    start = events.ledger.utcnow() + timedelta(hours=1)
    club_events = [
        await make_event(title=f"Event {n:02d}", capacity=5, starts_at=start + timedelta(minutes=n))
        for n in range(PAGE)
    ]
    members = [await make_member(name=f"Member {n:02d}") for n in range(PAGE)]
    for n, member in enumerate(members):
        own = await make_registration(club_events[n], member)
        await make_registration(club_events[(n + 1) % PAGE], member)
        await events.check_in(viewer=staff_viewer(desk.id, desk.role), registration_id=own.id)
        await events.submit_feedback(viewer=member_viewer(member.id), event_id=club_events[n].id, rating=1 + n % 5)
    return await make_staff(models.StaffRole.CLUB_MANAGER)


async def costs(client, sql, query: str, token: str) -> tuple[int, int, dict, dict]:
    sql.statements.clear()
    one = await gql(client, query, {"first": 1}, token=token)
    for_one = list(sql.statements)
    sql.statements.clear()
    many = await gql(client, query, {"first": PAGE}, token=token)
    assert len(sql.statements) == len(for_one), "\n".join(sql.statements)
    return len(for_one), len(sql.statements), one, many


MEMBERS = """
query($first: Int!) {
  members(first: $first) {
    edges { node { name eventRegistrations(first: 5) { edges { node { status event { title } } } } } }
  }
}
"""


async def test_a_page_of_twenty_members_with_their_registrations_costs_as_much_as_a_page_of_one(client, sql):
    # given
    boss = await twenty_events_and_members()
    # when
    for_one, for_many, one, many = await costs(client, sql, MEMBERS, staff_token(boss))
    # then
    nodes = [edge["node"] for edge in many["data"]["members"]["edges"]]
    assert len(nodes) == PAGE
    for node in nodes:
        n = int(node["name"].split()[1])
        titles = [edge["node"]["event"]["title"] for edge in node["eventRegistrations"]["edges"]]
        assert titles == [f"Event {(n + 1) % PAGE:02d}", f"Event {n:02d}"]  # newest first
    assert one["data"]["members"]["edges"] == many["data"]["members"]["edges"][:1]
    # the members, the registration ids (one windowed query), the registrations, their events
    assert for_one == for_many == 4


EVENTS = """
query($first: Int!) {
  events(first: $first) {
    edges { node { title
      registrations(first: 5) { edges { node { member { name } } } }
      waitlisted: registrations(first: 5, status: WAITLISTED) { edges { node { id } } }
      feedback(first: 5) { edges { node { rating } } } } }
  }
}
"""


async def test_a_page_of_twenty_events_with_registrations_and_feedback_costs_as_much_as_a_page_of_one(client, sql):
    # given
    boss = await twenty_events_and_members()
    # when
    for_one, for_many, one, many = await costs(client, sql, EVENTS, staff_token(boss))
    # then
    nodes = [edge["node"] for edge in many["data"]["events"]["edges"]]
    assert [node["title"] for node in nodes] == [f"Event {n:02d}" for n in range(PAGE)]
    for n, node in enumerate(nodes):
        names = [edge["node"]["member"]["name"] for edge in node["registrations"]["edges"]]
        # arrival order: member n - 1 registered for event n in their turn, before member n did
        expected = [f"Member {n - 1:02d}", f"Member {n:02d}"] if n else ["Member 00", "Member 19"]
        assert names == expected
        assert node["waitlisted"] == {"edges": []}
        assert node["feedback"] == {"edges": [{"node": {"rating": 1 + n % 5}}]}
    assert one["data"]["events"]["edges"] == many["data"]["events"]["edges"][:1]
    # the events; registration ids then rows; waitlisted ids (none, so no rows to read); feedback ids then
    # rows; the members
    assert for_one == for_many == 7
