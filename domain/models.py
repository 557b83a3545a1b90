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


class EntryKind(StrEnum):
    """What a ledger entry does to the balance, which gives the sign of its amount."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"
    HOLD = "hold"
    RELEASE = "release"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"


class EntrySource(StrEnum):
    """Why the points moved."""

    PURCHASE = "purchase"
    REFUND = "refund"
    CAMPAIGN = "campaign"
    BIRTHDAY = "birthday"
    REFERRAL = "referral"
    SURVEY = "survey"
    EVENT = "event"
    PARTNER = "partner"
    STAFF = "staff"
    TRANSFER = "transfer"
    EXPIRY = "expiry"
    REDEMPTION = "redemption"


class EventCategory(StrEnum):
    SALON = "salon"
    TASTING = "tasting"
    LECTURE = "lecture"
    OUTDOOR = "outdoor"
    DINNER = "dinner"
    PERFORMANCE = "performance"
    OTHER = "other"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class InteractionKind(StrEnum):
    VISIT = "visit"
    CALL = "call"
    MESSAGE = "message"
    GIFT = "gift"


class TaskKind(StrEnum):
    BIRTHDAY_GREETING = "birthday_greeting"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"
    RETENTION_CALL = "retention_call"
    FOLLOW_UP = "follow_up"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class LifecycleStage(StrEnum):
    NEW = "new"
    GROWING = "growing"
    MATURE = "mature"
    DECLINING = "declining"
    LAPSED = "lapsed"


class ChurnRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Segment(StrEnum):
    """RFM value grade."""

    CORE = "core"
    IMPORTANT = "important"
    REGULAR = "regular"
    AT_RISK = "at_risk"


class TicketCategory(StrEnum):
    COMPLAINT = "complaint"
    REQUEST = "request"
    PRAISE = "praise"


class TicketSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class SurveyTrigger(StrEnum):
    AFTER_EVENT = "after_event"
    AFTER_VISIT = "after_visit"
    MANUAL = "manual"


class QuestionKind(StrEnum):
    NPS = "nps"  # 0 to 10: how likely to recommend the club
    CSAT = "csat"  # 1 to 5: how satisfied
    TEXT = "text"


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class RewardDelivery(StrEnum):
    """What an issued reward is: a code the member shows at the counter, or something shipped or booked."""

    VOUCHER = "voucher"
    FULFILMENT = "fulfilment"


class RedemptionStatus(StrEnum):
    PENDING = "pending"  # points held, the issuer's answer not yet known
    COMPLETED = "completed"  # issued, points spent
    REFUSED = "refused"  # the issuer refused (stock, tier...), points given back
    CANCELLED = "cancelled"  # given up after an unknown outcome and fenced at the partner, points given back
    CANCELLING = "cancelling"  # being cancelled at the partner after an unknown outcome, points still held


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    CONSUMED = "consumed"
    CANCELLED = "cancelled"


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
    """A rung of the ladder. A member qualifies when any one of the thresholds set is met in the window."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    rank = fields.IntField(unique=True, description="Position on the ladder, higher is better")
    description = fields.TextField(default="")
    qualifying_points = fields.IntField(null=True, description="Points earned in the window")
    qualifying_spend = fields.DecimalField(max_digits=14, decimal_places=2, null=True, description="Spend in the window")
    qualifying_visits = fields.IntField(null=True, description="Visits in the window")
    window_months = fields.IntField(default=12, db_default=12, description="Length of the rolling qualification window")
    grace_days = fields.IntField(default=30, db_default=30, description="Days after the review date before a downgrade")

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
    referred_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="referees", null=True, on_delete=fields.SET_NULL
    )
    referral_rewarded_at = fields.DatetimeField(null=True, description="When the referrer got the reward for this member")
    points_balance = fields.IntField(default=0, db_default=0, description="Spendable points: the sum of the ledger, never negative")
    points_debt = fields.IntField(default=0, db_default=0, description="Points refunded after they were spent, cleared first by new earnings")
    tier_since = fields.DateField(null=True)
    tier_review_on = fields.DateField(null=True, description="When the current tier is next reviewed")
    lifecycle_stage = fields.CharEnumField(LifecycleStage, max_length=16, default=LifecycleStage.NEW, db_default="new")
    churn_risk = fields.CharEnumField(ChurnRisk, max_length=16, default=ChurnRisk.LOW, db_default="low", db_index=True)
    segment = fields.CharEnumField(Segment, max_length=16, default=Segment.REGULAR, db_default="regular", db_index=True)
    rfm_score = fields.CharField(max_length=3, null=True, description="Recency, frequency and monetary scores, 1 to 5 each, e.g. 545")
    last_visit_at = fields.DatetimeField(null=True, description="The latest visit, purchase or event attended")
    care_computed_at = fields.DatetimeField(null=True, description="When lifecycle, churn risk and segment were last computed")
    erased_at = fields.DatetimeField(null=True, description="When the personal data was pseudonymized on request")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    tier_id: int
    account_manager_id: int | None
    referred_by_id: int | None

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
        indexes = (("member_id", "id"),)  # the DataLoaders read them by member, in id order


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
        indexes = (("member_id", "id"),)  # the DataLoaders read them by member, in id order


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
        indexes = (("member_id", "id"),)  # a member's tier history, read by member, newest first


