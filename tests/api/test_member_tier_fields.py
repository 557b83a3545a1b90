"""Member.tierHistory, tierProgress and benefits: for the member themself and staff, batched across a page."""

from datetime import date, datetime, timedelta, timezone

import pytest

from domain import benefits, models, tiers
from domain.members import create_member
from domain.tier_engine import shift_months
from domain.viewer import staff_viewer
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_member,
    make_points_refund,
    make_spend,
    make_staff,
    make_tiers,
    member_token,
    set_thresholds,
    staff_token,
)

DAY = timedelta(days=1)

MEMBER = """
query($id: ID!) {
  member(id: $id) {
    tierHistory { fromTier { name } toTier { name } source reason changedBy { name } createdAt }
    tierProgress {
      tier { name graceDays } tierSince reviewOn qualifiesForTier
      nextTier { name qualifyingPoints qualifyingSpend qualifyingVisits windowMonths }
      windowMonths
      points { value nextThreshold left }
      spend { value nextThreshold left }
      visits { value nextThreshold left }
    }
    benefits { benefit { code } used remaining periodStart periodEnd }
  }
}
"""


def now():
    return datetime.now(timezone.utc)


async def ladder():
    tiers_ = await make_tiers()
    await set_thresholds(tiers_["Gold"], points=2_000, spend="20000", visits=12)
    await set_thresholds(tiers_["Platinum"], points=6_000, spend="60000", visits=30)
    await set_thresholds(tiers_["Diamond"], points=15_000, window_months=24, grace_days=60)
    return tiers_


def viewer_of(staff):
    return staff_viewer(staff.id, staff.role)


async def test_tier_history_lists_every_change_newest_first_with_its_reason_and_author(client):
    # given: enrolled by the front desk, qualified for Gold, then set to Diamond by a manager
    tiers_ = await ladder()
    desk = await make_staff(models.StaffRole.FRONT_DESK, name="Lukas Brunner")
    boss = await make_staff(models.StaffRole.CLUB_MANAGER, name="周静怡")
    member = await create_member(viewer=viewer_of(desk), name="Amélie Rossi", email="amelie@example.com")
    await make_earning(member, 2_400, at=now() - DAY)
    await tiers.evaluate_upgrade(member_id=member.id, now=now())
    await tiers.set_tier(
        viewer=viewer_of(boss), member_id=member.id, tier_id=tiers_["Diamond"].id, reason="Gala patron"
    )
    created = await models.TierChange.filter(member_id=member.id).order_by("-id").values_list("created_at", flat=True)
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=member_token(member))
    # then
    assert result["data"]["member"]["tierHistory"] == [
        {
            "fromTier": {"name": "Gold"},
            "toTier": {"name": "Diamond"},
            "source": "MANUAL",
            "reason": "Gala patron",
            "changedBy": {"name": "周静怡"},
            "createdAt": created[0].isoformat(),
        },
        {
            "fromTier": {"name": "Silver"},
            "toTier": {"name": "Gold"},
            "source": "QUALIFICATION",
            "reason": "Qualified for Gold: 2,400 points in 12 months",
            "changedBy": None,
            "createdAt": created[1].isoformat(),
        },
        {
            "fromTier": None,
            "toTier": {"name": "Silver"},
            "source": "ENROLMENT",
            "reason": "Enrolment",
            "changedBy": {"name": "Lukas Brunner"},
            "createdAt": created[2].isoformat(),
        },
    ]


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        (models.StaffRole.FRONT_DESK, "Qualified for Gold: spend in 12 months"),
        (models.StaffRole.CLUB_MANAGER, "Qualified for Gold: 25,000.00 spend in 12 months"),
    ],
)
async def test_a_tier_change_shows_its_spend_figure_only_to_those_who_may_see_spend(client, role, reason):
    # given: qualified for Gold on spend
    await ladder()
    member = await make_member()
    await make_spend(member, "25000.00", at=now() - DAY)
    await tiers.evaluate_upgrade(member_id=member.id, now=now())
    staff = await make_staff(role)
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=staff_token(staff))
    # then
    assert result["data"]["member"]["tierHistory"][0]["reason"] == reason
    assert await models.TierChange.filter(member_id=member.id).values_list("reason", flat=True) == [
        "Qualified for Gold: 25,000.00 spend in 12 months"
    ]
    audited = await models.AuditEntry.filter(action="TierChange.reason").values_list("actor_id", flat=True)
    assert audited == ([staff.id] if role == models.StaffRole.CLUB_MANAGER else [])


