"""A member's data export: everything the club holds about one member, as one JSON-ready document.

Under data-protection law the member has a right to all of it, staff's private notes and internal
ticket notes included: they are the member's personal data too. Other people's personal data is left
out: a referral shows codes and counts, never a name; staff and other members appear by no name
(but the account manager's); a transfer names no counterpart. Voucher codes are bearer secrets: in
full for the member themself, masked for staff. Check-in codes and password hashes are secrets, not
data about the member, and are not exported.

Each section is one query, so an export costs the same number of statements however long the
member's history is. Every export is written to the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from domain import audit, models
from domain.errors import NotAuthenticated, PermissionDenied
from domain.ledger import utcnow
from domain.models import AuditKind
from domain.policy import Permission, require_permission
from domain.viewer import Viewer
from domain.voucher_codes import masked

FORMAT_VERSION = 1  # raised whenever a key is renamed or removed; new keys may appear in any version


def _plain(value: Any) -> Any:
    """A value JSON can carry as is: times in ISO 8601 (UTC), decimals as strings, enums by value."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


def may_export(viewer: Viewer, member_id: int) -> bool:
    """The member themself, or staff with MEMBER_EXPORT; refusals are raised, another member gets False."""
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if viewer.is_member:
        return viewer.id == member_id
    if not viewer.is_staff:
        raise PermissionDenied()
    require_permission(viewer, Permission.MEMBER_EXPORT)
    return True


@dataclass(frozen=True, slots=True)
class Export:
    exported_at: datetime
    document: dict[str, Any]  # JSON-ready: formatVersion, exportedAt, memberId and the sections


async def export_member_data(
    *, viewer: Viewer, member_id: int, request_id: str | None = None, now: datetime | None = None
) -> Export | None:
    """The export, or None when the member does not exist or is another member's to ask for."""
    if not may_export(viewer, member_id):
        return None
    member = await _member(member_id)
    if member is None:
        return None
    now = now or utcnow()
    read = await _sections(member_id, codes=(lambda code: code) if viewer.is_member else masked)
    document = {
        "formatVersion": FORMAT_VERSION,
        "exportedAt": _plain(now),
        "memberId": member_id,
        "profile": {key: member[key] for key in _PROFILE},
        "preferences": read["preferences"],
        "importantDates": read["importantDates"],
        "consents": read["consents"],
        "tier": {
            "name": member["tierName"],
            "since": member["tierSince"],
            "reviewOn": member["tierReviewOn"],
            "history": read["tierHistory"],
        },
        "points": {
            "balance": member["pointsBalance"],
            "debt": member["pointsDebt"],
            "ledgerEntries": read["ledgerEntries"],
            "lots": read["pointsLots"],
        },
        "purchases": read["purchases"],
        "benefitUses": read["benefitUses"],
        "events": {"registrations": read["eventRegistrations"], "feedback": read["eventFeedback"]},
        "care": {
            **{key: member[key] for key in _CARE},
            "interactions": read["interactions"],
            "tasks": read["tasks"],
        },
        "tickets": _nest(read["tickets"], "ticketId", responses=read["ticketResponses"], history=read["ticketHistory"]),
        "surveys": _nest(read["surveys"], "instanceId", answers=read["surveyAnswers"]),
        "referrals": {
            "referralCode": member["referralCode"],
            "referredByCode": member["referredByCode"],
            "referredCount": len(read["referees"]),
            "referredRewardedCount": sum(1 for referee in read["referees"] if referee["rewardedAt"] is not None),
        },
        "redemptions": read["redemptions"],
        "vouchers": read["vouchers"],
        "partners": {"references": read["partnerReferences"], "awards": read["partnerAwards"]},
        "signIns": read["signIns"],
    }
    await audit.record(
        viewer, [audit.AuditRecord(AuditKind.EXPORT, "memberDataExport", member_id=member_id)], request_id=request_id
    )
    return Export(now, document)


