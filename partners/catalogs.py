"""The reference partner's two built-in catalogs: an invented wine merchant and an invented spa."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogItem:
    """One reward as the partner lists it; `stock` None means unlimited, `tier` None means any tier."""

    id: str
    title: str
    description: str
    points_price: int
    stock: int | None
    tier: str | None
    category: str
    image_url: str
    validity_days: int
    delivery: str  # "voucher": a code shown at the counter; "fulfilment": the partner ships or books it

    def as_json(self, remaining: int | None) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "pointsPrice": self.points_price,
            "stock": remaining,
            "tierRestriction": self.tier,
            "category": self.category,
            "imageUrl": self.image_url,
            "validityDays": self.validity_days,
            "delivery": self.delivery,
        }


_WINE_IMAGES = "https://img.cellier-marceau.example/rewards"
_SPA_IMAGES = "https://img.thermes-aurelia.example/rewards"

WINE = (
    CatalogItem("wine-tasting-evening", "Cellar tasting evening for two",
                "Six wines from the Loire with the cellar master, cheese included.",
                1_800, 40, None, "experience", f"{_WINE_IMAGES}/tasting.jpg", 180, "voucher"),
    CatalogItem("wine-chablis-premier-cru", "Chablis Premier Cru 2021, case of 3",
                "Three bottles delivered to the member's address.",
                2_600, 25, None, "wine", f"{_WINE_IMAGES}/chablis.jpg", 60, "fulfilment"),
    CatalogItem("wine-barolo-vertical", "Barolo vertical, 2015 to 2019",
                "Five vintages of one estate, delivered in a wooden case.",
                9_500, 6, "Gold", "wine", f"{_WINE_IMAGES}/barolo.jpg", 60, "fulfilment"),
    CatalogItem("wine-grand-cru-dinner", "Grand cru pairing dinner",
                "A private dinner in the cellar, paired with four grands crus.",
                24_000, 2, "Platinum", "experience", f"{_WINE_IMAGES}/dinner.jpg", 365, "voucher"),
    CatalogItem("wine-gift-card-50", "Gift card, 50 in store",
                "Spend it on any bottle in our shops.",
                1_000, None, None, "gift card", f"{_WINE_IMAGES}/gift-card.jpg", 365, "voucher"),
)

SPA = (
    CatalogItem("spa-day-pass", "Thermal day pass",
                "Pools, hammam and sauna for a day, robe and towels included.",
                1_200, 80, None, "wellness", f"{_SPA_IMAGES}/day-pass.jpg", 120, "voucher"),
    CatalogItem("spa-massage-60", "Signature massage, 60 minutes",
                "Warm-oil massage by our senior therapists.",
                2_400, 30, None, "treatment", f"{_SPA_IMAGES}/massage.jpg", 180, "voucher"),
    CatalogItem("spa-couple-ritual", "Couple ritual",
                "Private suite for two: scrub, massage and a glass of champagne.",
                6_800, 10, "Gold", "treatment", f"{_SPA_IMAGES}/couple.jpg", 180, "voucher"),
    CatalogItem("spa-weekend-retreat", "Weekend retreat",
                "Two nights, full board and three treatments each day.",
                32_000, 3, "Diamond", "stay", f"{_SPA_IMAGES}/retreat.jpg", 365, "fulfilment"),
)

CATALOGS: dict[str, tuple[CatalogItem, ...]] = {"wine": WINE, "spa": SPA}
