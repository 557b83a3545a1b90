"""Demo redemptions: members who spent points on the club's rewards and on the push-only florist's items.

Only rewards the club issues itself are redeemed here (no partner server need be running): the demo
member gets a voucher or two in `me.vouchers`, and a few dozen others one each. Deterministic: a
fixed random seed, members in id order, fixed idempotency keys; members short of points are skipped.
Runs after the partners' and rewards' demo data (partners/demo_data.py); does nothing without them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from domain import models
from domain.errors import DomainError
from domain.seed import DEMO_MEMBER_EMAIL
from domain.viewer import member_viewer
from partners import redemption

OTHER_MEMBERS = 40


async def seed_demo_redemptions(*, progress: Callable[[str], None] | None = None) -> None:
    report = progress or (lambda _msg: None)
    if await models.Redemption.exists():
        return
    keys = [f"club:{pk}" for pk in await models.Reward.filter(active=True).order_by("id").values_list("id", flat=True)]
    for partner_id, item_id in await models.PartnerCatalogItem.filter(partner__base_url__isnull=True).order_by("id").values_list(
        "partner_id", "item_id"
    ):
        keys.append(f"partner:{partner_id}:{item_id}")
    if not keys:
        return
    rng = random.Random(46)
    demo = await models.Member.get_or_none(email=DEMO_MEMBER_EMAIL)
    others = await models.Member.filter(status=models.MemberStatus.ACTIVE).exclude(email=DEMO_MEMBER_EMAIL).order_by("id").limit(OTHER_MEMBERS)
    made = 0
    for member, count in [*([(demo, 2)] if demo else []), *((other, 1) for other in others)]:
        for n in range(count):
            try:
                await redemption.redeem(
                    viewer=member_viewer(member.id), reward_key=rng.choice(keys), quantity=1,
                    idempotency_key=f"demo-{n}", items=None, client=None,
                )
                made += 1
            except DomainError:
                continue  # short of points, below the tier, out of stock: as in life
    report(f"{made} redemptions")
