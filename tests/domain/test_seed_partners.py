"""The demo's partners and rewards: the two reference partners `./dev run` starts, a push-only florist, the club's
rewards, and members who redeemed some of them."""

from domain import ledger, models, partners
from domain.models import RedemptionStatus
from domain.seed import DEMO_MEMBER_EMAIL, seed_demo
from partners.demo_data import DEMO_API_KEYS, seed_demo_partners
from partners.demo_redemptions import seed_demo_redemptions
from partners.run_demo import DEMO_PARTNERS


async def test_the_demo_registers_the_reference_partners_a_pushing_partner_and_club_rewards():
    # given
    await seed_demo(members=10)
    # when
    await seed_demo_partners()
    await seed_demo_partners()  # a second run adds nothing
    # then
    registered = {p.name: p for p in await models.Partner.all()}
    assert sorted(registered) == sorted([*(demo.name for demo in DEMO_PARTNERS), "Fleurs Sauveterre"])
    for demo in DEMO_PARTNERS:
        assert (registered[demo.name].base_url, registered[demo.name].signing_secret) == (demo.url, demo.secret)
    assert registered["Fleurs Sauveterre"].base_url is None
    assert await models.PartnerCatalogItem.filter(partner=registered["Fleurs Sauveterre"]).count() == 2
    for name, (prefix, secret) in DEMO_API_KEYS.items():
        authenticated = await partners.authenticate(f"{prefix}.{secret}")
        assert authenticated is not None and authenticated.name == name
    rewards = await models.Reward.all().order_by("points_price")
    assert len(rewards) == 5 and all(r.active for r in rewards)
    assert any(r.tier_id for r in rewards) and any(r.stock == 1 for r in rewards)


async def test_the_demo_member_holds_vouchers_and_every_demo_redemption_is_paid_for():
    # given
    await seed_demo(members=30)
    await seed_demo_partners()
    # when
    await seed_demo_redemptions()
    await seed_demo_redemptions()  # a second run adds nothing
    # then
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    redemptions = await models.Redemption.all()
    assert redemptions and all(r.status == RedemptionStatus.COMPLETED and r.redeem_entry_id for r in redemptions)
    assert await models.Voucher.filter(member_id=demo.id).exists()
    assert await models.Voucher.all().count() == len(redemptions)
    assert await ledger.check_invariants() == []
