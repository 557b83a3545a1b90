"""The demo's points: written through the points module, every kind of move, and a consistent ledger."""

from domain import ledger, models
from domain.models import EntryKind, EntrySource
from domain.seed import DEMO_MEMBER_EMAIL, seed_demo


async def test_the_demo_member_has_a_history_of_every_kind_of_move_and_the_ledger_holds():
    # when
    loaded = await seed_demo(members=40)
    # then
    demo = await models.Member.get(email=DEMO_MEMBER_EMAIL)
    entries = await models.LedgerEntry.filter(member_id=demo.id).values_list("kind", "source", "amount")
    assert loaded is True
    assert {(kind, source) for kind, source, _ in entries} == {
        (EntryKind.EARN, EntrySource.PURCHASE),
        (EntryKind.EARN, EntrySource.CAMPAIGN),
        (EntryKind.EARN, EntrySource.REFERRAL),
        (EntryKind.EARN, EntrySource.BIRTHDAY),
        (EntryKind.EXPIRE, EntrySource.EXPIRY),
        (EntryKind.REVERSE, EntrySource.REFUND),
        (EntryKind.TRANSFER_OUT, EntrySource.TRANSFER),
        (EntryKind.TRANSFER_IN, EntrySource.TRANSFER),
        (EntryKind.ADJUST, EntrySource.STAFF),
        (EntryKind.REDEEM, EntrySource.REDEMPTION),
    }
    assert demo.points_balance == sum(amount for _, _, amount in entries) > 0
    assert await models.Purchase.filter(member_id__not=demo.id).count() > 40
    assert await ledger.check_invariants() == []