class IdempotencyRecord(Model):
    """The first result of a write that moved points, replayed to retries with the same key."""

    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=100, description="Caller and operation the key belongs to")
    key = fields.CharField(max_length=200)
    fingerprint = fields.CharField(max_length=64, description="SHA-256 of the arguments")
    result = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)


class Purchase(Model):
    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="purchases", on_delete=fields.RESTRICT
    )
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    paid_with_points = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = fields.CharField(max_length=3)
    outlet = fields.CharField(max_length=100)
    external_reference = fields.CharField(max_length=100)
    points_earned = fields.IntField(default=0)
    points_reversed = fields.IntField(default=0)
    refunded_amount = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    recorded_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="purchases_recorded", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(db_index=True)

    member_id: int

    class Meta:
        table = "purchase"
        unique_together = (("outlet", "external_reference"),)


class Campaign(Model):
    """Bonus points on purchases within a date range, capped per member and in total."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    bonus_multiplier = fields.DecimalField(max_digits=6, decimal_places=2, description="Extra points per base point")
    cap_per_member = fields.IntField(null=True)
    cap_total = fields.IntField(null=True)
    awarded_total = fields.IntField(default=0)

    class Meta:
        table = "campaign"


class LedgerEntry(Model):
    """One movement of a member's points, never edited or deleted: corrections are new entries."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="ledger_entries", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(EntryKind, max_length=16)
    source = fields.CharEnumField(EntrySource, max_length=16)
    amount = fields.IntField(description="Signed: credits positive, debits negative")
    balance_after = fields.IntField()
    reason = fields.CharField(max_length=500, default="")
    purchase: fields.ForeignKeyNullableRelation[Purchase] = fields.ForeignKeyField(
        "models.Purchase", related_name="entries", null=True, on_delete=fields.RESTRICT
    )
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="entries", null=True, on_delete=fields.RESTRICT
    )
    counterpart: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="counterpart_entries", null=True, on_delete=fields.RESTRICT
    )
    reverses: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="reversals", null=True, on_delete=fields.RESTRICT
    )
    reference = fields.CharField(max_length=100, null=True, description="An outside reference, e.g. a redemption")
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="ledger_entries", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    member_id: int
    purchase_id: int | None
    campaign_id: int | None
    counterpart_id: int | None
    reverses_id: int | None
    created_by_id: int | None

    class Meta:
        table = "ledger_entry"
        indexes = (("member_id", "created_at"), ("member_id", "id"), ("purchase_id",), ("reverses_id",))


class PointsLot(Model):
    """Points from one credit, spent oldest-expiry first and expiring together."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="lots", on_delete=fields.RESTRICT
    )
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="lots", on_delete=fields.RESTRICT
    )
    amount = fields.IntField()
    remaining = fields.IntField()
    earned_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    member_id: int
    entry_id: int

    class Meta:
        table = "points_lot"
        indexes = (("member_id", "expires_at"), ("expires_at", "remaining"), ("entry_id",))


class LotConsumption(Model):
    """How much of a lot one entry took (positive) or gave back (negative)."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="consumptions", on_delete=fields.RESTRICT
    )
    lot: fields.ForeignKeyRelation[PointsLot] = fields.ForeignKeyField(
        "models.PointsLot", related_name="consumptions", on_delete=fields.RESTRICT
    )
    amount = fields.IntField()

    entry_id: int
    lot_id: int

    class Meta:
        table = "lot_consumption"
        indexes = (("entry_id",), ("lot_id",))