_PROFILE = (
    "id",
    "name",
    "email",
    "phone",
    "gender",
    "birthday",
    "status",
    "joinedOn",
    "accountManager",
    "createdAt",
    "erasedAt",
)
_CARE = ("lifecycleStage", "churnRisk", "segment", "rfmScore", "lastVisitAt", "careComputedAt")


async def _member(member_id: int) -> dict[str, Any] | None:
    rows = await models.Member.filter(id=member_id).values(
        "id",
        "name",
        "email",
        "phone",
        "gender",
        "birthday",
        "status",
        joinedOn="joined_on",
        tierName="tier__name",
        tierSince="tier_since",
        tierReviewOn="tier_review_on",
        accountManager="account_manager__name",
        referralCode="referral_code",
        referredByCode="referred_by__referral_code",
        pointsBalance="points_balance",
        pointsDebt="points_debt",
        lifecycleStage="lifecycle_stage",
        churnRisk="churn_risk",
        segment="segment",
        rfmScore="rfm_score",
        lastVisitAt="last_visit_at",
        careComputedAt="care_computed_at",
        erasedAt="erased_at",
        createdAt="created_at",
    )
    return _plain_rows(rows)[0] if rows else None


async def _sections(member_id: int, *, codes: Callable[[str], str]) -> dict[str, Any]:
    mine = {"member_id": member_id}
    preferences = models.MemberPreference.filter(**mine).order_by("id").values(
        "id", "category", "value", isPrivate="is_private", notedAt="noted_at"
    )
    important_dates = models.ImportantDate.filter(**mine).order_by("id").values(
        "id", "kind", "label", "date", createdAt="created_at"
    )
    consents = models.Consent.filter(**mine).order_by("purpose").values(
        "purpose", "granted", "source", recordedAt="recorded_at"
    )
    tier_history = models.TierChange.filter(**mine).order_by("id").values(
        "source", "reason", fromTier="from_tier__name", toTier="to_tier__name", at="created_at"
    )
    ledger = models.LedgerEntry.filter(**mine).order_by("id").values(
        "id",
        "kind",
        "source",
        "amount",
        "reason",
        "reference",
        balanceAfter="balance_after",
        purchaseId="purchase_id",
        createdAt="created_at",
    )
    lots = models.PointsLot.filter(**mine).order_by("id").values(
        "id", "amount", "remaining", earnedAt="earned_at", expiresAt="expires_at"
    )
    purchases = models.Purchase.filter(**mine).order_by("id").values(
        "id",
        "amount",
        "currency",
        "outlet",
        externalReference="external_reference",
        paidWithPoints="paid_with_points",
        pointsEarned="points_earned",
        pointsReversed="points_reversed",
        refundedAmount="refunded_amount",
        createdAt="created_at",
    )
    benefit_uses = models.BenefitUse.filter(**mine).order_by("id").values(
        "quantity", "note", benefitCode="benefit_code", periodStart="period_start", usedAt="used_at"
    )
    registrations = models.EventRegistration.filter(**mine).order_by("id").values(
        "id",
        "status",
        "guests",
        eventId="event_id",
        event="event__title",
        eventStartsAt="event__starts_at",
        pointsPrice="points_price",
        createdAt="created_at",
        confirmedAt="confirmed_at",
        cancelledAt="cancelled_at",
        checkedInAt="checked_in_at",
    )
    feedback = models.EventFeedback.filter(**mine).order_by("id").values(
        "rating", "comment", eventId="event_id", event="event__title", createdAt="created_at"
    )
    interactions = models.Interaction.filter(**mine).order_by("id").values(
        "id", "kind", "summary", occurredAt="occurred_at"
    )
    tasks = models.Task.filter(**mine).order_by("id").values(
        "id",
        "kind",
        "title",
        "notes",
        "status",
        "outcome",
        dueAt="due_at",
        createdAt="created_at",
        completedAt="completed_at",
    )
    tickets = models.Ticket.filter(**mine).order_by("id").values(
        "id",
        "category",
        "severity",
        "subject",
        "description",
        "status",
        "breached",
        slaDueAt="sla_due_at",
        createdAt="created_at",
        resolvedAt="resolved_at",
        closedAt="closed_at",
    )
    responses = models.TicketResponse.filter(ticket__member_id=member_id).order_by("id").values(
        "body", ticketId="ticket_id", isInternal="is_internal", memberId="member_id", createdAt="created_at"
    )
    ticket_history = models.TicketStatusChange.filter(ticket__member_id=member_id).order_by("id").values(
        "note", ticketId="ticket_id", fromStatus="from_status", toStatus="to_status", at="created_at"
    )
    surveys = models.SurveyInstance.filter(**mine).order_by("id").values(
        "id",
        survey="survey__title",
        eventId="event_id",
        sentAt="sent_at",
        expiresAt="expires_at",
        respondedAt="responded_at",
    )
    answers = models.SurveyAnswer.filter(instance__member_id=member_id).order_by("id").values(
        "kind", "score", "text", instanceId="instance_id", question="question__prompt", submittedAt="submitted_at"
    )
    referees = models.Member.filter(referred_by_id=member_id).order_by("id").values(rewardedAt="referral_rewarded_at")
    redemptions = models.Redemption.filter(**mine).order_by("id").values(
        "reference",
        "title",
        "quantity",
        "points",
        "status",
        partner="partner__name",
        failureCode="failure_code",
        createdAt="created_at",
        settledAt="settled_at",
    )
    vouchers = models.Voucher.filter(**mine).order_by("id").values(
        "code",
        "title",
        "quantity",
        "status",
        partner="partner__name",
        redemptionReference="redemption__reference",
        fulfilmentId="fulfilment_id",
        issuedAt="issued_at",
        expiresAt="expires_at",
        consumedAt="consumed_at",
        cancelledAt="cancelled_at",
    )
    partner_references = models.PartnerMemberReference.filter(**mine).order_by("id").values(
        "reference", partner="partner__name", createdAt="created_at"
    )
    partner_awards = models.PartnerPointsAward.filter(**mine).order_by("id").values(
        "points", partner="partner__name", purchaseReference="purchase_reference", createdAt="created_at"
    )
    sign_ins = models.AuthSession.filter(subject_kind="member", subject_id=member_id).order_by("created_at").values(
        createdAt="created_at",
        refreshedAt="refreshed_at",
        expiresAt="expires_at",
        revokedAt="revoked_at",
        revokedReason="revoked_reason",
        clientAddress="client_address",
    )

    # One statement each, one after the other: a request holds one connection.
    read = {
        name: _plain_rows(await query)
        for name, query in {
            "preferences": preferences,
            "importantDates": important_dates,
            "consents": consents,
            "tierHistory": tier_history,
            "ledgerEntries": ledger,
            "pointsLots": lots,
            "purchases": purchases,
            "benefitUses": benefit_uses,
            "eventRegistrations": registrations,
            "eventFeedback": feedback,
            "interactions": interactions,
            "tasks": tasks,
            "tickets": tickets,
            "ticketResponses": responses,
            "ticketHistory": ticket_history,
            "surveys": surveys,
            "surveyAnswers": answers,
            "referees": referees,
            "redemptions": redemptions,
            "vouchers": vouchers,
            "partnerReferences": partner_references,
            "partnerAwards": partner_awards,
            "signIns": sign_ins,
        }.items()
    }
    for response in read["ticketResponses"]:
        # Who wrote it, without naming staff: the member, or the club.
        response["byMember"] = response.pop("memberId") == member_id
    for voucher in read["vouchers"]:
        voucher["code"] = codes(voucher["code"]) if voucher["code"] else None
    return read


def _nest(parents: list[dict[str, Any]], key: str, **children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each parent with its children (rows whose `key` is the parent's id) under the given names."""
    for name, rows in children.items():
        by_parent: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_parent[row.pop(key)].append(row)
        for parent in parents:
            parent[name] = by_parent.get(parent["id"], [])
    return parents

