"""The partner protocol (docs/partner-protocol.md) against a real reference partner process over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from domain.signatures import SignatureError, signature_headers, verify
from tests.partners.reference import SECRET, PartnerProcess, partner_server

MEMBER = {"reference": "m-7f3a9c", "tier": "Gold"}


@pytest.fixture(scope="module")
def partner(tmp_path_factory) -> PartnerProcess:
    with partner_server(tmp_path_factory.mktemp("partner") / "wine.sqlite3") as running:
        yield running


@pytest.fixture
def fresh_store(tmp_path):
    return tmp_path / "partner.sqlite3"


def issue(partner: PartnerProcess, redemption_id: str, item_id: str, *, quantity: int = 1, member=MEMBER,
          timeout: float = 5.0) -> httpx.Response:
    payload = {"redemptionId": redemption_id, "itemId": item_id, "quantity": quantity, "member": member}
    return partner.post("/rewards", payload, timeout=timeout)


def stock_of(partner: PartnerProcess, item_id: str) -> int | None:
    return next(item["stock"] for item in partner.get("/catalog").json()["items"] if item["id"] == item_id)


def test_the_catalog_lists_every_item_with_its_price_stock_and_restriction(partner):
    # when
    response = partner.get("/catalog")
    # then
    assert response.status_code == 200
    catalog = response.json()
    assert catalog.pop("generatedAt").endswith("Z")
    items = catalog.pop("items")
    assert catalog == {"protocolVersion": 1, "partner": {"name": "Test Cellar"}}
    assert [item["id"] for item in items] == [
        "wine-tasting-evening", "wine-chablis-premier-cru", "wine-barolo-vertical", "wine-grand-cru-dinner",
        "wine-gift-card-50",
    ]
    assert items[2] == {
        "id": "wine-barolo-vertical",
        "title": "Barolo vertical, 2015 to 2019",
        "description": "Five vintages of one estate, delivered in a wooden case.",
        "pointsPrice": 9500,
        "stock": 6,
        "tierRestriction": "Gold",
        "category": "wine",
        "imageUrl": "https://img.cellier-marceau.example/rewards/barolo.jpg",
        "validityDays": 60,
        "delivery": "fulfilment",
    }
    assert items[4]["stock"] is None  # unlimited


def test_the_spa_serves_its_own_catalog(fresh_store):
    with partner_server(fresh_store, catalog="spa") as spa:
        items = spa.get("/catalog").json()["items"]
    assert [item["id"] for item in items] == [
        "spa-day-pass", "spa-massage-60", "spa-couple-ritual", "spa-weekend-retreat",
    ]


def test_issue_is_idempotent_by_redemption_id(partner):
    # given
    before = stock_of(partner, "wine-tasting-evening")
    # when
    first = issue(partner, "r-idem-1", "wine-tasting-evening")
    again = issue(partner, "r-idem-1", "wine-tasting-evening")
    # then
    assert first.status_code == 201
    reward = first.json()
    assert reward["redemptionId"] == "r-idem-1"
    assert reward["status"] == "issued"
    assert reward["itemId"] == "wine-tasting-evening"
    assert reward["quantity"] == 1
    assert reward["voucherCode"].startswith("TEST-")
    assert reward["fulfilmentId"] is None
    assert reward["cancelledAt"] is None
    assert again.status_code == 200
    assert again.json() == reward
    assert stock_of(partner, "wine-tasting-evening") == before - 1


def test_a_shipped_item_gets_a_fulfilment_id_instead_of_a_voucher(partner):
    response = issue(partner, "r-ship-1", "wine-chablis-premier-cru", quantity=2)
    assert response.status_code == 201
    assert response.json()["voucherCode"] is None
    assert response.json()["fulfilmentId"].startswith("TEST-F")
    assert response.json()["quantity"] == 2


def test_a_repeat_with_other_arguments_is_refused(partner):
    # given
    issue(partner, "r-conflict-1", "wine-tasting-evening")
    # when
    response = issue(partner, "r-conflict-1", "wine-gift-card-50")
    # then
    assert response.status_code == 409
    assert response.json() == {"error": {
        "code": "IDEMPOTENCY_CONFLICT",
        "message": "Redemption 'r-conflict-1' was issued with another item, quantity or member",
    }}
    assert partner.get("/rewards/r-conflict-1").json()["itemId"] == "wine-tasting-evening"


def test_out_of_stock_is_refused_and_nothing_is_issued(partner):
    # given: the last two dinners go to one Platinum member
    platinum = {"reference": "m-platinum", "tier": "Platinum"}
    assert issue(partner, "r-dinner-1", "wine-grand-cru-dinner", quantity=2, member=platinum).status_code == 201
    # when
    response = issue(partner, "r-dinner-2", "wine-grand-cru-dinner", member=platinum)
    # then
    assert response.status_code == 409
    assert response.json() == {"error": {
        "code": "OUT_OF_STOCK", "message": "Not enough 'Grand cru pairing dinner' left for 1"}}
    assert partner.get("/rewards/r-dinner-2").status_code == 404
    assert stock_of(partner, "wine-grand-cru-dinner") == 0


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"itemId": "wine-no-such-thing"}, 422, "UNKNOWN_ITEM"),
        ({"itemId": "wine-barolo-vertical", "member": {"reference": "m-1", "tier": "Silver"}}, 422, "TIER_NOT_ALLOWED"),
        ({"itemId": "wine-barolo-vertical", "member": {"reference": "m-1", "tier": None}}, 422, "TIER_NOT_ALLOWED"),
        ({"quantity": 0}, 400, "INVALID_REQUEST"),
        ({"redemptionId": "has spaces"}, 400, "INVALID_REQUEST"),
        ({"member": {"tier": "Gold"}}, 400, "INVALID_REQUEST"),
    ],
    ids=["unknown item", "tier too low", "no tier", "quantity 0", "bad redemption id", "no member reference"],
)
def test_a_bad_issue_request_is_refused_with_a_code(partner, payload, status, code):
    # given
    request = {"redemptionId": f"r-bad-{code}-{status}", "itemId": "wine-tasting-evening", "quantity": 1,
               "member": MEMBER, **payload}
    # when
    response = partner.post("/rewards", request)
    # then
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    if "redemptionId" not in payload:
        assert partner.get(f"/rewards/{request['redemptionId']}").status_code == 404


def test_the_status_of_a_reward_and_of_an_unknown_redemption(partner):
    # given
    issued = issue(partner, "r-status-1", "wine-gift-card-50").json()
    # when
    known = partner.get("/rewards/r-status-1")
    unknown = partner.get("/rewards/r-never-seen")
    # then
    assert (known.status_code, known.json()) == (200, issued)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {
        "code": "UNKNOWN_REDEMPTION", "message": "We never issued nor cancelled redemption 'r-never-seen'"}}


def test_cancel_is_idempotent_and_gives_the_stock_back_once(partner):
    # given
    before = stock_of(partner, "wine-tasting-evening")
    issued = issue(partner, "r-cancel-1", "wine-tasting-evening").json()
    # when
    first = partner.post("/rewards/r-cancel-1/cancel", {})
    again = partner.post("/rewards/r-cancel-1/cancel", {"reason": "retry"})
    # then
    assert first.status_code == 200
    cancelled = first.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelledAt"].endswith("Z")
    assert {**cancelled, "status": "issued", "cancelledAt": None} == issued
    assert (again.status_code, again.json()) == (200, cancelled)
    assert partner.get("/rewards/r-cancel-1").json() == cancelled
    assert stock_of(partner, "wine-tasting-evening") == before
    reissue = issue(partner, "r-cancel-1", "wine-tasting-evening")
    assert (reissue.status_code, reissue.json()["error"]["code"]) == (409, "REDEMPTION_CANCELLED")


def test_cancelling_an_unknown_redemption_fences_off_a_late_issue(partner):
    # given: the club gave up on an issue that had not arrived yet
    before = stock_of(partner, "wine-tasting-evening")
    cancelled = partner.post("/rewards/r-late-1/cancel", {})
    # when: the issue arrives after all
    late = issue(partner, "r-late-1", "wine-tasting-evening")
    # then
    assert cancelled.status_code == 200
    assert cancelled.json() == {
        "redemptionId": "r-late-1", "status": "cancelled", "itemId": None, "quantity": None, "voucherCode": None,
        "fulfilmentId": None, "issuedAt": None, "expiresAt": None, "cancelledAt": cancelled.json()["cancelledAt"],
    }
    assert (late.status_code, late.json()["error"]["code"]) == (409, "REDEMPTION_CANCELLED")
    assert stock_of(partner, "wine-tasting-evening") == before


@pytest.mark.parametrize(
    ("secret", "age"),
    [(None, 0), ("another secret", 0), (SECRET, 301)],
    ids=["unsigned", "wrong secret", "stale"],
)
def test_unsigned_or_stale_requests_are_refused_and_do_nothing(partner, secret, age):
    # given
    redemption_id = f"r-unsigned-{age}-{secret is None}"
    body = (f'{{"redemptionId":"{redemption_id}","itemId":"wine-gift-card-50","quantity":1,'
            '"member":{"reference":"m-1","tier":"Gold"}}').encode()
    headers = {} if secret is None else signature_headers(secret, body, now=time.time() - age)
    # when
    response = httpx.post(f"{partner.url}/rewards", content=body, headers=headers)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "BAD_SIGNATURE"
    verify(SECRET, response.headers, response.content)  # refusals are signed too
    assert partner.get(f"/rewards/{redemption_id}").status_code == 404


def test_answers_are_signed_over_their_exact_bytes(partner):
    # when
    response = httpx.get(f"{partner.url}/catalog", headers=signature_headers(SECRET, b""))
    # then
    verify(SECRET, response.headers, response.content)
    with pytest.raises(SignatureError):
        verify("another secret", response.headers, response.content)
    with pytest.raises(SignatureError):
        verify(SECRET, response.headers, response.content + b" ")


def test_the_latency_switch_slows_answers_down(partner):
    # given
    assert partner.switch(latencyMs=400)["latencyMs"] == 400
    try:
        # when
        started = time.monotonic()
        response = partner.get("/catalog")
        elapsed = time.monotonic() - started
    finally:
        partner.switch(latencyMs=0)
    # then
    assert response.status_code == 200
    assert elapsed >= 0.4


def test_error_rate_one_fails_every_request_and_does_nothing(partner):
    # given
    partner.switch(errorRate=1.0)
    try:
        # when
        catalog = partner.get("/catalog")
        issued = issue(partner, "r-error-1", "wine-gift-card-50")
    finally:
        partner.switch(errorRate=0.0)
    # then
    assert catalog.status_code == 503
    assert issued.status_code == 503
    assert issued.json() == {"error": {
        "code": "UNAVAILABLE", "message": "Injected failure: nothing was done, try again later"}}
    assert partner.get("/rewards/r-error-1").status_code == 404


def test_a_timeout_issues_the_reward_but_the_answer_comes_too_late(partner):
    # given
    partner.switch(timeoutRate=1.0, hangMs=1500)
    try:
        # when
        with pytest.raises(httpx.ReadTimeout):
            issue(partner, "r-timeout-1", "wine-gift-card-50", timeout=0.3)
    finally:
        partner.switch(timeoutRate=0.0)
    # then: the status lookup tells the club what happened
    status = partner.get("/rewards/r-timeout-1")
    assert (status.status_code, status.json()["status"]) == (200, "issued")


def test_admin_switches_refuse_bad_values_and_unsigned_calls(partner):
    bad = partner.post("/_admin/switches", {"errorRate": 2})
    unknown = partner.post("/_admin/switches", {"explode": True})
    unsigned = httpx.post(f"{partner.url}/_admin/switches", json={"errorRate": 1.0})
    assert (bad.status_code, bad.json()["error"]["message"]) == (400, "errorRate must be a number between 0 and 1")
    assert unknown.status_code == 400
    assert unsigned.status_code == 401
    assert partner.switch() == {
        "latencyMs": 0, "errorRate": 0.0, "timeoutRate": 0.0, "hangMs": 1500, "crashAfterIssue": False}


def test_crash_after_issue_dies_unanswered_and_the_reward_survives_the_restart(fresh_store):
    # given
    with partner_server(fresh_store, "--crash-after-issue") as crashing:
        before = stock_of(crashing, "wine-tasting-evening")
        # when
        with pytest.raises(httpx.TransportError):
            issue(crashing, "r-crash-1", "wine-tasting-evening")
        # then
        assert crashing.process.wait(timeout=5) == 3
    with partner_server(fresh_store, "--crash-after-issue") as restarted:
        status = restarted.get("/rewards/r-crash-1")
        assert (status.status_code, status.json()["status"]) == (200, "issued")
        repeat = issue(restarted, "r-crash-1", "wine-tasting-evening")
        assert (repeat.status_code, repeat.json()) == (200, status.json())
        assert stock_of(restarted, "wine-tasting-evening") == before - 1
        assert restarted.process.poll() is None