class BenefitUse(Model):
    """One recorded use of a benefit, counted against its quota for the period it falls in."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="benefit_uses", on_delete=fields.CASCADE
    )
    benefit: fields.ForeignKeyRelation[Benefit] = fields.ForeignKeyField(
        "models.Benefit", related_name="uses", on_delete=fields.RESTRICT
    )
    benefit_code = fields.CharField(max_length=64)
    period_start = fields.DateField()
    quantity = fields.IntField(default=1)
    note = fields.CharField(max_length=500, default="")
    recorded_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="benefit_uses_recorded", null=True, on_delete=fields.SET_NULL
    )
    used_at = fields.DatetimeField()

    member_id: int
    benefit_id: int

    class Meta:
        table = "benefit_use"


class BenefitUsage(Model):
    """Uses of one kind of benefit per member and period: the counter a quota is checked against."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="benefit_usage", on_delete=fields.CASCADE
    )
    benefit_code = fields.CharField(max_length=64)
    period_start = fields.DateField()
    used = fields.IntField(default=0)

    member_id: int

    class Meta:
        table = "benefit_usage"
        unique_together = (("member", "benefit_code", "period_start"),)


class Event(Model):
    """A club event. Seats are counted in `seats_taken`, changed only under the event's row lock."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    category = fields.CharEnumField(EventCategory, max_length=16)
    description = fields.TextField(default="")
    venue = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField(description="Seats, guests included")
    price_points = fields.IntField(default=0, description="Points per seat, 0 when free")
    min_tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    cancellation_deadline = fields.DatetimeField(description="Registrations cancelled by then are refunded")
    status = fields.CharEnumField(EventStatus, max_length=16, default=EventStatus.SCHEDULED)
    seats_taken = fields.IntField(default=0, description="Seats of confirmed registrations")
    cancelled_at = fields.DatetimeField(null=True)
    cancellation_reason = fields.CharField(max_length=500, default="")
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="events_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    min_tier_id: int | None
    created_by_id: int | None

    class Meta:
        table = "event"
        indexes = (("starts_at", "id"),)


class EventRegistration(Model):
    """A member's seat (and their guests'), or their place on the waitlist, in arrival (id) order."""

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="registrations", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="event_registrations", on_delete=fields.RESTRICT
    )
    guests = fields.IntField(default=0)
    status = fields.CharEnumField(RegistrationStatus, max_length=16)
    points_price = fields.IntField(default=0, description="Points for all its seats")
    hold_entry: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="registration_holds", null=True, on_delete=fields.RESTRICT
    )
    payment_entry: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="registration_payments", null=True, on_delete=fields.RESTRICT
    )
    refund_entry: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="registration_refunds", null=True, on_delete=fields.RESTRICT
    )
    guest_pass_use: fields.ForeignKeyNullableRelation[BenefitUse] = fields.ForeignKeyField(
        "models.BenefitUse", related_name="registrations", null=True, on_delete=fields.SET_NULL
    )
    check_in_code = fields.CharField(max_length=64, unique=True, description="The secret in the member's QR code")
    registered_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="registrations_made", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)
    checked_in_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="check_ins", null=True, on_delete=fields.SET_NULL
    )

    event_id: int
    member_id: int
    hold_entry_id: int | None
    payment_entry_id: int | None
    refund_entry_id: int | None
    guest_pass_use_id: int | None
    registered_by_id: int | None
    checked_in_by_id: int | None

    class Meta:
        table = "event_registration"
        indexes = (("event_id", "status", "id"), ("member_id", "id"))


class EventFeedback(Model):
    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="feedback", on_delete=fields.RESTRICT
    )
    registration: fields.OneToOneRelation[EventRegistration] = fields.OneToOneField(
        "models.EventRegistration", related_name="feedback", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="event_feedback", on_delete=fields.RESTRICT
    )
    rating = fields.IntField(description="1 to 5")
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()

    event_id: int
    registration_id: int
    member_id: int

    class Meta:
        table = "event_feedback"
        indexes = (("event_id", "id"),)


class Interaction(Model):
    """A moment of care: a visit, a call, a message or a gift, by a member of staff."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="interactions", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(InteractionKind, max_length=16)
    summary = fields.CharField(max_length=1000)
    occurred_at = fields.DatetimeField()
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="interactions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    member_id: int
    staff_id: int | None

    class Meta:
        table = "interaction"
        indexes = (("member_id", "occurred_at"), ("occurred_at",))


