"""A push-only partner's stock: the pushed figure, counted at `stock_as_of`, less what the club issued since.

The club issues a push-only partner's vouchers by itself, from the pushed stock; a partner's figure
counted before those issues must not hand their units out again.
"""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models, partner_catalog
from domain.errors import DomainError
from domain.viewer import member_viewer, partner_viewer
from partners import redemption
from tests.factories import make_earning, make_member, make_partner, make_tiers

PUSHED = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
COUNTED = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)  # when the partner counted its stock
PUSH = datetime(2026, 10, 1, 14, 0, tzinfo=timezone.utc)  # when it pushes that count


def _item(item_id: str, stock: int | None) -> dict:
    item = {"id": item_id, "title": item_id.capitalize(), "pointsPrice": 10, "category": "food", "validityDays": 30}
    return item | ({"stock": stock} if stock is not None else {})


async def _redeem(member: models.Member, partner: models.Partner, item_id: str, quantity: int, at: datetime) -> models.Redemption:
    return await redemption.redeem(
        viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{item_id}", quantity=quantity,
        idempotency_key=f"{partner.id}-{item_id}-{at.isoformat()}", items=None, client=None, now=at,
    )


async def _stock(partner: models.Partner) -> dict[str, int | None]:
    return dict(await models.PartnerCatalogItem.filter(partner_id=partner.id).values_list("item_id", "stock"))


async def _history() -> tuple[models.Partner, models.Partner]:
    """Box (20) and cheese (5) and wine (unlimited) pushed at 9:00; the club issues 2 boxes at 11:00 (before
    the count), 3 boxes and 4 cheeses at 13:00 (after the count, before the push); another partner's
    box is issued at 13:00 too."""
    await make_tiers()
    member = await make_member()
    await make_earning(member, 10_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    mine = await make_partner("Maison Laurent")
    theirs = await make_partner("Spa Lumen")
    items = [_item("box", 20), _item("cheese", 5), _item("wine", None)]
    await partner_catalog.push_catalog(viewer=partner_viewer(mine.id), items=items, now=PUSHED)
    await partner_catalog.push_catalog(viewer=partner_viewer(theirs.id), items=[_item("box", 20)], now=PUSHED)
    await _redeem(member, mine, "box", 2, COUNTED - timedelta(hours=1))
    await _redeem(member, mine, "box", 3, COUNTED + timedelta(hours=1))
    await _redeem(member, mine, "cheese", 4, COUNTED + timedelta(hours=1))
    await _redeem(member, theirs, "box", 1, COUNTED + timedelta(hours=1))
    assert await _stock(mine) == {"box": 15, "cheese": 1, "wine": None}
    return mine, theirs


async def test_a_push_takes_off_what_the_club_issued_after_the_partner_counted():
    # given: the partner counted 18 boxes (it knew of the 2 issued at 11:00) and 5 cheeses at 12:00
    mine, theirs = await _history()
    items = [_item("box", 18), _item("cheese", 5), _item("wine", None), _item("new", 7)]
    # when
    summary = await partner_catalog.push_catalog(viewer=partner_viewer(mine.id), items=items, stock_as_of=COUNTED, now=PUSH)
    # then: the 3 boxes and 4 cheeses issued at 13:00 are taken off, the 2 boxes of 11:00 are not again
    assert await _stock(mine) == {"box": 15, "cheese": 1, "wine": None, "new": 7}
    assert await _stock(theirs) == {"box": 19}
    assert (summary.pushed_at, summary.stock_as_of) == (PUSH, COUNTED)


async def test_the_stock_never_goes_below_zero():
    # given: the partner counted only 2 boxes (it sold some at its own shop) and 3 cheeses
    mine, _ = await _history()
    # when
    await partner_catalog.push_catalog(
        viewer=partner_viewer(mine.id), items=[_item("box", 2), _item("cheese", 3)], stock_as_of=COUNTED, now=PUSH
    )
    # then: 2 - 3 and 3 - 4
    assert await _stock(mine) == {"box": 0, "cheese": 0}


async def test_without_stock_as_of_the_figures_count_at_the_push():
    # given
    mine, _ = await _history()
    # when
    await partner_catalog.push_catalog(viewer=partner_viewer(mine.id), items=[_item("box", 18), _item("cheese", 5)], now=PUSH)
    # then: nothing was issued at or after 14:00
    assert await _stock(mine) == {"box": 18, "cheese": 5}


async def test_an_issue_at_the_moment_of_the_count_is_taken_off():
    # given: a box issued at the very instant the partner counted
    await make_tiers()
    member = await make_member()
    await make_earning(member, 1_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    partner = await make_partner()
    await partner_catalog.push_catalog(viewer=partner_viewer(partner.id), items=[_item("box", 5)], now=PUSHED)
    await _redeem(member, partner, "box", 1, COUNTED)
    # when
    await partner_catalog.push_catalog(viewer=partner_viewer(partner.id), items=[_item("box", 5)], stock_as_of=COUNTED, now=PUSH)
    # then: the partner may not have seen it
    assert await _stock(partner) == {"box": 4}


@pytest.mark.parametrize(
    ("stock_as_of", "taken"),
    [
        (PUSH + timedelta(minutes=5), PUSH),  # a partner's clock a little ahead: counts as now
        (datetime(2026, 10, 1, 12, 0), COUNTED),  # no offset: UTC
        (datetime(2026, 10, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), COUNTED),  # 14:00+02:00
    ],
)
async def test_stock_as_of_is_taken_in_utc_and_never_after_the_push(stock_as_of, taken):
    # given
    partner = await make_partner()
    # when
    summary = await partner_catalog.push_catalog(
        viewer=partner_viewer(partner.id), items=[_item("box", 5)], stock_as_of=stock_as_of, now=PUSH
    )
    # then
    assert summary.stock_as_of == taken


async def test_a_stock_as_of_in_the_future_is_refused_and_nothing_changes():
    # given
    partner = await make_partner()
    await partner_catalog.push_catalog(viewer=partner_viewer(partner.id), items=[_item("box", 5)], now=PUSHED)
    # when
    with pytest.raises(DomainError) as refused:
        await partner_catalog.push_catalog(
            viewer=partner_viewer(partner.id), items=[_item("box", 9)], stock_as_of=PUSH + timedelta(minutes=6), now=PUSH
        )
    # then
    assert (refused.value.code, refused.value.field, str(refused.value)) == (
        "INVALID",
        "stockAsOf",
        "stockAsOf is 2026-10-01T14:06:00+00:00, later than now (2026-10-01T14:00:00+00:00): "
        "give the moment your stock figures were counted",
    )
    assert await _stock(partner) == {"box": 5}
