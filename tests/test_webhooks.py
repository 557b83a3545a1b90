"""Outbound webhooks: events written with their change, fanned out, delivered signed, retried, dead-lettered.

Deliveries go to a real HTTP receiver (tests/webhook_receiver.py) over loopback. The crash of a
server mid-delivery is in tests/test_webhook_crash.py.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from tortoise.transactions import in_transaction

from domain import events, models, outbox, points, tickets, tiers, webhooks
from domain.models import DeliveryStatus, WebhookEventType
from domain.viewer import staff_viewer
from domain.webhooks import DeliveryRules
from domain.signatures import verify
from tests.factories import (
    gid,
    gql,
    make_earning,
    make_event,
    make_member,
    make_registration,
    make_reward,
    make_staff,
    make_ticket,
    make_tiers,
    member_token,
    reward_gid,
    staff_token,
)
from tests.webhook_receiver import receiving

FAST = DeliveryRules(max_attempts=3, backoff_seconds=0.05, timeout_seconds=1.0)


async def make_endpoint(url: str, types: list[WebhookEventType] | None = None, *, active: bool = True) -> models.WebhookEndpoint:
    now = datetime.now(timezone.utc)
    return await models.WebhookEndpoint.create(
        url=url, secret=webhooks.new_secret(), event_types=[t.value for t in types or WebhookEventType],
        active=active, created_at=now, updated_at=now,
    )


async def deliver_until_settled(http: httpx.AsyncClient, rules: DeliveryRules = FAST, passes: int = 50) -> None:
    """Dispatcher passes until no delivery is pending (each a real pass, as the app's task runs them)."""
    for _ in range(passes):
        await webhooks.deliver_due(http=http, rules=rules)
        if not await models.WebhookDelivery.filter(status=DeliveryStatus.PENDING).exists():
            return
        await asyncio.sleep(0.02)


# --- events are written with their change --------------------------------------------------------

SET_TIER = """mutation($input: MemberSetTierInput!) { memberSetTier(input: $input) { member { tier { name } } errors { code } } }"""


async def test_a_tier_set_by_staff_writes_one_tier_changed_event_naming_no_one(client):
    # given
    ladder = await make_tiers()
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    member = await make_member(tier=ladder["Silver"], name="Mia Secret", email="mia@secret.example")
    variables = {"input": {"memberId": gid("Member", member.id), "tierId": gid("Tier", ladder["Gold"].id), "reason": "Board decision about Mia"}}
    # when
    result = await gql(client, SET_TIER, variables, token=staff_token(admin))
    # then
    assert result == {"data": {"memberSetTier": {"member": {"tier": {"name": "Gold"}}, "errors": []}}}
    [event] = await models.OutboxEvent.all()
    change = await models.TierChange.get(member_id=member.id)
    assert (event.type, event.member_id, event.key, event.fanned_out) == (WebhookEventType.TIER_CHANGED, member.id, None, False)
    assert event.payload == {
        "member": gid("Member", member.id),
        "fromTier": "Silver",
        "toTier": "Gold",
        "source": "manual",
        "changedAt": change.created_at.isoformat(),
    }
    assert "Mia" not in str(event.payload) and "secret" not in str(event.payload)


async def test_a_change_rolled_back_leaves_no_event():
    # given
    ladder = await make_tiers()
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    member = await make_member(tier=ladder["Silver"])
    # when: the tier change happens inside a transaction that fails afterwards
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await tiers.set_tier(
                viewer=staff_viewer(admin.id, admin.role), member_id=member.id, tier_id=ladder["Gold"].id, reason="r"
            )
            raise RuntimeError("the rest of the change failed")
    # then
    assert (await models.Member.get(id=member.id)).tier_id == ladder["Silver"].id
    assert await models.OutboxEvent.all().count() == 0


async def test_an_upgrade_by_the_rules_writes_a_tier_changed_event():
    # given: Gold at 1,000 points
    ladder = await make_tiers()
    await models.Tier.filter(id=ladder["Gold"].id).update(qualifying_points=1000)
    member = await make_member(tier=ladder["Silver"])
    now = datetime.now(timezone.utc)
    await make_earning(member, 1200, at=now - timedelta(days=1))
    # when
    await tiers.evaluate_upgrade(member_id=member.id, now=now)
    # then
    [event] = await models.OutboxEvent.all()
    assert (event.payload["fromTier"], event.payload["toTier"], event.payload["source"]) == ("Silver", "Gold", "qualification")


REDEEM = """mutation($input: RewardRedeemInput!) { rewardRedeem(input: $input) { redemption { id reference } errors { code } } }"""


async def test_a_completed_redemption_writes_its_event_without_the_voucher_code(client):
    # given
    member = await make_member()
    await make_earning(member, 2000, at=datetime.now(timezone.utc))
    reward = await make_reward("Club scarf", points_price=500)
    variables = {"input": {"rewardId": reward_gid(f"club:{reward.id}"), "quantity": 2, "idempotencyKey": "k"}}
    # when
    result = await gql(client, REDEEM, variables, token=member_token(member))
    # then
    redemption = await models.Redemption.get(member_id=member.id)
    voucher = await models.Voucher.get(redemption_id=redemption.id)
    assert result["data"]["rewardRedeem"]["errors"] == []
    [event] = await models.OutboxEvent.all()
    assert (event.type, event.member_id) == (WebhookEventType.REDEMPTION_COMPLETED, member.id)
    assert event.payload == {
        "member": gid("Member", member.id),
        "redemption": gid("Redemption", redemption.id),
        "reference": redemption.reference,
        "rewardTitle": "Club scarf",
        "quantity": 2,
        "points": 1000,
        "partner": None,
        "completedAt": redemption.settled_at.isoformat(),
    }
    assert voucher.code not in str(event.payload)


async def test_breached_tickets_write_one_event_each_however_often_the_job_runs():
    # given: two tickets past their SLA, one within it
    member = await make_member()
    now = datetime.now(timezone.utc)
    late = await make_ticket(member, severity=models.TicketSeverity.HIGH, created_at=now - timedelta(days=2))
    older = await make_ticket(member, created_at=now - timedelta(days=5))
    await make_ticket(member, created_at=now)
    # when
    flagged = await tickets.flag_breaches(now=now)
    again = await tickets.flag_breaches(now=now + timedelta(minutes=1))
    # then
    assert (flagged, again) == (2, 0)
    rows = {row.key: row for row in await models.OutboxEvent.all()}
    assert set(rows) == {f"ticket.breached:{late.id}", f"ticket.breached:{older.id}"}
    assert rows[f"ticket.breached:{late.id}"].payload == {
        "member": gid("Member", member.id),
        "ticket": gid("Ticket", late.id),
        "category": "request",
        "severity": "high",
        "slaDueAt": late.sla_due_at.isoformat(),
        "breachedAt": now.isoformat(),
    }


async def test_event_reminders_go_once_per_confirmed_registration_of_an_event_within_24_hours():
    # given: a seat at an event in 12 hours, a waitlisted member there, and a seat at one in 3 days
    soon = await make_event(starts_in=timedelta(hours=12), capacity=1, title="Truffle dinner")
    later = await make_event(starts_in=timedelta(days=3))
    seated, waiting = await make_member(), await make_member()
    registration = await make_registration(soon, seated)
    await make_registration(soon, waiting)
    await make_registration(later, seated)
    # when
    written = await events.send_event_reminders()
    rerun = await events.send_event_reminders()
    # then
    assert (written, rerun) == (1, 0)
    [event] = await models.OutboxEvent.all()
    soon = await models.Event.get(id=soon.id)
    assert (event.key, event.member_id) == (f"event.reminder:{registration.id}", seated.id)
    assert event.payload == {
        "member": gid("Member", seated.id),
        "registration": gid("EventRegistration", registration.id),
        "event": gid("Event", soon.id),
        "eventTitle": "Truffle dinner",
        "startsAt": soon.starts_at.isoformat(),
        "guests": 0,
    }


async def test_expiry_notices_go_once_per_member_and_day_with_the_points_then_expiring():
    # given: two lots expiring on the same day within 30 days, one in 60 days
    member = await make_member()
    now = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    lifetime = timedelta(days=730)
    await make_earning(member, 100, at=now + timedelta(days=10, hours=1) - lifetime)
    await make_earning(member, 50, at=now + timedelta(days=10, hours=2) - lifetime)
    await make_earning(member, 70, at=now + timedelta(days=60) - lifetime)
    # when
    written = await points.notify_expiring_soon(now=now)
    rerun = await points.notify_expiring_soon(now=now + timedelta(hours=1))
    # then
    assert (written, rerun) == (1, 0)
    [event] = await models.OutboxEvent.all()
    assert (event.type, event.key) == (WebhookEventType.POINTS_EXPIRING_SOON, f"points.expiring_soon:{member.id}:2026-05-11")
    assert event.payload == {"member": gid("Member", member.id), "points": 150, "expiresOn": "2026-05-11"}


# --- fan-out ---------------------------------------------------------------------------------


async def test_fan_out_gives_each_event_once_to_the_active_endpoints_subscribed_to_it():
    # given
    subscribed = await make_endpoint("http://a.example/h", [WebhookEventType.TIER_CHANGED])
    await make_endpoint("http://b.example/h", [WebhookEventType.TICKET_BREACHED])
    await make_endpoint("http://c.example/h", [WebhookEventType.TIER_CHANGED], active=False)
    event = await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": "x"})
    # when: two workers at once, then again
    created = await asyncio.gather(webhooks.fan_out(), webhooks.fan_out())
    again = await webhooks.fan_out()
    # then
    assert (sorted(created), again) == ([0, 1], 0)
    rows = await models.WebhookDelivery.all().values_list("endpoint_id", "event_id", "status", "attempts")
    assert rows == [(subscribed.id, event.id, DeliveryStatus.PENDING, 0)]
    assert (await models.OutboxEvent.get(id=event.id)).fanned_out is True


# --- delivery --------------------------------------------------------------------------------


async def test_a_delivery_reaches_the_receiver_signed_with_the_endpoints_secret():
    with receiving() as receiver:
        # given
        endpoint = await make_endpoint(receiver.url, [WebhookEventType.TICKET_BREACHED])
        event = await outbox.enqueue(WebhookEventType.TICKET_BREACHED, {"ticket": "VGlja2V0OjE=", "severity": "high"}, member_id=None)
        # when
        async with httpx.AsyncClient() as http:
            outcome = await webhooks.deliver_due(http=http, rules=FAST)
        # then
        [request] = receiver.requests
    assert outcome == {"created": 1, "delivered": 1}
    verify(endpoint.secret, request.headers, request.body)  # the partner protocol's verifier: raises if wrong
    assert request.json() == {
        "id": f"evt_{event.id}",
        "type": "ticket.breached",
        "createdAt": event.created_at.isoformat(),
        "data": {"ticket": "VGlja2V0OjE=", "severity": "high"},
    }
    assert (request.headers["x-clubgraph-event-id"], request.headers["x-clubgraph-event-type"]) == (f"evt_{event.id}", "ticket.breached")
    assert (request.headers["content-type"], request.headers["x-clubgraph-delivery-attempt"]) == ("application/json", "1")
    delivery = await models.WebhookDelivery.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (DeliveryStatus.DELIVERED, 1, 200, None)
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None


async def test_failed_attempts_back_off_then_the_delivery_is_dead_until_staff_retry_it(client):
    with receiving(statuses=[503, 500, 404]) as receiver:
        # given
        admin = await make_staff(models.StaffRole.ADMINISTRATOR)
        await make_endpoint(receiver.url)
        await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": "x"})
        # when: every attempt fails
        async with httpx.AsyncClient() as http:
            await deliver_until_settled(http)
            dead = await models.WebhookDelivery.get()
            failed = receiver.requests
            # ...and staff retry it, and the receiver now answers 200
            retry = await gql(
                client,
                "mutation($input: WebhookDeliveryRetryInput!) { webhookDeliveryRetry(input: $input) "
                "{ delivery { status attempts } errors { code } } }",
                {"input": {"deliveryId": gid("WebhookDelivery", dead.id)}},
                token=staff_token(admin),
            )
            await deliver_until_settled(http)
            delivered = await models.WebhookDelivery.get()
            twice = await gql(
                client,
                "mutation($input: WebhookDeliveryRetryInput!) { webhookDeliveryRetry(input: $input) { errors { code field } } }",
                {"input": {"deliveryId": gid("WebhookDelivery", dead.id)}},
                token=staff_token(admin),
            )
    # then: three attempts, each wait about twice the one before (0.05 s, then 0.1 s, plus jitter)
    assert [r.headers["x-clubgraph-delivery-attempt"] for r in failed] == ["1", "2", "3"]
    gaps = [later.at - earlier.at for earlier, later in zip(failed, failed[1:])]
    assert 0.05 <= gaps[0] < 0.1 + 0.2 and 0.1 <= gaps[1] < 0.2 + 0.2, gaps
    assert (dead.status, dead.attempts, dead.last_status_code, dead.last_error, dead.next_attempt_at) == (
        DeliveryStatus.DEAD, 3, 404, "answered 404", None,
    )
    assert retry == {"data": {"webhookDeliveryRetry": {"delivery": {"status": "PENDING", "attempts": 0}, "errors": []}}}
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert twice == {"data": {"webhookDeliveryRetry": {"errors": [{"code": "NOT_DEAD", "field": "deliveryId"}]}}}


async def test_no_answer_in_time_and_no_connection_are_failed_attempts():
    with receiving() as receiver:
        # given: a receiver that never answers, and an address where nothing listens
        receiver.hold = True
        silent = await make_endpoint(receiver.url)
        closed = await make_endpoint("http://127.0.0.1:9/hooks")
        await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": "x"})
        # when
        async with httpx.AsyncClient() as http:
            outcome = await webhooks.deliver_due(http=http, rules=DeliveryRules(max_attempts=3, backoff_seconds=60, timeout_seconds=0.3))
    # then: both are tried again after the backoff
    assert outcome == {"created": 2, "retry_later": 2}
    rows = {row.endpoint_id: row for row in await models.WebhookDelivery.all()}
    assert (rows[silent.id].last_error, rows[silent.id].attempts) == ("no answer within 0.3 s", 1)
    assert (rows[closed.id].last_error, rows[closed.id].last_status_code) == ("could not be reached (ConnectError)", None)
    for row in rows.values():
        assert timedelta(seconds=60) <= row.next_attempt_at - row.last_attempt_at <= timedelta(seconds=76)


async def test_two_dispatchers_racing_deliver_each_attempt_once():
    with receiving() as receiver:
        # given: 20 events, and one delivery read by two workers before either claims it
        await make_endpoint(receiver.url)
        for n in range(20):
            await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"n": n})
        async with httpx.AsyncClient() as one, httpx.AsyncClient() as other:
            # when
            outcomes = await asyncio.gather(
                webhooks.deliver_due(http=one, rules=FAST), webhooks.deliver_due(http=other, rules=FAST)
            )
            await webhooks.fan_out()
            event = await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"n": 20})
            await webhooks.fan_out()
            stale = [await models.WebhookDelivery.get(event_id=event.id) for _ in range(2)]
            endpoint, event = await models.WebhookEndpoint.get(), await models.OutboxEvent.get(id=event.id)
            now = datetime.now(timezone.utc)
            raced = await asyncio.gather(
                *(webhooks.attempt(row, endpoint, event, http=http, rules=FAST, at=now) for row, http in zip(stale, (one, other)))
            )
        received = receiver.requests
    # then
    assert sum(outcome.get("delivered", 0) for outcome in outcomes) == 20
    assert sorted(raced) == ["delivered", "taken"]
    ids = [request.headers["x-clubgraph-event-id"] for request in received]
    assert len(ids) == len(set(ids)) == 21
    assert set(await models.WebhookDelivery.all().values_list("status", "attempts")) == {(DeliveryStatus.DELIVERED, 1)}