class Task(Model):
    """A follow-up for staff. Tasks the club raises by itself carry a `source_key`, so each is raised once."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="tasks", null=True, on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(TaskKind, max_length=32)
    title = fields.CharField(max_length=200)
    notes = fields.TextField(default="")
    due_at = fields.DatetimeField()
    assignee: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tasks", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.OPEN)
    source_key = fields.CharField(max_length=100, null=True, unique=True, description="e.g. ticket:12")
    outcome = fields.CharField(max_length=1000, default="")
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tasks_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    completed_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tasks_completed", null=True, on_delete=fields.SET_NULL
    )

    member_id: int | None
    assignee_id: int | None
    created_by_id: int | None
    completed_by_id: int | None

    class Meta:
        table = "task"
        indexes = (("assignee_id", "status", "due_at"), ("status", "due_at"), ("member_id", "id"))


class Ticket(Model):
    """A complaint, request or praise, worked through open, in progress, resolved and closed."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="tickets", on_delete=fields.RESTRICT
    )
    category = fields.CharEnumField(TicketCategory, max_length=16)
    severity = fields.CharEnumField(TicketSeverity, max_length=16)
    subject = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.OPEN)
    assignee: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tickets_assigned", null=True, on_delete=fields.SET_NULL
    )
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="tickets_created", null=True, on_delete=fields.SET_NULL
    )
    sla_due_at = fields.DatetimeField(description="When it must be resolved by, from its severity")
    breached = fields.BooleanField(default=False)
    breached_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    member_id: int
    assignee_id: int | None
    created_by_id: int | None

    class Meta:
        table = "ticket"
        indexes = (("member_id", "id"), ("status", "sla_due_at"), ("assignee_id", "status"))


class TicketResponse(Model):
    """A reply on a ticket, by staff or by the member. Internal notes are for staff only."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "models.Ticket", related_name="responses", on_delete=fields.RESTRICT
    )
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="ticket_responses", null=True, on_delete=fields.SET_NULL
    )
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="ticket_responses", null=True, on_delete=fields.RESTRICT
    )
    body = fields.TextField()
    is_internal = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    ticket_id: int
    staff_id: int | None
    member_id: int | None

    class Meta:
        table = "ticket_response"
        indexes = (("ticket_id", "id"),)


class TicketStatusChange(Model):
    """One step of a ticket's workflow, never edited: its history."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "models.Ticket", related_name="status_changes", on_delete=fields.RESTRICT
    )
    from_status = fields.CharEnumField(TicketStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(TicketStatus, max_length=16)
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="ticket_status_changes", null=True, on_delete=fields.SET_NULL
    )
    note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()

    ticket_id: int
    staff_id: int | None

    class Meta:
        table = "ticket_status_change"
        indexes = (("ticket_id", "id"),)