async def test_tier_progress_shows_the_figures_against_the_next_tier_and_what_keeps_the_current_one(client):
    # given: Gold kept on points; short of Platinum on every metric
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Gold"], tier_since=date(2026, 1, 10), tier_review_on=date(2027, 1, 10))
    await make_earning(member, 2_600, at=now() - 40 * DAY)
    await make_points_refund(member, 100, at=now() - 2 * DAY)
    await make_spend(member, "30000.00", at=now() - 40 * DAY, refunded="4999.50")
    await make_spend(member, "0.50", at=now() - 2 * DAY)
    await make_spend(member, "99.00", at=now() - 400 * DAY)  # outside the window
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))  # the front desk sees no spend
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=token)
    # then
    assert result["data"]["member"]["tierProgress"] == {
        "tier": {"name": "Gold", "graceDays": 30},
        "tierSince": "2026-01-10",
        "reviewOn": "2027-01-10",
        "qualifiesForTier": True,
        "nextTier": {
            "name": "Platinum",
            "qualifyingPoints": 6000,
            "qualifyingSpend": "60000.00",
            "qualifyingVisits": 30,
            "windowMonths": 12,
        },
        "windowMonths": 12,
        "points": {"value": 2500, "nextThreshold": 6000, "left": 3500},
        "spend": {"value": "25001.00", "nextThreshold": "60000.00", "left": "34999.00"},
        "visits": {"value": 2, "nextThreshold": 30, "left": 28},
    }


async def test_at_the_top_there_is_no_next_tier_and_the_figures_count_over_the_tiers_own_window(client):
    # given: Diamond looks back 24 months and asks for points only
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Diamond"], tier_review_on=date(2026, 12, 1))
    await make_earning(member, 1_000, at=shift_months(now(), -18))
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=member_token(member))
    # then
    assert result["data"]["member"]["tierProgress"] == {
        "tier": {"name": "Diamond", "graceDays": 60},
        "tierSince": None,
        "reviewOn": "2026-12-01",
        "qualifiesForTier": False,
        "nextTier": None,
        "windowMonths": 24,
        "points": {"value": 1000, "nextThreshold": None, "left": None},
        "spend": {"value": "0.00", "nextThreshold": None, "left": None},
        "visits": {"value": 0, "nextThreshold": None, "left": None},
    }


async def test_benefits_show_what_is_used_and_left_this_period(client):
    # given
    tiers_ = await ladder()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    member = await make_member(tier=tiers_["Gold"])
    await benefits.use_benefit(viewer=viewer_of(desk), member_id=member.id, benefit_code="guest_pass", quantity=3)
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=member_token(member))
    # then
    year = now().year
    period = {"periodStart": f"{year}-01-01", "periodEnd": f"{year}-12-31"}
    assert result["data"]["member"]["benefits"] == [
        {"benefit": {"code": "points_multiplier"}, "used": 0, "remaining": None, **period},
        {"benefit": {"code": "guest_pass"}, "used": 3, "remaining": 1, **period},
    ]


async def test_another_member_sees_none_of_it(client):
    # given
    tiers_ = await ladder()
    member = await make_member(tier=tiers_["Gold"])
    other = await make_member(tier=tiers_["Gold"])
    # when
    result = await gql(client, MEMBER, {"id": gid("Member", member.id)}, token=member_token(other))
    # then
    assert result == {"data": {"member": None}}