def test_the_backoff_doubles_from_the_base_with_up_to_a_quarter_of_jitter_and_is_capped():
    rules = DeliveryRules(backoff_seconds=10)
    for attempts, base in [(1, 10), (2, 20), (3, 40), (8, 1280), (9, 2560), (10, 3600), (30, 3600)]:
        waits = [rules.backoff(attempts).total_seconds() for _ in range(50)]
        assert all(base <= wait <= base * 1.25 for wait in waits), (attempts, min(waits), max(waits))
    assert rules.lease == timedelta(seconds=11)


# --- management --------------------------------------------------------------------------------

CREATE = """mutation($input: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $input) {
  endpoint { id url eventTypes active } secret errors { field code message } } }"""


async def test_an_endpoint_is_created_with_its_secret_shown_once_and_listed_without_it(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    token = staff_token(manager)
    # when
    created = await gql(
        client, CREATE, {"input": {"url": " https://hooks.example/club?x=1 ", "eventTypes": ["TIER_CHANGED", "TIER_CHANGED", "EVENT_REMINDER"]}}, token=token
    )
    listed = await gql(client, "{ webhookEndpoints { totalCount edges { node { url eventTypes active } } } }", token=token)
    # then
    row = await models.WebhookEndpoint.get()
    payload = created["data"]["webhookEndpointCreate"]
    assert payload == {
        "endpoint": {"id": gid("WebhookEndpoint", row.id), "url": "https://hooks.example/club?x=1", "eventTypes": ["EVENT_REMINDER", "TIER_CHANGED"], "active": True},
        "secret": row.secret,
        "errors": [],
    }
    assert row.secret.startswith("whsec_") and len(row.secret) > 40 and row.created_by_id == manager.id
    assert listed == {"data": {"webhookEndpoints": {"totalCount": 1, "edges": [{"node": {"url": "https://hooks.example/club?x=1", "eventTypes": ["EVENT_REMINDER", "TIER_CHANGED"], "active": True}}]}}}


@pytest.mark.parametrize(
    ("url", "event_types", "error"),
    [
        ("ftp://hooks.example/x", ["TIER_CHANGED"], ("url", "INVALID")),
        ("hooks.example/x", ["TIER_CHANGED"], ("url", "INVALID")),
        ("https://user:secret@hooks.example/x", ["TIER_CHANGED"], ("url", "INVALID")),
        ("https://hooks.example:99999/x", ["TIER_CHANGED"], ("url", "INVALID")),
        ("https://hooks.example/" + "x" * 500, ["TIER_CHANGED"], ("url", "TOO_LONG")),
        ("https://hooks.example/x", [], ("eventTypes", "REQUIRED")),
    ],
)
async def test_a_bad_url_or_no_event_type_is_refused_and_nothing_is_created(client, url, event_types, error):
    # given
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    # when
    result = await gql(client, CREATE, {"input": {"url": url, "eventTypes": event_types}}, token=staff_token(admin))
    # then
    payload = result["data"]["webhookEndpointCreate"]
    assert (payload["endpoint"], payload["secret"]) == (None, None)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [error]
    assert await models.WebhookEndpoint.all().count() == 0


async def test_an_unknown_event_type_is_refused_by_the_schema(client):
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    result = await gql(client, CREATE, {"input": {"url": "https://h.example", "eventTypes": ["MEMBER_BIRTHDAY"]}}, token=staff_token(admin))
    assert result["data"] is None and "MEMBER_BIRTHDAY" in result["errors"][0]["message"]


async def test_endpoints_are_updated_and_deleted_and_deliveries_filtered(client):
    # given: two endpoints, each with a delivery, one dead
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    token = staff_token(admin)
    first, second = await make_endpoint("https://one.example/h"), await make_endpoint("https://two.example/h")
    await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": "x"})
    await webhooks.fan_out()
    await models.WebhookDelivery.filter(endpoint_id=second.id).update(status=DeliveryStatus.DEAD, attempts=8, last_error="answered 500")
    # when
    updated = await gql(
        client,
        "mutation($input: WebhookEndpointUpdateInput!) { webhookEndpointUpdate(input: $input) { endpoint { url eventTypes active } errors { code } } }",
        {"input": {"endpointId": gid("WebhookEndpoint", first.id), "active": False, "eventTypes": ["TICKET_BREACHED"]}},
        token=token,
    )
    dead = await gql(
        client,
        "query($f: WebhookDeliveriesFilter) { webhookDeliveries(filter: $f) { edges { node { status attempts lastError "
        "endpoint { url } event { eventId type data } } } } }",
        {"f": {"status": "DEAD"}},
        token=token,
    )
    of_first = await gql(
        client,
        "query($f: WebhookDeliveriesFilter) { webhookDeliveries(filter: $f) { totalCount } }",
        {"f": {"endpointId": gid("WebhookEndpoint", first.id)}},
        token=token,
    )
    deleted = await gql(
        client,
        "mutation($input: WebhookEndpointDeleteInput!) { webhookEndpointDelete(input: $input) { deletedEndpointId errors { code } } }",
        {"input": {"endpointId": gid("WebhookEndpoint", second.id)}},
        token=token,
    )
    # then
    event = await models.OutboxEvent.get()
    assert updated == {"data": {"webhookEndpointUpdate": {"endpoint": {"url": "https://one.example/h", "eventTypes": ["TICKET_BREACHED"], "active": False}, "errors": []}}}
    assert dead == {"data": {"webhookDeliveries": {"edges": [{"node": {
        "status": "DEAD", "attempts": 8, "lastError": "answered 500", "endpoint": {"url": "https://two.example/h"},
        "event": {"eventId": f"evt_{event.id}", "type": "TIER_CHANGED", "data": {"member": "x"}},
    }}]}}}
    assert of_first == {"data": {"webhookDeliveries": {"totalCount": 1}}}
    assert deleted == {"data": {"webhookEndpointDelete": {"deletedEndpointId": gid("WebhookEndpoint", second.id), "errors": []}}}
    assert await models.WebhookEndpoint.all().values_list("id", flat=True) == [first.id]
    assert await models.WebhookDelivery.all().values_list("endpoint_id", flat=True) == [first.id]


async def test_the_webhooks_command_delivers_what_is_due_once_with_progress(database_url):
    from tests.test_cli_points import run_cli

    with receiving() as receiver:
        # given
        await make_endpoint(receiver.url)
        event = await outbox.enqueue(WebhookEventType.TIER_CHANGED, {"member": "x"})
        # when
        done = run_cli(database_url, "webhooks")
        [request] = receiver.requests
    # then
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["Delivering webhooks: 1 waiting ...", "1 deliveries created, 1 due", "Done: 1 created, 1 delivered"]
    assert request.json()["id"] == f"evt_{event.id}"
    assert (await models.WebhookDelivery.get()).status == DeliveryStatus.DELIVERED