class Survey(Model):
    """A questionnaire, sent as instances to members after events, visits or by hand."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    trigger = fields.CharEnumField(SurveyTrigger, max_length=16)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey"


class SurveyQuestion(Model):
    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="questions", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    kind = fields.CharEnumField(QuestionKind, max_length=8)
    prompt = fields.CharField(max_length=500)
    required = fields.BooleanField(default=True)

    survey_id: int

    class Meta:
        table = "survey_question"
        unique_together = (("survey", "position"),)


class SurveyInstance(Model):
    """One survey sent to one member, about one event or visit, and answered at most once."""

    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="instances", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="survey_instances", on_delete=fields.RESTRICT
    )
    event: fields.ForeignKeyNullableRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="survey_instances", null=True, on_delete=fields.RESTRICT
    )
    interaction: fields.ForeignKeyNullableRelation[Interaction] = fields.ForeignKeyField(
        "models.Interaction", related_name="survey_instances", null=True, on_delete=fields.RESTRICT
    )
    account_manager: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="survey_instances", null=True, on_delete=fields.SET_NULL,
        description="The member's account manager when it was sent",
    )
    source_key = fields.CharField(max_length=100, unique=True, description="What it was sent about, e.g. event:3:member:7")
    sent_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    responded_at = fields.DatetimeField(null=True)

    survey_id: int
    member_id: int
    event_id: int | None
    interaction_id: int | None
    account_manager_id: int | None

    class Meta:
        table = "survey_instance"
        indexes = (("member_id", "id"), ("event_id",))


class SurveyAnswer(Model):
    """One answer, with what the aggregates group by copied in, so that they need no joins."""

    id = fields.IntField(primary_key=True)
    instance: fields.ForeignKeyRelation[SurveyInstance] = fields.ForeignKeyField(
        "models.SurveyInstance", related_name="answers", on_delete=fields.RESTRICT
    )
    question: fields.ForeignKeyRelation[SurveyQuestion] = fields.ForeignKeyField(
        "models.SurveyQuestion", related_name="answers", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(QuestionKind, max_length=8)
    score = fields.IntField(null=True)
    text = fields.TextField(null=True)
    event_id = fields.IntField(null=True)
    account_manager_id = fields.IntField(null=True)
    submitted_at = fields.DatetimeField()

    instance_id: int
    question_id: int

    class Meta:
        table = "survey_answer"
        unique_together = (("instance", "question"),)
        indexes = (("kind", "submitted_at"), ("event_id", "kind"), ("account_manager_id", "kind"))


class Partner(Model):
    """A partner merchant: its protocol endpoint, its settlement terms and its HMAC signing secret.

    The signing secret is kept as is, not hashed: both sides compute HMACs with it.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    slug = fields.CharField(max_length=64, unique=True, description="Stable short name, from the name at creation")
    status = fields.CharEnumField(PartnerStatus, max_length=16, default=PartnerStatus.ACTIVE)
    base_url = fields.CharField(max_length=500, null=True, description="The partner protocol endpoint, null for push-only partners")
    point_value = fields.DecimalField(max_digits=12, decimal_places=4, description="What one point is worth to this partner")
    currency = fields.CharField(max_length=3, description="ISO 4217 code of point_value")
    signing_secret = fields.CharField(max_length=128, description="HMAC key of signed requests, both ways")
    require_signature = fields.BooleanField(default=False)
    daily_award_cap = fields.IntField(
        default=10000, db_default=10000, description="Most points the partner may award one member per UTC day"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner"


class PartnerApiKey(Model):
    """An API key of a partner: the public prefix finds it, the SHA-256 of the secret part proves it."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="api_keys", on_delete=fields.RESTRICT
    )
    prefix = fields.CharField(max_length=32, unique=True, description="The public key id, e.g. pk_ and 10 characters")
    secret_hash = fields.CharField(max_length=64, description="SHA-256 hex of the secret part")
    label = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="partner_api_keys_created", null=True, on_delete=fields.SET_NULL
    )
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    partner_id: int
    created_by_id: int | None

    class Meta:
        table = "partner_api_key"


class Reward(Model):
    """One of the club's own rewards, issued by the club itself as a voucher."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    points_price = fields.IntField(description="Points for one unit")
    stock = fields.IntField(null=True, description="Units left, null for unlimited")
    tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "models.Tier", related_name="rewards", null=True, on_delete=fields.RESTRICT, description="The lowest tier allowed"
    )
    category = fields.CharField(max_length=64)
    image_url = fields.CharField(max_length=500, null=True)
    validity_days = fields.IntField(default=90)
    delivery = fields.CharEnumField(RewardDelivery, max_length=16, default=RewardDelivery.VOUCHER)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    tier_id: int | None

    class Meta:
        table = "reward"


