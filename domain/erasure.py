"""Erasure on a member's request: their personal data pseudonymized, the club's books left whole.

The member's row stays, renamed "Erased member <id>", with an address that delivers nowhere, no
phone, birthday or password, status resigned: every foreign key still points somewhere, so the
ledger, purchases, redemptions, vouchers, settlements and partner awards keep their amounts and
their counts, and every analytics figure but the status counts stays as it was. Preferences and
important dates are deleted; consents are withdrawn; free text staff or the member wrote about them
(interactions, tasks, tickets and their replies, survey comments, event feedback, benefit-use notes,
manual tier-change reasons, staff adjustments' reasons and transfer notes) becomes "[erased]",
while the rows, ratings, scores and amounts stay for the figures. Their sign-ins are revoked.

Staff erase, on the member's request, once the club has settled what is open: a redemption still
pending may yet be issued by a partner, so it is refused until it is settled.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from domain import audit, ledger, models, sessions
from domain.errors import DomainError
from domain.members import new_referral_code
from domain.models import (
    AuditKind,
    ConsentSource,
    EntrySource,
    MemberStatus,
    RedemptionStatus,
    TaskStatus,
    TierChangeSource,
)
from domain.policy import Permission, require_permission
from domain.validation import clean_text
from domain.viewer import Viewer, ViewerKind

ERASED = "[erased]"
ERASED_REASON = "erased"  # AuthSession.revoked_reason
ERASED_ACTION = "Member.erased"  # the audit row of the erasure itself, besides the mutation's own row
_UNSETTLED = (RedemptionStatus.PENDING, RedemptionStatus.CANCELLING)


def erased_name(member_id: int) -> str:
    return f"Erased member {member_id}"


def erased_email(member_id: int) -> str:
    # .invalid is reserved (RFC 2606): nothing is ever delivered there, and the id keeps it unique.
    return f"erased-{member_id}@erased.invalid"


async def erase_member(
    *, viewer: Viewer, member_id: int, reason: str, request_id: str | None = None, now: datetime | None = None
) -> models.Member:
    """Pseudonymize the member in one transaction; ALREADY_ERASED and PENDING_REDEMPTIONS change nothing."""
    require_permission(viewer, Permission.MEMBER_ERASE)
    reason = clean_text(reason, field="reason", max_length=500)
    now = now or ledger.utcnow()
    async with in_transaction():
        # The ledger's lock: a points move or a redemption's hold of this member waits for the erasure.
        member = (await ledger.lock_members([member_id]))[member_id]
        if member.erased_at is not None:
            raise DomainError(
                "ALREADY_ERASED", f"This member was erased on {member.erased_at:%Y-%m-%d}", field="memberId"
            )
        if await models.Redemption.filter(member_id=member_id, status__in=_UNSETTLED).exists():
            raise DomainError(
                "PENDING_REDEMPTIONS",
                "A redemption of this member is still pending at a partner: erase once it is settled",
                field="memberId",
            )
        await _pseudonymize(member, now)
        await _erase_free_text(member_id, now)
        await sessions.revoke_all(subject_kind=ViewerKind.MEMBER, subject_id=member_id, reason=ERASED_REASON, now=now)
        await models.AuthSession.filter(subject_kind="member", subject_id=member_id).update(client_address=None)
        # In the erasure's own transaction, with its reason: a row exists exactly when the erasure does.
        await audit.record(
            viewer,
            [audit.AuditRecord(AuditKind.WRITE, ERASED_ACTION, member_id=member_id, detail={"reason": reason})],
            request_id=request_id,
        )
    return member


async def _pseudonymize(member: models.Member, now: datetime) -> None:
    values = {
        "name": erased_name(member.id),
        "email": erased_email(member.id),
        "phone": None,
        "birthday": None,
        "gender": models.Gender.UNDISCLOSED,
        "password_hash": None,  # no sign-in
        "status": MemberStatus.RESIGNED,
        "referral_code": new_referral_code(),  # the old one is known to the people they referred
        "erased_at": now,
    }
    member.update_from_dict(values)
    await member.save(update_fields=[*values, "updated_at"])
    await models.MemberPreference.filter(member_id=member.id).delete()
    await models.ImportantDate.filter(member_id=member.id).delete()
    await models.Consent.filter(member_id=member.id).update(granted=False, source=ConsentSource.STAFF, recorded_at=now)


async def _erase_free_text(member_id: int, now: datetime) -> None:
    """Replace what was written about the member; an empty text stays empty, so nothing is made up."""
    mine = {"member_id": member_id}
    await models.Interaction.filter(**mine).update(summary=ERASED)
    # An open task about someone who is gone is nobody's work any more.
    await models.Task.filter(**mine, status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED, completed_at=now)
    await models.Task.filter(**mine).update(title=ERASED)
    await models.Task.filter(**mine).exclude(notes="").update(notes=ERASED)
    await models.Task.filter(**mine).exclude(outcome="").update(outcome=ERASED)
    await models.Ticket.filter(**mine).update(subject=ERASED)
    await models.Ticket.filter(**mine).exclude(description="").update(description=ERASED)
    tickets = Subquery(models.Ticket.filter(**mine).values("id"))
    await models.TicketResponse.filter(ticket_id__in=tickets).update(body=ERASED)
    await models.TicketStatusChange.filter(ticket_id__in=tickets).exclude(note="").update(note=ERASED)
    instances = Subquery(models.SurveyInstance.filter(**mine).values("id"))
    await models.SurveyAnswer.filter(instance_id__in=instances, text__isnull=False).exclude(text="").update(text=ERASED)
    await models.EventFeedback.filter(**mine).exclude(comment="").update(comment=ERASED)
    await models.BenefitUse.filter(**mine).exclude(note="").update(note=ERASED)
    await models.TierChange.filter(**mine, source=TierChangeSource.MANUAL).update(reason=ERASED)
    # The ledger's one exception to "never edited": the words people wrote, never an amount, kind or time.
    # A transfer's note is on the receiver's entry too.
    written = Q(source=EntrySource.STAFF) | Q(source=EntrySource.TRANSFER)
    await models.LedgerEntry.filter(written, member_id=member_id).exclude(reason="").update(reason=ERASED)
    await models.LedgerEntry.filter(counterpart_id=member_id, source=EntrySource.TRANSFER).exclude(reason="").update(
        reason=ERASED
    )