PAGE = """
query($first: Int!) {
  members(first: $first) {
    edges {
      node {
        name
        tierHistory { fromTier { name } toTier { name } source changedBy { name } }
        tierProgress {
          tier { name } nextTier { name } qualifiesForTier
          points { value left } spend { value left } visits { value left }
        }
        benefits { benefit { code } used remaining }
      }
    }
  }
}
"""

# The page; tier changes, their tiers and their authors; progress: members, tiers and one statement
# per metric; benefits: the tiers' benefits and the members' counters; the audit log of the spend read
# (one INSERT for the whole page).
STATEMENTS_PER_PAGE = 12
# The tiers of the members in turn; the first has a tier history, so that a page of one loads
# tiers and authors too.
ASSIGNED = ("Gold", "Platinum", "Diamond", "Silver")


def page_node(i: int) -> dict:
    """What the page shows of member i: each with 500 points and one visit, in the tiers in turn."""
    tier = ASSIGNED[i % 4]
    following = {"Silver": "Gold", "Gold": "Platinum", "Platinum": "Diamond"}.get(tier)
    left = {"Silver": (1_500, "19990.00", 11), "Gold": (5_500, "59990.00", 29), "Platinum": (14_500, None, None)}
    points_left, spend_left, visits_left = left.get(tier, (None, None, None))
    passes = {"Gold": (1, 3), "Platinum": (1, 5), "Diamond": (0, 12)}
    manual_change = {
        "fromTier": {"name": "Silver"},
        "toTier": {"name": tier},
        "source": "MANUAL",
        "changedBy": {"name": "Boss"},
    }
    return {
        "name": f"Member {i:02d}",
        "tierHistory": [] if tier == "Silver" else [manual_change],
        "tierProgress": {
            "tier": {"name": tier},
            "nextTier": {"name": following} if following else None,
            "qualifiesForTier": tier == "Silver",
            "points": {"value": 500, "left": points_left},
            "spend": {"value": "10.00", "left": spend_left},
            "visits": {"value": 1, "left": visits_left},
        },
        "benefits": [{"benefit": {"code": "points_multiplier"}, "used": 0, "remaining": None}]
        + (
            [{"benefit": {"code": "guest_pass"}, "used": passes[tier][0], "remaining": passes[tier][1]}]
            if tier in passes
            else []
        ),
    }


async def test_a_page_of_twenty_members_costs_as_many_statements_as_a_page_of_one(client, sql):
    # given
    tiers_ = await ladder()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER, name="Boss")
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    for i in range(20):
        member = await make_member(name=f"Member {i:02d}", tier=tiers_["Silver"])
        await make_earning(member, 500, at=now() - DAY)
        await make_spend(member, "10.00", at=now() - DAY)
        tier = tiers_[ASSIGNED[i % 4]]
        if tier.name != "Silver":
            await tiers.set_tier(viewer=viewer_of(boss), member_id=member.id, tier_id=tier.id, reason="Test")
        if tier.name in ("Gold", "Platinum"):
            await benefits.use_benefit(viewer=viewer_of(desk), member_id=member.id, benefit_code="guest_pass")
    token = staff_token(boss)
    # when
    sql.statements.clear()
    one = await gql(client, PAGE, {"first": 1}, token=token)
    statements_for_one = list(sql.statements)
    sql.statements.clear()
    twenty = await gql(client, PAGE, {"first": 20}, token=token)
    statements_for_twenty = list(sql.statements)
    # then
    assert one == {"data": {"members": {"edges": [{"node": page_node(0)}]}}}
    assert twenty == {"data": {"members": {"edges": [{"node": page_node(i)} for i in range(20)]}}}
    assert len(statements_for_twenty) == len(statements_for_one), "\n".join(statements_for_twenty)
    assert len(statements_for_twenty) == STATEMENTS_PER_PAGE, "\n".join(statements_for_twenty)
