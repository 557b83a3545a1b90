"""Tortoise models: the club's tables. Only the domain modules write to them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class StaffRole(StrEnum):
    FRONT_DESK = "front_desk"
    ACCOUNT_MANAGER = "account_manager"
    EVENT_MANAGER = "event_manager"
    PARTNER_MANAGER = "partner_manager"
    CLUB_MANAGER = "club_manager"
    ADMINISTRATOR = "administrator"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RESIGNED = "resigned"


class PreferenceCategory(StrEnum):
    FOOD = "food"
    DRINK = "drink"
    SEATING = "seating"
    LIGHTING = "lighting"
    MUSIC = "music"
    CONTACT_CHANNEL = "contact_channel"
    CONTACT_HOURS = "contact_hours"
    INTEREST = "interest"
    TABOO = "taboo"
    SPECIAL_NEED = "special_need"
    NOTE = "note"


class ImportantDateKind(StrEnum):
    ANNIVERSARY = "anniversary"
    CUSTOM = "custom"


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"
    PARTNER_SHARING = "partner_sharing"


class ConsentSource(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    STAFF = "staff"
    IMPORT = "import"


class QuotaPeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"


class TierChangeSource(StrEnum):
    ENROLMENT = "enrolment"
    MANUAL = "manual"
    QUALIFICATION = "qualification"
    REVIEW = "review"


class Staff(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(StaffRole, max_length=32)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff"


class Tier(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    rank = fields.IntField(unique=True, description="Position on the ladder, higher is better")
    description = fields.TextField(default="")

    class Meta:
        table = "tier"
        ordering = ["rank"]


class Benefit(Model):
    id = fields.IntField(primary_key=True)
    tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField("models.Tier", related_name="benefits")
    code = fields.CharField(max_length=64, description="Stable kind of benefit, e.g. guest_pass")
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    quota = fields.IntField(null=True, description="Uses allowed per period, null for unlimited")
    quota_period = fields.CharEnumField(QuotaPeriod, max_length=16, null=True)
    value = fields.DecimalField(max_digits=10, decimal_places=2, null=True, description="e.g. points multiplier")

    class Meta:
        table = "benefit"
        unique_together = (("tier", "code"),)


class Member(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255, null=True)
    name = fields.CharField(max_length=200, db_index=True)
    gender = fields.CharEnumField(Gender, max_length=16, default=Gender.UNDISCLOSED)
    phone = fields.CharField(max_length=16, null=True)
    birthday = fields.DateField(null=True)
    joined_on = fields.DateField()
    status = fields.CharEnumField(MemberStatus, max_length=16, default=MemberStatus.ACTIVE)
    tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="members", on_delete=fields.RESTRICT
    )
    account_manager: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    referral_code = fields.CharField(max_length=16, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    tier_id: int
    account_manager_id: int | None

    class Meta:
        table = "member"


class MemberPreference(Model):
    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="preferences", on_delete=fields.CASCADE
    )
    category = fields.CharEnumField(PreferenceCategory, max_length=32)
    value = fields.CharField(max_length=500)
    is_private = fields.BooleanField(default=False)
    noted_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="noted_preferences", null=True, on_delete=fields.SET_NULL
    )
    noted_at = fields.DatetimeField(auto_now_add=True)

    member_id: int
    noted_by_id: int | None

    class Meta:
        table = "member_preference"


class ImportantDate(Model):
    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="important_dates", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ImportantDateKind, max_length=16)
    label = fields.CharField(max_length=200)
    date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    member_id: int

    class Meta:
        table = "important_date"


class Consent(Model):
    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="consents", on_delete=fields.CASCADE
    )
    purpose = fields.CharEnumField(ConsentPurpose, max_length=32)
    granted = fields.BooleanField()
    source = fields.CharEnumField(ConsentSource, max_length=16)
    recorded_at = fields.DatetimeField()

    member_id: int

    class Meta:
        table = "consent"
        unique_together = (("member", "purpose"),)


class TierChange(Model):
    """One row per tier change, never edited: the member's tier history."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="tier_changes", on_delete=fields.CASCADE
    )
    from_tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="changes_from", null=True, on_delete=fields.RESTRICT
    )
    to_tier: fields.ForeignKeyRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="changes_to", on_delete=fields.RESTRICT
    )
    source = fields.CharEnumField(TierChangeSource, max_length=16)
    reason = fields.CharField(max_length=500)
    changed_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tier_changes_made", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    member_id: int
    from_tier_id: int | None
    to_tier_id: int
    changed_by_id: int | None

    class Meta:
        table = "tier_change"
