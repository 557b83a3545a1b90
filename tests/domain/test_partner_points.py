"""Partner points awards: the daily cap counts per UTC day, whatever offset the clock is read in."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models, partner_points
from domain.errors import DomainError
from domain.viewer import partner_viewer
from tests.factories import make_member, make_member_reference, make_partner

MIDNIGHT = datetime(2026, 11, 26, tzinfo=timezone.utc)


async def _award(partner: models.Partner, reference: str, points: int, purchase: str, now: datetime) -> dict:
    return await partner_points.award_points(
        viewer=partner_viewer(partner.id),
        member_reference=reference,
        points=points,
        purchase_reference=purchase,
        idempotency_key=purchase,
        now=now,
    )


async def test_the_cap_starts_afresh_at_utc_midnight():
    # given: the whole cap awarded in the last second of the UTC day
    partner = await make_partner(daily_award_cap=500)
    member = await make_member()
    reference = await make_member_reference(partner, member)
    await _award(partner, reference, 500, "late", MIDNIGHT - timedelta(seconds=1))
    # when: one more point that day, then 500 at midnight, seen from a clock two hours ahead of UTC
    with pytest.raises(DomainError) as refused:
        await _award(partner, reference, 1, "too-late", MIDNIGHT - timedelta(microseconds=1))
    plus_two = timezone(timedelta(hours=2))
    await _award(partner, reference, 500, "early", MIDNIGHT.astimezone(plus_two))
    # then
    assert refused.value.code == "DAILY_CAP_EXCEEDED"
    assert await partner_points.awarded_today(partner_id=partner.id, member_id=member.id, now=MIDNIGHT) == 500
    assert (await models.Member.get(id=member.id)).points_balance == 1000


def test_the_utc_day_of_a_moment_in_another_offset():
    moment = datetime(2026, 11, 26, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 22:30 UTC the day before
    assert partner_points.utc_day(moment) == (MIDNIGHT - timedelta(days=1), MIDNIGHT)