class PartnerCatalogItem(Model):
    """An item of a catalog a partner pushed through the API, instead of (or besides) serving it."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="catalog_items", on_delete=fields.RESTRICT
    )
    item_id = fields.CharField(max_length=100, description="The partner's id of the item")
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    points_price = fields.IntField()
    stock = fields.IntField(null=True, description="Units left, null for unlimited")
    tier_restriction = fields.CharField(max_length=64, null=True, description="The lowest tier's name")
    category = fields.CharField(max_length=64)
    image_url = fields.CharField(max_length=500, null=True)
    validity_days = fields.IntField(default=90)
    delivery = fields.CharEnumField(RewardDelivery, max_length=16, default=RewardDelivery.VOUCHER)
    pushed_at = fields.DatetimeField()

    partner_id: int

    class Meta:
        table = "partner_catalog_item"
        unique_together = (("partner", "item_id"),)


class Redemption(Model):
    """A member spending points on a reward: held, then issued and captured, or refused and released.

    `reference` is the id the partner knows it by (the protocol's redemptionId). A redemption is
    pending from the hold until the issuer's answer is known, then completed, refused or cancelled
    exactly once, by a conditional update in the same transaction as the points' move.
    """

    id = fields.BigIntField(primary_key=True)
    reference = fields.CharField(max_length=100, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="redemptions", on_delete=fields.RESTRICT
    )
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    reward: fields.ForeignKeyNullableRelation[Reward] = fields.ForeignKeyField(
        "models.Reward", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    item_id = fields.CharField(max_length=100, description="The partner's item id, or the club reward's id")
    title = fields.CharField(max_length=200)
    quantity = fields.IntField()
    points = fields.IntField(description="Points for all units")
    status = fields.CharEnumField(RedemptionStatus, max_length=16, default=RedemptionStatus.PENDING)
    idempotency_key = fields.CharField(max_length=200)
    fingerprint = fields.CharField(max_length=64, description="SHA-256 of the reward and quantity asked for")
    failure_code = fields.CharField(max_length=64, null=True)
    failure_message = fields.CharField(max_length=500, null=True)
    hold_entry: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="held_redemptions", null=True, on_delete=fields.RESTRICT
    )
    redeem_entry: fields.ForeignKeyNullableRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    attempts = fields.IntField(default=0, description="Status lookups made to settle a pending redemption")
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    settled_at = fields.DatetimeField(null=True, description="When it left pending")

    member_id: int
    partner_id: int | None
    reward_id: int | None
    hold_entry_id: int | None
    redeem_entry_id: int | None

    class Meta:
        table = "redemption"
        unique_together = (("member", "idempotency_key"),)
        indexes = (("member_id", "id"), ("status", "next_attempt_at"), ("partner_id", "settled_at"))


class Voucher(Model):
    """What a completed redemption issued: a code shown at the counter, or a fulfilment reference."""

    id = fields.BigIntField(primary_key=True)
    redemption: fields.OneToOneRelation[Redemption] = fields.OneToOneField(
        "models.Redemption", related_name="voucher", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="vouchers", on_delete=fields.RESTRICT
    )
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="vouchers", null=True, on_delete=fields.RESTRICT, description="Null for the club's own"
    )
    code = fields.CharField(max_length=100, null=True, description="The code shown at the counter")
    fulfilment_id = fields.CharField(max_length=100, null=True, description="The issuer's order or booking reference")
    title = fields.CharField(max_length=200)
    quantity = fields.IntField()
    status = fields.CharEnumField(VoucherStatus, max_length=16, default=VoucherStatus.ISSUED)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    consumed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    redemption_id: int
    member_id: int
    partner_id: int | None

    class Meta:
        table = "voucher"
        # Not unique: a partner's repeated code must not stop its redemption from completing
        # (the counter refuses an ambiguous code instead, see domain/vouchers.py).
        indexes = (("member_id", "id"), ("partner_id", "consumed_at"), ("partner_id", "code"))


class PartnerPointsAward(Model):
    """Points a partner awarded a member for a purchase at its shop, once per purchase reference."""

    id = fields.BigIntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="points_awards", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="partner_awards", on_delete=fields.RESTRICT
    )
    points = fields.IntField()
    purchase_reference = fields.CharField(max_length=100)
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="partner_awards", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()

    partner_id: int
    member_id: int
    entry_id: int

    class Meta:
        table = "partner_points_award"
        unique_together = (("partner", "purchase_reference"),)
        indexes = (("partner_id", "member_id", "created_at"),)


class PartnerMemberReference(Model):
    """The pseudonymous reference by which one partner knows one member: random, so it reveals nothing."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="member_references", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="partner_references", on_delete=fields.RESTRICT
    )
    reference = fields.CharField(max_length=40, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    partner_id: int
    member_id: int

    class Meta:
        table = "partner_member_reference"
        unique_together = (("partner", "member"),)


class AuthSession(Model):
    """A sign-in: the refresh token that renews its short-lived access tokens, until it expires or is revoked.

    Access tokens name their session (`sid`), so revoking the session refuses them at once. Rows are
    never deleted while a token of theirs could still be presented.
    """

    id = fields.CharField(max_length=32, primary_key=True, description="Random hex, the access tokens' sid")
    subject_kind = fields.CharField(max_length=16, description="member or staff")
    subject_id = fields.IntField()
    role = fields.CharEnumField(StaffRole, max_length=32, null=True)
    refresh_hash = fields.CharField(max_length=64, description="SHA-256 hex of the current refresh secret")
    previous_refresh_hash = fields.CharField(
        max_length=64, null=True, description="SHA-256 hex of the refresh secret rotated last: shown again, it was copied"
    )
    created_at = fields.DatetimeField()
    refreshed_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(description="When the refresh token stops working, whatever happens")
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=64, null=True)
    client_address = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "auth_session"
        indexes = (("subject_kind", "subject_id"),)


