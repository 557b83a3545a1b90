"""A real clubgraph server killed with SIGKILL at each step of a partner redemption, then restarted.

The fault switch (partners/faults.py, CLUBGRAPH_FAULT) makes the server kill itself right after the
hold, right after the partner issued (before the capture) or right after the capture. A new server
without the fault reconciles at start-up; then: the points are spent exactly once or given back,
at most one voucher exists (the partner's own status endpoint agrees), the redemption is settled,
and the ledger's invariants hold. The reference partner is a real process too.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime, timezone

import httpx
import pytest

from api.settings import MIN_REDEMPTION_GRACE_SECONDS
from domain import ledger, models
from domain.models import EntryKind, RedemptionStatus
from partners import faults
from tests.factories import make_earning, make_member, make_partner, make_tiers, member_token, reward_gid
from tests.partners.reference import SECRET, partner_server
from tests.servers import serve

ITEM = "wine-tasting-evening"  # 1,800 points
PRICE = 1_800
POINTS = 10_000
SETTLE_TIMEOUT = 30.0  # the grace (8 s) from the redemption's start, then a reconciler pass (every second)
REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) {
  redemption { reference status voucher { code } } errors { code } } }"""


async def _settled(redemption_id: int) -> models.Redemption:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        row = await models.Redemption.get(id=redemption_id)
        if row.status not in (RedemptionStatus.PENDING, RedemptionStatus.CANCELLING) or time.monotonic() > deadline:
            return row
        await asyncio.sleep(0.2)


async def _entries(member_id: int) -> list[tuple[str, int]]:
    rows = await models.LedgerEntry.filter(member_id=member_id).exclude(kind=EntryKind.EARN).order_by("id")
    return [(str(row.kind), row.amount) for row in rows]


@pytest.mark.parametrize(
    ("fault", "state_after_crash", "settled_as", "entries_after_crash"),
    [
        (faults.CRASH_AFTER_HOLD, RedemptionStatus.PENDING, RedemptionStatus.CANCELLED, [("hold", -PRICE)]),
        (faults.CRASH_AFTER_ISSUE, RedemptionStatus.PENDING, RedemptionStatus.COMPLETED, [("hold", -PRICE)]),
        (
            faults.CRASH_AFTER_CAPTURE,
            RedemptionStatus.COMPLETED,
            RedemptionStatus.COMPLETED,
            [("hold", -PRICE), ("release", PRICE), ("redeem", -PRICE)],
        ),
    ],
)
async def test_a_server_killed_mid_redemption_settles_it_exactly_once_after_restart(
    database_url, tmp_path, monkeypatch, fault, state_after_crash, settled_as, entries_after_crash
):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        tiers = await make_tiers()
        member = await make_member(tier=tiers["Gold"])
        await make_earning(member, POINTS, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        partner = await make_partner("Test Cellar", base_url=partner_process.url, signing_secret=SECRET)
        variables = {"input": {"rewardId": reward_gid(f"partner:{partner.id}:{ITEM}"), "quantity": 1, "idempotencyKey": "once"}}
        headers = {"Authorization": f"Bearer {member_token(member)}"}
        monkeypatch.setenv("CLUBGRAPH_REDEMPTION_GRACE_SECONDS", str(MIN_REDEMPTION_GRACE_SECONDS))
        monkeypatch.setenv("CLUBGRAPH_RECONCILE_INTERVAL_SECONDS", "0")  # only the restarted server reconciles
        monkeypatch.setenv(faults.ENV, fault)
        # when: the server dies at that step
        with serve(database_url) as server:
            with pytest.raises(httpx.TransportError):
                httpx.post(f"{server.url}/graphql", json={"query": REDEEM, "variables": variables}, headers=headers, timeout=30)
            assert server.process.wait(timeout=10) == -signal.SIGKILL
        [row] = await models.Redemption.filter(member_id=member.id)
        assert row.status == state_after_crash
        assert await _entries(member.id) == entries_after_crash
        # ...and a server without the fault starts, reconciles, and the member's app retries
        monkeypatch.delenv(faults.ENV)
        monkeypatch.setenv("CLUBGRAPH_RECONCILE_INTERVAL_SECONDS", "1")
        with serve(database_url) as server:
            row = await _settled(row.id)
            retry = httpx.post(f"{server.url}/graphql", json={"query": REDEEM, "variables": variables}, headers=headers, timeout=30)
        at_partner = partner_process.get(f"/rewards/{row.reference}")
    # then
    assert row.status == settled_as
    vouchers = await models.Voucher.filter(redemption_id=row.id).values_list("code", flat=True)
    balance = (await models.Member.get(id=member.id)).points_balance
    if settled_as == RedemptionStatus.COMPLETED:
        assert at_partner.json()["status"] == "issued"
        assert vouchers == [at_partner.json()["voucherCode"]]
        assert balance == POINTS - PRICE
        assert await _entries(member.id) == [("hold", -PRICE), ("release", PRICE), ("redeem", -PRICE)]
    else:
        assert (at_partner.json()["status"], at_partner.json()["voucherCode"]) == ("cancelled", None)  # the fence
        assert vouchers == []
        assert balance == POINTS
        assert await _entries(member.id) == [("hold", -PRICE), ("release", PRICE)]
    assert retry.json() == {
        "data": {
            "rewardRedeem": {
                "redemption": {
                    "reference": row.reference,
                    "status": settled_as.name,
                    "voucher": {"code": vouchers[0]} if vouchers else None,
                },
                "errors": [],
            }
        }
    }
    assert await models.Redemption.filter(member_id=member.id).count() == 1
    assert await ledger.check_invariants() == []


@pytest.mark.parametrize(
    ("environ", "armed"),
    [
        ({"CLUBGRAPH_ENV": "test", faults.ENV: faults.CRASH_AFTER_HOLD}, faults.CRASH_AFTER_HOLD),
        ({"CLUBGRAPH_ENV": "production", faults.ENV: faults.CRASH_AFTER_HOLD}, None),
        ({"CLUBGRAPH_ENV": "test", faults.ENV: "crash_somewhere"}, None),
        ({"CLUBGRAPH_ENV": "test"}, None),
    ],
)
def test_the_fault_switch_is_a_test_switch_only(monkeypatch, environ, armed):
    # given
    monkeypatch.delenv(faults.ENV, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    # when / then
    assert faults._armed() == armed
