"""Demo partners and rewards: the two reference partners `./dev run` starts, one partner that pushes its
catalog instead of serving it, and the club's own rewards.

The demo partners' API keys are fixed and public, like their signing secrets (partners/run_demo.py):
they exist so that a partner's calls can be tried in GraphiQL, and must never be used for a real partner.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal

from domain import models
from domain.partners import hash_secret
from partners.run_demo import DEMO_PARTNERS

# (partner name, API key prefix, API key secret): the key is "<prefix>.<secret>".
DEMO_API_KEYS = {
    "Cellier Marceau": ("pk_demowine01", "demo-wine-api-key"),
    "Thermes Aurelia": ("pk_demospa001", "demo-spa-api-key"),
    "Fleurs Sauveterre": ("pk_demoflower", "demo-flower-api-key"),
}
_POINT_VALUES = {"Cellier Marceau": Decimal("0.0100"), "Thermes Aurelia": Decimal("0.0120"),
                 "Fleurs Sauveterre": Decimal("0.0080")}

# The push-only florist's catalog, as it would push it with partnerCatalogPush.
_FLORIST_ITEMS = [
    ("bouquet-saison", "Seasonal bouquet", "A hand-tied bouquet of the week's flowers, delivered in town.",
     1800, None, None, "flowers", 30),
    ("orchid-phalaenopsis", "White phalaenopsis orchid", "A two-stem orchid in a ceramic pot.",
     3200, 12, "Gold", "flowers", 30),
]

# (title, description, points price, stock, lowest tier name, category, validity days)
_CLUB_REWARDS = [
    ("Guest day pass", "Bring a friend for a day at the club, lunch included.", 2500, None, None, "club", 180),
    ("Chef's table for two", "A seven-course dinner at the chef's table, wine pairing included.",
     12000, 8, "Gold", "dining", 120),
    ("Private cellar tour", "An hour in the club's cellar with the sommelier, four tastings.",
     6000, 20, "Silver", "experience", 90),
    ("Signature bathrobe", "The club's embroidered bathrobe, to take home.", 4000, 40, None, "gift", 365),
    ("Yacht afternoon", "Four hours on the club's yacht for up to six guests.",
     45000, 1, "Platinum", "experience", 365),
]


async def seed_demo_partners(*, progress: Callable[[str], None] | None = None) -> None:
    report = progress or (lambda _msg: None)
    if await models.Partner.exists():
        return
    now = datetime.now(timezone.utc)
    tiers = {tier.name: tier for tier in await models.Tier.all()}
    for demo in DEMO_PARTNERS:
        await _partner(demo.name, base_url=demo.url, secret=demo.secret, now=now)
    florist = await _partner("Fleurs Sauveterre", base_url=None, secret="demo-flower-signing-secret", now=now)
    await models.PartnerCatalogItem.bulk_create([
        models.PartnerCatalogItem(partner=florist, item_id=item_id, title=title, description=description,
                                  points_price=price, stock=stock, tier_restriction=tier, category=category,
                                  validity_days=days, pushed_at=now)
        for item_id, title, description, price, stock, tier, category, days in _FLORIST_ITEMS
    ])
    await models.Reward.bulk_create([
        models.Reward(title=title, description=description, points_price=price, stock=stock,
                      tier=tiers.get(tier) if tier else None, category=category, validity_days=days)
        for title, description, price, stock, tier, category, days in _CLUB_REWARDS
    ])
    report("partners and rewards")


async def _partner(name: str, *, base_url: str | None, secret: str, now: datetime) -> models.Partner:
    partner = await models.Partner.create(
        name=name, slug=name.lower().replace(" ", "-"), base_url=base_url, point_value=_POINT_VALUES[name],
        currency="CHF", signing_secret=secret,
    )
    prefix, key_secret = DEMO_API_KEYS[name]
    await models.PartnerApiKey.create(partner=partner, prefix=prefix, secret_hash=hash_secret(key_secret),
                                      label="Demo key", created_at=now)
    return partner
