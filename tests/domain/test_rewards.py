"""The rules of the rewards catalog: who may redeem what, the catalog's order, and who manages rewards."""

from __future__ import annotations

import pytest

from domain import models, rewards
from domain.catalog import CatalogItem
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.models import RewardDelivery
from domain.viewer import ANONYMOUS, member_viewer, staff_viewer
from partners.federation import CatalogFederation
from tests.factories import make_member, make_partner, make_pushed_item, make_reward, make_staff, make_tiers


def item(key: str = "partner:1:x", *, price: int = 100, stock: int | None = None, tier: str | None = None) -> CatalogItem:
    partner_id = int(key.split(":")[1]) if key.startswith("partner:") else None
    return CatalogItem(
        key=key, partner_id=partner_id, item_id=key.split(":")[-1], title="Item", description="", points_price=price,
        stock=stock, tier_restriction=tier, category="wine", image_url=None, validity_days=30,
        delivery=RewardDelivery.VOUCHER,
    )


LADDER = rewards.Ladder(
    names={1: "Silver", 2: "Gold", 3: "Platinum"},
    ranks={"silver": 1, "gold": 2, "platinum": 3},
    rank_of_id={1: 1, 2: 2, 3: 3},
)


@pytest.mark.parametrize(
    ("rank", "candidate", "allowed"),
    [
        (2, item(), True),
        (2, item(tier="Gold"), True),
        (2, item(tier="GOLD"), True),
        (2, item(tier="silver"), True),
        (2, item(tier="Platinum"), False),
        (2, item(tier="Emerald"), False),  # a tier the ladder does not know: open to nobody
        (2, item(stock=0), False),
        (2, item(stock=1, tier="Gold"), True),
        (None, item(), True),  # a member without a tier: unrestricted items only
        (None, item(tier="Silver"), False),
    ],
)
def test_eligibility_is_tier_rank_and_stock(rank, candidate, allowed):
    assert rewards.Eligibility(rank=rank, ladder=LADDER).allows(candidate) is allowed


def test_the_order_is_price_then_the_clubs_own_by_id_then_partners_by_id_and_item():
    # given
    items = [item("partner:2:a"), item("club:10"), item("partner:1:b"), item("club:9"), item("partner:1:a"), item("club:1", price=200)]
    # when
    ordered = sorted(items, key=rewards.sort_key)
    # then
    assert [candidate.key for candidate in ordered] == ["club:9", "club:10", "partner:1:a", "partner:1:b", "partner:2:a", "club:1"]
    assert rewards.sort_key_of(100, "club:10") == rewards.sort_key(item("club:10"))
    assert rewards.sort_key_of(100, "bogus") is None


async def test_only_reward_managers_create_and_update():
    # given
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Silver"])
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    manager = await make_staff(models.StaffRole.PARTNER_MANAGER)
    reward = await make_reward()
    # when / then
    with pytest.raises(NotAuthenticated):
        await rewards.create_reward(viewer=ANONYMOUS, title="x", points_price=1, category="c")
    for viewer in (member_viewer(member.id), staff_viewer(desk.id, desk.role)):
        with pytest.raises(PermissionDenied):
            await rewards.create_reward(viewer=viewer, title="x", points_price=1, category="c")
        with pytest.raises(PermissionDenied):
            await rewards.update_reward(viewer=viewer, reward_id=reward.id, changes={"title": "y"})
    created = await rewards.create_reward(
        viewer=staff_viewer(manager.id, manager.role), title="Mug", points_price=250, category="merchandise", stock=0
    )
    assert (created.title, created.points_price, created.stock, created.active) == ("Mug", 250, 0, True)


async def test_the_catalog_asks_no_partner_for_the_clubs_own_only_and_checks_its_filter():
    # given: a partner whose endpoint would fail if it were called
    partner = await make_partner("Unreachable", base_url="http://127.0.0.1:9")
    await make_pushed_item(await make_partner("Pushed"), "a", 100)
    await make_reward("Club", 50)
    federation = CatalogFederation(deadline=0.5)
    # when
    page = await rewards.catalog_page(
        viewer=ANONYMOUS, federation=federation, filter=rewards.RewardFilter(club_only=True), first=10
    )
    # then
    assert ([candidate.title for candidate in page.items], page.failures, federation.states()) == (["Club"], [], [])
    # when: every partner
    page = await rewards.catalog_page(viewer=ANONYMOUS, federation=federation, filter=rewards.RewardFilter(), first=10)
    # then
    assert [candidate.key for candidate in page.items] == [f"club:{(await models.Reward.get()).id}", f"partner:{partner.id + 1}:a"]
    assert [(failure.partner_name, failure.reason) for failure in page.failures] == [
        ("Unreachable", "temporarily unavailable")  # the detail, "could not be reached (ConnectError)", is logged
    ]
    await federation.client.close()
    with pytest.raises(DomainError, match="`maxPoints` must be 0 or more"):
        await rewards.catalog_page(viewer=ANONYMOUS, federation=federation, filter=rewards.RewardFilter(max_points=-1), first=1)