class AuditKind(StrEnum):
    READ = "read"  # a read of a sensitive field
    WRITE = "write"  # a mutation, whatever its outcome
    EXPORT = "export"  # a member's data exported
    AUTH = "auth"  # sign-in, refresh, logout, revocation


class AuditEntry(Model):
    """One line of the append-only audit log: who, in which role, did or read what, about which member, when."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    kind = fields.CharEnumField(AuditKind, max_length=16)
    actor_kind = fields.CharField(max_length=16, description="member, staff, partner or anonymous")
    actor_id = fields.IntField(null=True)
    actor_role = fields.CharField(max_length=32, null=True)
    action = fields.CharField(max_length=100, description="The mutation, or Type.field read, e.g. Member.phone")
    member_id = fields.IntField(null=True, db_index=True, description="The member concerned, when there is one")
    outcome = fields.CharField(max_length=64, default="ok", description="ok, or the error code")
    request_id = fields.CharField(max_length=64, null=True)
    detail = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("actor_kind", "actor_id", "at"),)


class RateBucket(Model):
    """A leaky bucket shared by every worker process: a level that drains at a fixed rate.

    Written only through domain/buckets.py, one conditional upsert per charge.
    """

    key = fields.CharField(max_length=200, primary_key=True, description="e.g. partner-key:pk_abc or login-account:email")
    level = fields.FloatField()
    updated_at = fields.FloatField(description="Unix time of the last charge")

    class Meta:
        table = "rate_bucket"


class WebhookEventType(StrEnum):
    """What an outbound webhook tells: the spec's domain events."""

    TIER_CHANGED = "tier.changed"
    POINTS_EXPIRING_SOON = "points.expiring_soon"
    REDEMPTION_COMPLETED = "redemption.completed"
    EVENT_REMINDER = "event.reminder"
    TICKET_BREACHED = "ticket.breached"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be tried (again) at next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # every attempt failed: left for staff to retry by hand


class WebhookEndpoint(Model):
    """A receiver of outbound webhooks: its URL, the event types it takes, and its HMAC signing secret.

    The secret is kept as is, not hashed: every delivery is signed with it.
    """

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=500)
    secret = fields.CharField(max_length=128, description="HMAC-SHA256 key of the deliveries' signatures")
    event_types = fields.JSONField(description="The WebhookEventType values it subscribes to")
    active = fields.BooleanField(default=True)
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="webhook_endpoints", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    created_by_id: int | None

    class Meta:
        table = "webhook_endpoint"


class OutboxEvent(Model):
    """A domain event, written in the transaction of the change it tells of, and fanned out to deliveries later.

    `key` makes events of the jobs once-only (e.g. one reminder per registration); `fanned_out` is
    set, in the transaction that creates its deliveries, once every subscribed endpoint has one.
    """

    id = fields.BigIntField(primary_key=True)
    type = fields.CharEnumField(WebhookEventType, max_length=32)
    key = fields.CharField(max_length=200, null=True, unique=True, description="Once-only key, e.g. event.reminder:12")
    payload = fields.JSONField()
    member_id = fields.IntField(null=True, description="The member it is about, when there is one")
    created_at = fields.DatetimeField()
    fanned_out = fields.BooleanField(default=False)

    class Meta:
        table = "outbox_event"
        indexes = (("fanned_out", "id"),)


class WebhookDelivery(Model):
    """One event to one endpoint, tried until the receiver answers 2xx or the attempts run out.

    A worker claims an attempt by a conditional update of `attempts` (the row's version) that also
    pushes `next_attempt_at` past the attempt's duration: a lease, so that a worker killed
    mid-delivery leaves the row to be tried again once the lease is over.
    """

    id = fields.BigIntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyRelation[OutboxEvent] = fields.ForeignKeyField(
        "models.OutboxEvent", related_name="deliveries", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, description="Due then, or while an attempt runs the end of its lease")
    last_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    endpoint_id: int
    event_id: int

    class Meta:
        table = "webhook_delivery"
        unique_together = (("endpoint", "event"),)
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "id"))
