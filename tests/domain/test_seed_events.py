"""The demo's events: past ones attended and rated, upcoming ones with seats, a waitlist, and the demo member."""

from domain import ledger, models
from domain.models import RegistrationStatus
from domain.seed import DEMO_MEMBER_EMAIL, seed_demo
from domain.seed_events import seed_demo_events


async def test_the_demo_has_past_and_upcoming_events_a_waitlist_and_the_demo_member_registered():
    # given
    await seed_demo(members=40)
    # when
    await seed_demo_events()
    await seed_demo_events()  # a second run adds nothing
    # then
    now = ledger.utcnow()
    events = await models.Event.all().order_by("starts_at")
    past = [e for e in events if e.ends_at < now]
    upcoming = [e for e in events if e.starts_at > now]
    assert (len(events), len(past), len(upcoming)) == (8, 3, 5)
    assert [await models.EventFeedback.filter(event_id=e.id).exists() for e in past] == [True] * 3
    assert await models.EventRegistration.filter(checked_in_at__isnull=False).count() > 20
    masterclass = await models.Event.get(title="Whisky masterclass")
    assert masterclass.seats_taken == masterclass.capacity
    assert await models.EventRegistration.filter(event_id=masterclass.id, status=RegistrationStatus.WAITLISTED).exists()
    assert any(e.min_tier_id for e in upcoming) and any(e.price_points for e in upcoming)
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    mine = await models.EventRegistration.get(member_id=demo.id)
    assert (mine.status, mine.guests) == (RegistrationStatus.CONFIRMED, 1)
    assert await ledger.check_invariants() == []
