"""The transactional outbox: domain events written in the transaction of the change they tell of.

`enqueue` is called inside that transaction, so an event exists exactly when its change committed:
a change rolled back leaves no event, and an event committed is delivered later by domain/webhooks.py
however the process dies. The jobs' events (reminders, expiry notices) carry a once-only `key`.

Payloads are for receivers outside the club, which are no staff role: ids (global IDs, as the API
gives them) and the few facts a receiver acts on, never a name, an email, a phone, a spend or a
free-text note. A member is named only by their global ID.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain import models
from domain.ledger import utcnow
from domain.models import WebhookEventType


def global_id(type_name: str, pk: int | str) -> str:
    """The object's global ID as the GraphQL API shows it (Relay: base64 of "Type:id")."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def enqueue(
    type: WebhookEventType,
    payload: dict[str, Any],
    *,
    member_id: int | None = None,
    now: datetime | None = None,
) -> models.OutboxEvent:
    """Write one event; call it inside the transaction of the change, so that both commit or neither."""
    return await models.OutboxEvent.create(
        type=type, payload=payload, member_id=member_id, created_at=now or utcnow()
    )


@dataclass(frozen=True, slots=True)
class Pending:
    """An event a job wants written once: `key` says which occasion it is about."""

    key: str
    payload: dict[str, Any]
    member_id: int | None = None


async def enqueue_once(type: WebhookEventType, events: Sequence[Pending], *, now: datetime | None = None) -> int:
    """Write each event whose key is new; returns how many were new when read.

    Reruns and concurrent runs of a job write each occasion once: the unique key settles races, and
    a conflicting insert is skipped (ON CONFLICT DO NOTHING), not failed.
    """
    if not events:
        return 0
    now = now or utcnow()
    keys = [event.key for event in events]
    known = set(await models.OutboxEvent.filter(key__in=keys).values_list("key", flat=True))
    new = [event for event in events if event.key not in known]
    if new:
        await models.OutboxEvent.bulk_create(
            [
                models.OutboxEvent(type=type, key=event.key, payload=event.payload, member_id=event.member_id, created_at=now)
                for event in new
            ],
            ignore_conflicts=True,
        )
    return len(new)


# --- the payloads, one builder per event type, so that what leaves the club is in one place -----


def tier_changed(change: models.TierChange, *, from_tier: str | None, to_tier: str, changed_at: datetime) -> dict[str, Any]:
    # The reason is left out: a review's names spend figures, a manual one is staff's free text.
    return {
        "member": global_id("Member", change.member_id),
        "fromTier": from_tier,
        "toTier": to_tier,
        "source": change.source.value,
        "changedAt": iso(changed_at),
    }


def points_expiring_soon(*, member_id: int, points: int, expires_on: date) -> dict[str, Any]:
    return {"member": global_id("Member", member_id), "points": points, "expiresOn": iso(expires_on)}


def redemption_completed(redemption: models.Redemption, *, completed_at: datetime) -> dict[str, Any]:
    # Never the voucher code: it is a bearer secret, the member's alone.
    return {
        "member": global_id("Member", redemption.member_id),
        "redemption": global_id("Redemption", redemption.id),
        "reference": redemption.reference,
        "rewardTitle": redemption.title,
        "quantity": redemption.quantity,
        "points": redemption.points,
        "partner": global_id("Partner", redemption.partner_id) if redemption.partner_id else None,
        "completedAt": iso(completed_at),
    }


def event_reminder(*, registration_id: int, member_id: int, event: models.Event, guests: int) -> dict[str, Any]:
    return {
        "member": global_id("Member", member_id),
        "registration": global_id("EventRegistration", registration_id),
        "event": global_id("Event", event.id),
        "eventTitle": event.title,
        "startsAt": iso(event.starts_at),
        "guests": guests,
    }


def ticket_breached(*, ticket_id: int, member_id: int, category: str, severity: str, sla_due_at: datetime, breached_at: datetime) -> dict[str, Any]:
    # Neither subject nor description: the member's own words.
    return {
        "member": global_id("Member", member_id),
        "ticket": global_id("Ticket", ticket_id),
        "category": category,
        "severity": severity,
        "slaDueAt": iso(sla_due_at),
        "breachedAt": iso(breached_at),
    }
