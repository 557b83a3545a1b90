"""Members: enrolment, profile, preferences, important dates, consents and account managers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import audit, models, privacy, sessions
from domain.audit import AuditRecord
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.models import AuditKind
from domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from domain.privacy import Access, Sensitive
from domain.policy import OWN_MEMBERS_ONLY, Permission, may_read_member, may_write_member, require_permission
from domain.tier_engine import review_date
from domain.validation import clean_birthday, clean_email, clean_phone, clean_text, normalize_email, normalize_phone
from domain.viewer import Viewer, ViewerKind

# What a member may change on their own profile; staff with MEMBER_UPDATE may change all of these.
SELF_EDITABLE_FIELDS = frozenset({"phone", "email"})
STAFF_EDITABLE_FIELDS = frozenset({"name", "gender", "phone", "email", "birthday", "status"})

_REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def today() -> date:
    return datetime.now(timezone.utc).date()


def new_referral_code() -> str:
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(8))


async def get_member(*, member_id: int) -> models.Member | None:
    return await models.Member.get_or_none(id=member_id)


async def get_member_for_viewer(*, viewer: Viewer, member_id: int) -> models.Member | None:
    """The member, or None when it does not exist or the viewer may not see it."""
    if not may_read_member(viewer, member_id):
        return None
    return await get_member(member_id=member_id)


def member_query(
    *,
    viewer: Viewer,
    search: str | None = None,
    tier_id: int | None = None,
    account_manager_id: int | None = None,
    status: models.MemberStatus | None = None,
    segment: models.Segment | None = None,
    lifecycle_stage: models.LifecycleStage | None = None,
    churn_risk: models.ChurnRisk | None = None,
) -> QuerySet[models.Member]:
    """Members the viewer may list, filtered; staff only.

    The care grading (segment, lifecycle stage, churn risk) is CARE_READ's, and an account manager's
    for their own members only: filtering on it narrows the list to those.
    """
    require_permission(viewer, Permission.MEMBER_READ)
    query = models.Member.all()
    if search and search.strip():
        query = query.filter(_search(viewer, search.strip()))
    if tier_id is not None:
        query = query.filter(tier_id=tier_id)
    if account_manager_id is not None:
        query = query.filter(account_manager_id=account_manager_id)
    if status is not None:
        query = query.filter(status=status)
    grading = {"segment": segment, "lifecycle_stage": lifecycle_stage, "churn_risk": churn_risk}
    if any(value is not None for value in grading.values()):
        # Otherwise the filter would reveal the grading of members whose grading the caller may not see.
        require_permission(viewer, Permission.CARE_READ)
        if viewer.role in OWN_MEMBERS_ONLY:
            query = query.filter(account_manager_id=viewer.id)
        query = query.filter(**{name: value for name, value in grading.items() if value is not None})
    return query


def _search(viewer: Viewer, text: str) -> Q:
    """Part of a name; part of an email or phone only where the viewer sees them in full.

    Where contacts are masked (domain/privacy.py), a partial match would reveal them a digit at a
    time: such a viewer finds a member by the whole email or phone only, as a caller gives it.
    """
    by_name = Q(name__icontains=text)
    partial = Q(email__icontains=text) | Q(phone__contains=text)
    exact = Q(email=normalize_email(text)) | Q(phone=normalize_phone(text))
    contacts = [privacy.staff_access(viewer.role, field) for field in (Sensitive.EMAIL, Sensitive.PHONE)] if viewer.role else []
    if contacts and all(level is Access.FULL for level in contacts):
        return by_name | partial
    if contacts and all(level is Access.OWN_MEMBERS for level in contacts):
        return by_name | exact | (partial & Q(account_manager_id=viewer.id))
    return by_name | exact


async def member_for_write(*, viewer: Viewer, member_id: int, permission: Permission, allow_self: bool) -> models.Member:
    """The member a write is about, after checking that the viewer may write it.

    A member acting on someone else's record is told it does not exist: IDs are not to be probed.
    """
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not (viewer.is_member or viewer.is_staff):
        raise PermissionDenied()  # a partner's system writes no member record
    if viewer.is_member and not (allow_self and viewer.id == member_id):
        raise NotFound("Member", field="memberId")
    if viewer.is_staff:
        require_permission(viewer, permission)
    member = await get_member(member_id=member_id)
    if member is None:
        raise NotFound("Member", field="memberId")
    if viewer.is_staff and not may_write_member(viewer, permission, account_manager_id=member.account_manager_id):
        raise PermissionDenied("Only the member's own account manager may change this record")
    return member


async def _email_taken(email: str, *, except_member_id: int | None = None) -> bool:
    members = models.Member.filter(email=email)
    if except_member_id is not None:
        members = members.exclude(id=except_member_id)
    return await members.exists() or await models.Staff.filter(email=email).exists()


async def _account_manager(staff_id: int, *, field: str) -> models.Staff:
    staff = await models.Staff.get_or_none(id=staff_id)
    if staff is None:
        raise NotFound("Account manager", field=field)
    if staff.role != models.StaffRole.ACCOUNT_MANAGER or not staff.is_active:
        raise DomainError("NOT_AN_ACCOUNT_MANAGER", "This staff member is not an active account manager", field=field)
    return staff


async def _referrer(code: str) -> int:
    referrer_id = await models.Member.filter(referral_code=code.strip().upper()).first().values_list("id", flat=True)
    if referrer_id is None:
        raise DomainError("INVALID_REFERRAL_CODE", "No member has this referral code", field="referralCode")
    return referrer_id


def _clean_password(password: str | None) -> str | None:
    if password is None:
        return None
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise DomainError(
            "INVALID",
            f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return hash_password(password)


async def create_member(
    *,
    viewer: Viewer,
    name: str,
    email: str,
    phone: str | None = None,
    gender: models.Gender = models.Gender.UNDISCLOSED,
    birthday: date | None = None,
    tier_id: int | None = None,
    account_manager_id: int | None = None,
    password: str | None = None,
    joined_on: date | None = None,
    referral_code: str | None = None,
) -> models.Member:
    """Enrol a member; `referral_code` names the member who referred them, rewarded at the first purchase."""
    require_permission(viewer, Permission.MEMBER_CREATE)
    joined_on = joined_on or today()
    name = clean_text(name, field="name", max_length=200)
    email = clean_email(email)
    phone = clean_phone(phone)
    birthday = clean_birthday(birthday, today=joined_on)
    password_hash = _clean_password(password)
    if tier_id is None:
        tier = await models.Tier.all().order_by("rank").first()
        if tier is None:
            raise DomainError("NO_TIERS", "The tier ladder is empty; create tiers first", field="tierId")
    else:
        tier = await models.Tier.get_or_none(id=tier_id)
        if tier is None:
            raise NotFound("Tier", field="tierId")
    if account_manager_id is None and viewer.role == models.StaffRole.ACCOUNT_MANAGER:
        # An account manager enrols members into their own care; they could not edit them otherwise.
        account_manager_id = viewer.id
    if account_manager_id is not None:
        await _account_manager(account_manager_id, field="accountManagerId")
    if await _email_taken(email):
        raise DomainError("EMAIL_TAKEN", "This email address is already registered", field="email")
    referrer_id = await _referrer(referral_code) if referral_code and referral_code.strip() else None
    try:
        async with in_transaction():
            member = await models.Member.create(
                name=name,
                email=email,
                phone=phone,
                gender=gender,
                birthday=birthday,
                joined_on=joined_on,
                tier_id=tier.id,
                tier_since=joined_on,
                tier_review_on=review_date(tier, joined_on),
                account_manager_id=account_manager_id,
                password_hash=password_hash,
                referral_code=new_referral_code(),
                referred_by_id=referrer_id,
            )
            await models.TierChange.create(
                member_id=member.id,
                to_tier_id=tier.id,
                source=models.TierChangeSource.ENROLMENT,
                reason="Enrolment",
                changed_by_id=viewer.id if viewer.is_staff else None,
            )
    except IntegrityError:
        # A concurrent enrolment took the same email between the check and the insert.
        raise DomainError("EMAIL_TAKEN", "This email address is already registered", field="email") from None
    return member


async def update_member(*, viewer: Viewer, member_id: int, changes: Mapping[str, Any]) -> models.Member:
    """Change the given profile fields; members may change only their own contact fields."""
    member = await member_for_write(viewer=viewer, member_id=member_id, permission=Permission.MEMBER_UPDATE, allow_self=True)
    editable = SELF_EDITABLE_FIELDS if viewer.is_member else STAFF_EDITABLE_FIELDS
    for name in changes:
        if name not in editable:
            raise DomainError("NOT_EDITABLE", "You cannot change this field", field=name)
    values: dict[str, Any] = {}
    for name in ("name", "email", "gender", "status"):
        if name in changes and changes[name] is None:
            raise DomainError("REQUIRED", "This value is required", field=name)
    if "name" in changes:
        values["name"] = clean_text(changes["name"], field="name", max_length=200)
    if "email" in changes:
        values["email"] = clean_email(changes["email"])
        if await _email_taken(values["email"], except_member_id=member.id):
            raise DomainError("EMAIL_TAKEN", "This email address is already registered", field="email")
    if "phone" in changes:
        values["phone"] = clean_phone(changes["phone"])
    if "birthday" in changes:
        values["birthday"] = clean_birthday(changes["birthday"], today=today())
    for name in ("gender", "status"):
        if name in changes:
            values[name] = changes[name]
    if values:
        member.update_from_dict(values)
        try:
            async with in_transaction():
                await member.save(update_fields=[*values, "updated_at"])
                if values.get("status") in (models.MemberStatus.SUSPENDED, models.MemberStatus.RESIGNED):
                    await _end_sign_ins(viewer, member.id, reason=f"member_{values['status']}")
        except IntegrityError:
            raise DomainError("EMAIL_TAKEN", "This email address is already registered", field="email") from None
    return member


async def _end_sign_ins(viewer: Viewer, member_id: int, *, reason: str) -> None:
    """A member who may no longer sign in is signed out: their access tokens stop working at once."""
    ended = await sessions.revoke_all(subject_kind=ViewerKind.MEMBER, subject_id=member_id, reason=reason)
    if ended:
        record = AuditRecord(AuditKind.AUTH, "memberUpdate", member_id, "ok", {"endedSessions": ended, "reason": reason})
        await audit.record(viewer, [record], request_id=None)  # the memberUpdate row of the trail has the request id


async def add_preference(
    *,
    viewer: Viewer,
    member_id: int,
    category: models.PreferenceCategory,
    value: str,
    is_private: bool = False,
) -> models.MemberPreference:
    """Record a preference; staff note what they observe, members state their own."""
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.MEMBER_PREFERENCE_WRITE, allow_self=True
    )
    if viewer.is_member and is_private:
        raise DomainError("NOT_EDITABLE", "Only staff keep private notes", field="isPrivate")
    return await models.MemberPreference.create(
        member_id=member.id,
        category=category,
        value=clean_text(value, field="value", max_length=500),
        is_private=is_private,
        noted_by_id=viewer.id if viewer.is_staff else None,
    )


async def remove_preference(*, viewer: Viewer, preference_id: int) -> models.MemberPreference:
    if not viewer.is_member:
        # Refused before the lookup, so that a refused caller cannot tell which ids exist.
        require_permission(viewer, Permission.MEMBER_PREFERENCE_WRITE)
    preference = await models.MemberPreference.get_or_none(id=preference_id)
    if preference is None or (viewer.is_member and (viewer.id != preference.member_id or preference.is_private)):
        raise NotFound("Preference", field="preferenceId")
    await member_for_write(
        viewer=viewer, member_id=preference.member_id, permission=Permission.MEMBER_PREFERENCE_WRITE, allow_self=True
    )
    await preference.delete()
    return preference


async def add_important_date(
    *, viewer: Viewer, member_id: int, kind: models.ImportantDateKind, label: str, on: date
) -> models.ImportantDate:
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.MEMBER_IMPORTANT_DATE_WRITE, allow_self=True
    )
    if on.year < 1900 or on.year > today().year + 100:
        raise DomainError("INVALID", "Enter a date between 1900 and a hundred years from now", field="date")
    return await models.ImportantDate.create(
        member_id=member.id, kind=kind, label=clean_text(label, field="label", max_length=200), date=on
    )


async def remove_important_date(*, viewer: Viewer, important_date_id: int) -> models.ImportantDate:
    if not viewer.is_member:
        require_permission(viewer, Permission.MEMBER_IMPORTANT_DATE_WRITE)
    important_date = await models.ImportantDate.get_or_none(id=important_date_id)
    if important_date is None or (viewer.is_member and viewer.id != important_date.member_id):
        raise NotFound("Important date", field="importantDateId")
    await member_for_write(
        viewer=viewer,
        member_id=important_date.member_id,
        permission=Permission.MEMBER_IMPORTANT_DATE_WRITE,
        allow_self=True,
    )
    await important_date.delete()
    return important_date


async def set_consent(
    *,
    viewer: Viewer,
    member_id: int,
    purpose: models.ConsentPurpose,
    granted: bool,
    source: models.ConsentSource | None = None,
) -> models.Consent:
    """Record the member's current choice for one purpose; staff record it as given at the club."""
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.MEMBER_CONSENT_WRITE, allow_self=True
    )
    if viewer.is_staff:
        source = models.ConsentSource.STAFF
    elif source not in (None, models.ConsentSource.WEB, models.ConsentSource.MOBILE):
        raise DomainError("INVALID", "Members give consent on the web or in the mobile app", field="source")
    consent, _ = await models.Consent.update_or_create(
        member_id=member.id,
        purpose=purpose,
        defaults={
            "granted": granted,
            "source": source or models.ConsentSource.WEB,
            "recorded_at": datetime.now(timezone.utc),
        },
    )
    return consent


async def assign_account_manager(*, viewer: Viewer, member_id: int, account_manager_id: int | None) -> models.Member:
    require_permission(viewer, Permission.MEMBER_ASSIGN_ACCOUNT_MANAGER)
    member = await member_for_write(
        viewer=viewer, member_id=member_id, permission=Permission.MEMBER_ASSIGN_ACCOUNT_MANAGER, allow_self=False
    )
    if account_manager_id is not None:
        await _account_manager(account_manager_id, field="accountManagerId")
    member.account_manager_id = account_manager_id
    await member.save(update_fields=["account_manager_id", "updated_at"])
    return member
