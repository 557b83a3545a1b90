"""The redemption saga against the reference partner as a real process over real HTTP.

The club runs in-process (the `client` fixture); the partner is `python -m partners.reference_server`
with its switches: refusals, timeouts, 503s and a crash right after issuing.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from domain import ledger, models
from domain.models import EntryKind, RedemptionStatus
from partners import client as client_module
from partners import redemption
from domain import catalog as catalog_module
from domain.catalog import CatalogItem
from domain.viewer import member_viewer
from partners.client import IssuedReward, PartnerClient, PartnerRefusal
from partners.federation import CatalogFederation
from tests.factories import (
    gql,
    make_earning,
    make_member,
    make_member_reference,
    make_partner,
    make_tiers,
    make_voucher,
    member_token,
    reward_gid,
)
from tests.partners.reference import SECRET, partner_server

REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) {
  redemption { reference status quantity points partnerName failureCode failureMessage settledAt
               voucher { code fulfilmentId title quantity status expiresAt partnerName } }
  errors { field code message } } }"""
TASTING = "wine-tasting-evening"  # 1,800 points, voucher, 40 in stock, any tier
BAROLO = "wine-barolo-vertical"  # 9,500 points, fulfilment, 6 in stock, Gold and above


async def _setup(url: str, points: int = 20_000, tier: str = "Gold") -> tuple[models.Member, models.Partner]:
    tiers = await make_tiers()
    member = await make_member(tier=tiers[tier])
    await make_earning(member, points, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    partner = await make_partner("Test Cellar", base_url=url, signing_secret=SECRET)
    return member, partner


def _input(partner: models.Partner, item: str, *, quantity: int = 1, key: str = "redeem-1") -> dict:
    return {"input": {"rewardId": reward_gid(f"partner:{partner.id}:{item}"), "quantity": quantity, "idempotencyKey": key}}


async def _entries(member: models.Member) -> list[tuple[str, int]]:
    rows = await models.LedgerEntry.filter(member_id=member.id).exclude(kind=EntryKind.EARN).order_by("id")
    return [(str(row.kind), row.amount) for row in rows]


def _later(minutes: int = 2) -> datetime:
    """A moment past the grace (60 s by default) and any backoff so far."""
    return ledger.utcnow() + timedelta(minutes=minutes)


class _Known:
    """The catalog as read a moment ago: the partner fails only from the issue on."""

    def __init__(self, item: CatalogItem) -> None:
        self._item = item

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None:
        return self._item


async def test_the_partner_issues_and_the_club_captures_and_keeps_its_voucher(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        member, partner = await _setup(partner_process.url)
        # when
        result = await gql(client, REDEEM, _input(partner, TASTING, quantity=2), token=member_token(member))
        # then
        row = await models.Redemption.get(member_id=member.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
        voucher = await models.Voucher.get(redemption_id=row.id)
        assert result == {
            "data": {
                "rewardRedeem": {
                    "redemption": {
                        "reference": row.reference,
                        "status": "COMPLETED",
                        "quantity": 2,
                        "points": 3_600,
                        "partnerName": "Test Cellar",
                        "failureCode": None,
                        "failureMessage": None,
                        "settledAt": row.settled_at.isoformat(),
                        "voucher": {
                            "code": at_partner["voucherCode"],
                            "fulfilmentId": None,
                            "title": "Cellar tasting evening for two",
                            "quantity": 2,
                            "status": "ISSUED",
                            "expiresAt": voucher.expires_at.isoformat(),
                            "partnerName": "Test Cellar",
                        },
                    },
                    "errors": [],
                }
            }
        }
        assert at_partner["status"] == "issued" and at_partner["quantity"] == 2
        assert re.fullmatch(r"TEST(-[0-9A-F]{4}){4}", at_partner["voucherCode"]), at_partner  # 64 random bits
        assert voucher.expires_at == datetime.fromisoformat(at_partner["expiresAt"].replace("Z", "+00:00"))
        assert await _entries(member) == [("hold", -3_600), ("release", 3_600), ("redeem", -3_600)]
        assert (await models.Member.get(id=member.id)).points_balance == 20_000 - 3_600
        assert await ledger.check_invariants() == []


async def test_a_fulfilment_reward_keeps_the_partners_fulfilment_id(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        member, partner = await _setup(partner_process.url)
        # when
        result = await gql(client, REDEEM, _input(partner, BAROLO), token=member_token(member))
        # then
        voucher = result["data"]["rewardRedeem"]["redemption"]["voucher"]
        row = await models.Redemption.get(member_id=member.id)
        assert voucher["code"] is None
        assert voucher["fulfilmentId"] == partner_process.get(f"/rewards/{row.reference}").json()["fulfilmentId"]


async def test_a_partners_refusal_gives_the_points_back(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: 7 Barolo cases when the partner has 6
        member, partner = await _setup(partner_process.url, points=100_000)
        # when
        result = await gql(client, REDEEM, _input(partner, BAROLO, quantity=7), token=member_token(member))
        # then
        payload = result["data"]["rewardRedeem"]
        assert payload["errors"] == []
        assert {key: payload["redemption"][key] for key in ("status", "failureCode", "voucher")} == {
            "status": "REFUSED",
            "failureCode": "OUT_OF_STOCK",
            "voucher": None,
        }
        assert payload["redemption"]["failureMessage"]
        assert await _entries(member) == [("hold", -66_500), ("release", 66_500)]
        assert (await models.Member.get(id=member.id)).points_balance == 100_000
        assert await ledger.check_invariants() == []


async def test_the_clubs_tier_check_comes_before_asking_the_partner(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        member, partner = await _setup(partner_process.url, tier="Silver")
        # when
        result = await gql(client, REDEEM, _input(partner, BAROLO), token=member_token(member))
        # then
        assert result["data"]["rewardRedeem"]["errors"] == [
            {"field": "rewardId", "code": "TIER_NOT_ALLOWED", "message": "'Barolo vertical, 2015 to 2019' is for Gold members and above"}
        ]
        assert await models.Redemption.all().count() == 0


async def test_a_partner_that_cannot_be_reached_holds_nothing(client, tmp_path):
    # given: a partner whose server is gone
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        url = partner_process.url
    member, partner = await _setup(url)
    # when
    result = await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
    # then
    [error] = result["data"]["rewardRedeem"]["errors"]
    assert (error["field"], error["code"]) == ("rewardId", "PARTNER_UNAVAILABLE")
    assert error["message"] == (
        "Test Cellar cannot be reached right now (temporarily unavailable); nothing was held, try again later"
    )
    assert await _entries(member) == []
    assert await models.Redemption.all().count() == 0


async def test_a_partner_that_crashes_after_issuing_is_reconciled_by_the_status_lookup(client, tmp_path):
    store = tmp_path / "cellar.sqlite3"
    with partner_server(store) as partner_process:
        # given
        member, partner = await _setup(partner_process.url)
        partner_process.switch(crashAfterIssue=True)
        # when: the partner commits the reward and dies before answering
        result = await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
        partner_process.process.wait(timeout=10)
    # then: the club does not know, and says so
    assert result["data"]["rewardRedeem"]["redemption"]["status"] == "PENDING"
    assert await _entries(member) == [("hold", -1_800)]
    row = await models.Redemption.get(member_id=member.id)
    # ...and once the partner is back, reconciliation asks and completes it with the partner's code
    with partner_server(store) as restarted:
        await models.Partner.filter(id=partner.id).update(base_url=restarted.url)
        outcomes = await redemption.reconcile_pending(client=PartnerClient(), now=_later())
        at_partner = restarted.get(f"/rewards/{row.reference}").json()
    assert outcomes == {"completed": 1}
    row = await models.Redemption.get(id=row.id)
    assert row.status == RedemptionStatus.COMPLETED
    assert await models.Voucher.filter(redemption_id=row.id).values_list("code", flat=True) == [at_partner["voucherCode"]]
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800), ("redeem", -1_800)]
    assert await ledger.check_invariants() == []


async def test_a_partner_timeout_is_decided_by_the_status_lookup(client, tmp_path, monkeypatch):
    # given: short deadlines, and a partner that issues, then hangs past them
    monkeypatch.setattr(client_module, "ISSUE_DEADLINE", 0.5)
    monkeypatch.setattr(client_module, "STATUS_DEADLINE", 0.5)
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        member, partner = await _setup(partner_process.url)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(timeoutRate=1, hangMs=1_500)
        # when
        pending = await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
            idempotency_key="k", items=known, client=PartnerClient(),
        )
        first_try = await redemption.reconcile_pending(client=PartnerClient(), now=_later(2))
        partner_process.switch(timeoutRate=0)
        second_try = await redemption.reconcile_pending(client=PartnerClient(), now=_later(3))
        row = await models.Redemption.get(member_id=member.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
    # then: pending while unknown, never given back, then completed by the partner's word
    assert pending.status == RedemptionStatus.PENDING
    assert (first_try, second_try) == ({"retry_later": 1}, {"completed": 1})
    assert (row.status, row.attempts) == (RedemptionStatus.COMPLETED, 2)
    assert await models.Voucher.filter(redemption_id=row.id).values_list("code", flat=True) == [at_partner["voucherCode"]]
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800), ("redeem", -1_800)]


async def test_a_redemption_the_partner_never_heard_of_is_fenced_then_given_back(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: the partner answers 503 to the issue and to the status lookup: the outcome is unknown
        member, partner = await _setup(partner_process.url)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(errorRate=1)
        pending = await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
            idempotency_key="k", items=known, client=PartnerClient(),
        )
        # when: the partner is back; reconciliation asks, hears 404, fences, and gives the points back
        partner_process.switch(errorRate=0)
        outcomes = await redemption.reconcile_pending(client=PartnerClient(), now=_later())
        row = await models.Redemption.get(id=pending.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
        late_issue = partner_process.post(
            "/rewards",
            {"redemptionId": row.reference, "itemId": TASTING, "quantity": 1, "member": {"reference": "mbr_x", "tier": "Gold"}},
        )
    # then
    assert pending.status == RedemptionStatus.PENDING
    assert outcomes == {"cancelled": 1}
    assert (row.status, row.failure_code) == (RedemptionStatus.CANCELLED, "CANCELLED")
    assert (at_partner["status"], at_partner["itemId"], at_partner["voucherCode"]) == ("cancelled", None, None)
    assert (late_issue.status_code, late_issue.json()["error"]["code"]) == (409, "REDEMPTION_CANCELLED")
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800)]
    assert await models.Voucher.all().count() == 0
    assert await ledger.check_invariants() == []


async def test_a_retry_with_the_same_key_drives_a_pending_redemption_on(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a redemption left pending by a partner answering 503, its grace over
        member, partner = await _setup(partner_process.url)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(errorRate=1)
        pending = await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
            idempotency_key="redeem-1", items=known, client=PartnerClient(), grace_seconds=0,
        )
        partner_process.switch(errorRate=0)
        # when: the member's app retries with the same key
        result = await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
        at_partner = partner_process.get(f"/rewards/{pending.reference}").json()
    # then
    assert pending.status == RedemptionStatus.PENDING
    redeemed = result["data"]["rewardRedeem"]["redemption"]
    assert (redeemed["reference"], redeemed["status"]) == (pending.reference, "COMPLETED")
    assert redeemed["voucher"]["code"] == at_partner["voucherCode"]
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800), ("redeem", -1_800)]


async def test_reconcilers_racing_over_the_same_redemptions_settle_each_once(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: five pending redemptions, issued at the partner or not
        member, partner = await _setup(partner_process.url, points=50_000)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(errorRate=1)
        for n in range(5):
            await redemption.redeem(
                viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
                idempotency_key=f"k{n}", items=known, client=PartnerClient(),
            )
        partner_process.switch(errorRate=0)
        rows = await models.Redemption.all().order_by("id")
        reference = await make_member_reference(partner, member)
        for row in rows[:2]:  # the partner did issue two of them
            partner_process.post("/rewards", {"redemptionId": row.reference, "itemId": TASTING, "quantity": 1,
                                              "member": {"reference": reference, "tier": "Gold"}})
        # when
        results = await asyncio.gather(
            *(redemption.reconcile_pending(client=PartnerClient(), now=_later()) for _ in range(4))
        )
    # then
    settled = sum((Counter(result) for result in results), Counter())
    assert (settled["completed"], settled["cancelled"]) == (2, 3)
    statuses = await models.Redemption.all().order_by("id").values_list("status", flat=True)
    assert statuses == [RedemptionStatus.COMPLETED] * 2 + [RedemptionStatus.CANCELLED] * 3
    assert await models.Voucher.all().count() == 2
    assert (await models.Member.get(id=member.id)).points_balance == 50_000 - 2 * 1_800
    assert await ledger.check_invariants() == []


async def test_reconciliation_leaves_a_redemption_to_its_request_during_the_grace(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        member, partner = await _setup(partner_process.url)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(errorRate=1)
        pending = await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
            idempotency_key="k", items=known, client=PartnerClient(), grace_seconds=60,
        )
        partner_process.switch(errorRate=0)
        # when
        outcomes = await redemption.reconcile_pending(client=PartnerClient(), now=pending.created_at + timedelta(seconds=59))
    # then
    assert outcomes == {}
    assert (await models.Redemption.get(id=pending.id)).status == RedemptionStatus.PENDING


async def test_settling_twice_moves_the_points_once():
    # given: a pending redemption and the partner's word, seen by two settlers
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    await make_earning(member, 5_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    hold = await ledger.hold(member_id=member.id, points=1_000, reference="rdm_t")
    row = await models.Redemption.create(
        reference="rdm_t", member_id=member.id, item_id="x", title="X", quantity=1, points=1_000,
        idempotency_key="k", fingerprint="f", hold_entry_id=hold.id, next_attempt_at=ledger.utcnow(),
        created_at=ledger.utcnow(),
    )
    reward = IssuedReward("rdm_t", "issued", "x", 1, "CODE-1", None, ledger.utcnow(), None, None)
    # when
    first, second = await asyncio.gather(redemption.complete(row.id, reward), redemption.complete(row.id, reward))
    late_refusal = await redemption.give_back(row.id, RedemptionStatus.REFUSED, code="OUT_OF_STOCK", message="late")
    # then
    assert sorted([first, second, late_refusal]) == [False, False, True]
    assert await _entries(member) == [("hold", -1_000), ("release", 1_000), ("redeem", -1_000)]
    assert await models.Voucher.filter(redemption_id=row.id).count() == 1
    assert await ledger.check_invariants() == []


async def test_the_reconcile_command_settles_what_is_due(client, tmp_path, database_url):
    import os
    import subprocess
    import sys

    from tests.servers import REPO

    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a redemption left pending, due now (no grace)
        member, partner = await _setup(partner_process.url)
        known = _Known(await CatalogFederation().item(partner, TASTING))
        partner_process.switch(errorRate=1)
        pending = await redemption.redeem(
            viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
            idempotency_key="k", items=known, client=PartnerClient(), grace_seconds=0,
        )
        partner_process.switch(errorRate=0)
        # when
        environ = {**os.environ, "DATABASE_URL": database_url, "CLUBGRAPH_ENV": "test", "CLUBGRAPH_LOG_LEVEL": "warning"}
        ran = subprocess.run(
            [sys.executable, "-m", "api.cli", "reconcile"], cwd=REPO, env=environ, capture_output=True, text=True, timeout=60
        )
    # then
    assert (ran.returncode, ran.stdout) == (0, "Reconciling: 1 redemptions pending ...\nDone: 1 cancelled\n"), ran.stderr
    assert (await models.Redemption.get(id=pending.id)).status == RedemptionStatus.CANCELLED


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (30, 60)),
        ({"CLUBGRAPH_RECONCILE_INTERVAL_SECONDS": "0", "CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "8"}, (0, 8)),
        ({"CLUBGRAPH_RECONCILE_INTERVAL_SECONDS": "-1"}, "CLUBGRAPH_RECONCILE_INTERVAL_SECONDS must be 0 (off) or a positive number of seconds"),
        ({"CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "0"}, "CLUBGRAPH_REDEMPTION_GRACE_SECONDS must be at least 8 seconds"),
        ({"CLUBGRAPH_REDEMPTION_GRACE_SECONDS": "7"}, "CLUBGRAPH_REDEMPTION_GRACE_SECONDS must be at least 8 seconds"),
    ],
)
def test_the_reconciliation_settings(environ, expected):
    from api.settings import MIN_REDEMPTION_GRACE_SECONDS, SettingsError, load_settings

    assert MIN_REDEMPTION_GRACE_SECONDS == client_module.ISSUE_DEADLINE + client_module.STATUS_DEADLINE == 8

    # when / then
    if isinstance(expected, str):
        with pytest.raises(SettingsError, match=re.escape(expected)):
            load_settings(environ)
    else:
        settings = load_settings(environ)
        assert (settings.reconcile_interval_seconds, settings.redemption_grace_seconds) == expected


# --- who may drive a pending redemption, and fencing ----------------------------------------------


class _Interleaved(PartnerClient):
    """The real client, with a step run at a chosen moment of reconciliation: right after a status
    lookup, or right before a cancel is sent. It stands for another actor coming in just then."""

    def __init__(self, *, after_status=None, before_cancel=None, cancel_refusal: PartnerRefusal | None = None) -> None:
        super().__init__()
        self.after_status, self.before_cancel, self.cancel_refusal = after_status, before_cancel, cancel_refusal

    async def status(self, endpoint, redemption_id):
        reward = await super().status(endpoint, redemption_id)
        if self.after_status is not None:
            step, self.after_status = self.after_status, None
            await step()
        return reward

    async def cancel(self, endpoint, redemption_id, *, reason):
        if self.before_cancel is not None:
            step, self.before_cancel = self.before_cancel, None
            await step()
        if self.cancel_refusal is not None:  # e.g. a partner that shipped the reward already
            raise self.cancel_refusal
        return await super().cancel(endpoint, redemption_id, reason=reason)


async def _left_pending(partner_process, member, partner, *, key: str = "redeem-1", grace_seconds: float = 0):
    """A redemption left pending by a partner answering 503 to everything; the partner is back after."""
    known = _Known(await CatalogFederation().item(partner, TASTING))
    partner_process.switch(errorRate=1)
    pending = await redemption.redeem(
        viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
        idempotency_key=key, items=known, client=PartnerClient(), grace_seconds=grace_seconds,
    )
    partner_process.switch(errorRate=0)
    assert pending.status == RedemptionStatus.PENDING
    return pending


async def test_a_retry_during_the_grace_leaves_the_redemption_to_its_request(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a pending redemption whose request may still be waiting on the partner
        member, partner = await _setup(partner_process.url)
        pending = await _left_pending(partner_process, member, partner, grace_seconds=60)
        issued_before = partner_process.requests()["issue"]
        # when
        result = await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
        # then: answered as it stands, and the partner was not asked again
        redeemed = result["data"]["rewardRedeem"]["redemption"]
        assert (redeemed["reference"], redeemed["status"]) == (pending.reference, "PENDING")
        assert partner_process.requests()["issue"] == issued_before
        assert await _entries(member) == [("hold", -1_800)]


async def test_a_retry_after_the_reconcilers_404_cannot_complete_what_it_then_fences(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a pending redemption the partner never heard of, its grace over
        member, partner = await _setup(partner_process.url)
        pending = await _left_pending(partner_process, member, partner)
        issued_before = partner_process.requests()["issue"]
        retries = []

        async def member_retries() -> None:
            retries.append(await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member)))

        # when: the member's app retries right after the reconciler heard 404, before it fences
        outcomes = await redemption.reconcile_pending(client=_Interleaved(after_status=member_retries))
        row = await models.Redemption.get(id=pending.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
        # then: the retry did not issue (the row was the reconciler's), and the club agrees with the partner
        assert [retry["data"]["rewardRedeem"]["redemption"]["status"] for retry in retries] == ["PENDING"]
        assert partner_process.requests()["issue"] == issued_before
        assert outcomes == {"cancelled": 1}
        assert (row.status, at_partner["status"], at_partner["voucherCode"]) == (RedemptionStatus.CANCELLED, "cancelled", None)
        assert await models.Voucher.all().count() == 0
        assert await _entries(member) == [("hold", -1_800), ("release", 1_800)]
        assert await ledger.check_invariants() == []


async def test_an_issue_landing_after_the_fence_is_decided_cannot_complete(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a pending redemption the partner never heard of
        member, partner = await _setup(partner_process.url)
        pending = await _left_pending(partner_process, member, partner)
        reference = await make_member_reference(partner, member)
        driven = []

        async def original_request_lands() -> None:
            # its issue reaches the partner between the reconciler's decision to fence and the fence
            row = await models.Redemption.get(id=pending.id)
            driven.append(await redemption._drive(
                row, client_module.Endpoint.of(partner), PartnerClient(), reference, "Gold", None
            ))

        # when
        outcomes = await redemption.reconcile_pending(client=_Interleaved(before_cancel=original_request_lands))
        row = await models.Redemption.get(id=pending.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
        # then: the request saw it being cancelled; the partner cancelled the issued reward, the club gave the points back
        assert [one.status for one in driven] == [RedemptionStatus.CANCELLING]
        assert outcomes == {"cancelled": 1}
        assert (row.status, at_partner["status"], at_partner["itemId"]) == (RedemptionStatus.CANCELLED, "cancelled", TASTING)
        assert await models.Voucher.all().count() == 0
        assert await _entries(member) == [("hold", -1_800), ("release", 1_800)]
        assert await ledger.check_invariants() == []


async def test_a_fence_refused_as_not_cancellable_goes_back_to_pending_and_completes(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: the reward is issued at the partner right after the reconciler's 404, and the
        # partner can no longer take it back (it shipped it)
        member, partner = await _setup(partner_process.url)
        pending = await _left_pending(partner_process, member, partner)
        reference = await make_member_reference(partner, member)

        async def issued_meanwhile() -> None:
            partner_process.post("/rewards", {"redemptionId": pending.reference, "itemId": TASTING, "quantity": 1,
                                              "member": {"reference": reference, "tier": "Gold"}})

        shipped = client_module.PartnerRefusal(409, "NOT_CANCELLABLE", "Shipped already")
        # when
        outcomes = await redemption.reconcile_pending(
            client=_Interleaved(after_status=issued_meanwhile, cancel_refusal=shipped)
        )
        row = await models.Redemption.get(id=pending.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
    # then
    assert outcomes == {"completed": 1}
    assert row.status == RedemptionStatus.COMPLETED
    assert await models.Voucher.filter(redemption_id=row.id).values_list("code", flat=True) == [at_partner["voucherCode"]]
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800), ("redeem", -1_800)]


async def test_a_cancelling_redemption_without_an_answer_is_only_ever_cancelled(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: the reconciler decided to fence, and the cancel gets no valid answer
        member, partner = await _setup(partner_process.url)
        pending = await _left_pending(partner_process, member, partner)

        async def partner_fails() -> None:
            partner_process.switch(errorRate=1)

        first = await redemption.reconcile_pending(client=_Interleaved(before_cancel=partner_fails))
        cancelling = await models.Redemption.get(id=pending.id)
        partner_process.switch(errorRate=0)
        # when: the member retries, then reconciliation tries again
        retry = await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
        lookups_before = partner_process.requests()["status"]
        second = await redemption.reconcile_pending(client=PartnerClient(), now=_later())
        lookups_after = partner_process.requests()["status"]
        row = await models.Redemption.get(id=pending.id)
        at_partner = partner_process.get(f"/rewards/{row.reference}").json()
    # then: held while cancelling, the retry says so, the cancel is repeated (no new lookup), then given back
    assert (first, cancelling.status) == ({"retry_later": 1}, RedemptionStatus.CANCELLING)
    assert retry["data"]["rewardRedeem"]["redemption"]["status"] == "CANCELLING"
    assert (second, row.status, at_partner["status"]) == ({"cancelled": 1}, RedemptionStatus.CANCELLED, "cancelled")
    assert lookups_after == lookups_before
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800)]


async def test_settling_a_cancelling_redemption_only_cancels_it():
    # given: a redemption being cancelled at the partner
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    await make_earning(member, 5_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    hold = await ledger.hold(member_id=member.id, points=1_000, reference="rdm_c")
    row = await models.Redemption.create(
        reference="rdm_c", member_id=member.id, item_id="x", title="X", quantity=1, points=1_000,
        status=RedemptionStatus.CANCELLING, idempotency_key="k", fingerprint="f", hold_entry_id=hold.id,
        next_attempt_at=ledger.utcnow(), created_at=ledger.utcnow(),
    )
    issued = IssuedReward("rdm_c", "issued", "x", 1, "CODE-1", None, ledger.utcnow(), None, None)
    cancelled = IssuedReward("rdm_c", "cancelled", None, None, None, None, None, None, ledger.utcnow())
    # when
    completed = await redemption.complete(row.id, issued)
    refused = await redemption.give_back(row.id, RedemptionStatus.REFUSED, code="OUT_OF_STOCK", message="late")
    given_back = await redemption.settle(row.id, cancelled)
    # then
    assert (completed, refused, given_back) == (False, False, True)
    assert (await models.Redemption.get(id=row.id)).status == RedemptionStatus.CANCELLED
    assert await _entries(member) == [("hold", -1_000), ("release", 1_000)]
    assert await models.Voucher.all().count() == 0


async def test_a_claims_lease_counts_from_the_claim_not_from_the_batchs_start(client, tmp_path, monkeypatch):
    # given: three due redemptions, worked one at a time, each try taking 0.3 s and failing
    monkeypatch.setattr(redemption, "RECONCILE_CONCURRENCY", 1)
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        member, partner = await _setup(partner_process.url)
        for n in range(3):
            await _left_pending(partner_process, member, partner, key=f"k{n}")
        partner_process.switch(latencyMs=300, errorRate=1)
        # when
        started = ledger.utcnow()
        outcomes = await redemption.reconcile_pending(client=PartnerClient())
    # then: each lease ends 10 s after its own claim, so the later ones later
    leases = await models.Redemption.all().order_by("id").values_list("next_attempt_at", flat=True)
    assert outcomes == {"retry_later": 3}
    assert leases[0] >= started + timedelta(seconds=10)
    assert [later - earlier >= timedelta(seconds=0.25) for earlier, later in zip(leases, leases[1:])] == [True, True]


async def test_a_partner_without_an_endpoint_backs_off_and_starves_no_other(client, tmp_path, caplog):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: a pending redemption of a partner whose endpoint was cleared since, then one of another partner
        member, lost = await _setup(partner_process.url)
        other = await make_partner("Second Cellar", base_url=partner_process.url, signing_secret=SECRET)
        stranded = await _left_pending(partner_process, member, lost, key="k1")
        settled = await _left_pending(partner_process, member, other, key="k2")
        await models.Partner.filter(id=lost.id).update(base_url=None)
        # when: two passes of one row each
        now = _later()
        first = await redemption.reconcile_pending(client=PartnerClient(), now=now, batch=1)
        second = await redemption.reconcile_pending(client=PartnerClient(), now=now, batch=1)
    # then
    stranded = await models.Redemption.get(id=stranded.id)
    assert (first, second) == ({"no_endpoint": 1}, {"cancelled": 1})
    assert (stranded.status, stranded.attempts) == (RedemptionStatus.PENDING, 1)
    assert stranded.next_attempt_at >= now + timedelta(seconds=10)
    assert (await models.Redemption.get(id=settled.id)).status == RedemptionStatus.CANCELLED
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert [message for message in errors if "partner Test Cellar has no endpoint" in message], errors


async def test_a_partners_endpoint_cannot_be_cleared_while_redemptions_wait_on_it(client, tmp_path):
    from tests.factories import gid, make_staff, staff_token

    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given
        member, partner = await _setup(partner_process.url)
        await _left_pending(partner_process, member, partner)
        manager = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
        update = """mutation($input: PartnerUpdateInput!) { partnerUpdate(input: $input) {
          partner { baseUrl } errors { field code message } } }"""
        # when
        result = await gql(client, update, {"input": {"partnerId": gid("Partner", partner.id), "baseUrl": None}}, token=manager)
    # then
    assert result == {"data": {"partnerUpdate": {"partner": None, "errors": [{
        "field": "baseUrl", "code": "PENDING_REDEMPTIONS",
        "message": "1 redemption(s) of this partner are not settled yet and need its endpoint to settle: clear it once they are",
    }]}}}
    assert (await models.Partner.get(id=partner.id)).base_url == partner_process.url


# --- repeated partner codes, races on one key, tiers ---------------------------------------------


async def test_a_partner_code_the_club_has_already_does_not_block_the_redemption(client, tmp_path):
    store = tmp_path / "cellar.sqlite3"
    with partner_server(store) as partner_process:
        # given: the partner issues, crashes before answering...
        member, partner = await _setup(partner_process.url)
        partner_process.switch(crashAfterIssue=True)
        await gql(client, REDEEM, _input(partner, TASTING), token=member_token(member))
        partner_process.process.wait(timeout=10)
    row = await models.Redemption.get(member_id=member.id)
    with partner_server(store) as restarted:
        await models.Partner.filter(id=partner.id).update(base_url=restarted.url)
        code = restarted.get(f"/rewards/{row.reference}").json()["voucherCode"]
        # ...and the code it gave is one the club already has from it (a partner's bug)
        other = await make_member(tier=(await models.Tier.get(name="Gold")))
        await make_voucher(other, partner, code=code)
        # when
        outcomes = await redemption.reconcile_pending(client=PartnerClient(), now=_later())
    # then: completed all the same, the points spent once
    assert outcomes == {"completed": 1}
    assert (await models.Redemption.get(id=row.id)).status == RedemptionStatus.COMPLETED
    assert await models.Voucher.filter(partner_id=partner.id, code=code).count() == 2
    assert await _entries(member) == [("hold", -1_800), ("release", 1_800), ("redeem", -1_800)]
    assert await ledger.check_invariants() == []


class _SpentMeanwhile(_Known):
    """The catalog, read while another request of the member spends their points."""

    def __init__(self, item: CatalogItem, member: models.Member, points: int) -> None:
        super().__init__(item)
        self._member, self._points = member, points

    async def item(self, partner: models.Partner, item_id: str) -> CatalogItem | None:
        await ledger.hold(member_id=self._member.id, points=self._points, reference="elsewhere")
        return await super().item(partner, item_id)


async def test_points_spent_meanwhile_are_reported_on_the_quantity(client, tmp_path):
    with partner_server(tmp_path / "cellar.sqlite3") as partner_process:
        # given: 2,000 points, of which 1,000 are spent while the reward is looked up
        member, partner = await _setup(partner_process.url, points=2_000)
        items = _SpentMeanwhile(await CatalogFederation().item(partner, TASTING), member, 1_000)
        # when
        with pytest.raises(redemption.DomainError) as refused:
            await redemption.redeem(
                viewer=member_viewer(member.id), reward_key=f"partner:{partner.id}:{TASTING}", quantity=1,
                idempotency_key="k", items=items, client=PartnerClient(),
            )
    # then
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "INSUFFICIENT_POINTS", "quantity", "Only 1000 points are available"
    )
    assert await models.Redemption.all().count() == 0


@pytest.mark.parametrize("restriction", ["Gold", "gold", "GOLD", " Gold", "Gold ", "Platinum", "Silver"])
async def test_redeeming_allows_exactly_what_the_catalog_shows_as_eligible(client, restriction):
    from domain import rewards

    # given: a Gold member and a push-only partner's item restricted to a tier named as the partner wrote it
    tiers = await make_tiers()
    member = await make_member(tier=tiers["Gold"])
    await make_earning(member, 5_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    partner = await make_partner("Maison Laurent")
    await models.PartnerCatalogItem.create(
        partner_id=partner.id, item_id="box", title="Box", points_price=100, stock=5,
        tier_restriction=restriction, category="food", validity_days=10, pushed_at=ledger.utcnow(),
    )
    item = catalog_module.from_pushed(await models.PartnerCatalogItem.get(partner_id=partner.id))
    eligible = rewards.Eligibility(rank=tiers["Gold"].rank, ladder=await rewards.ladder()).allows(item)
    # when
    result = await gql(client, REDEEM, _input(partner, "box"), token=member_token(member))
    # then
    payload = result["data"]["rewardRedeem"]
    redeemed = payload["redemption"] is not None and payload["redemption"]["status"] == "COMPLETED"
    assert redeemed == eligible, payload
    assert eligible == (restriction.strip().casefold() in ("gold", "silver") and restriction == restriction.strip())
