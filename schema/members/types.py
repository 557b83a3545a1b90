"""The Member type and what hangs off it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from domain import models
from domain.policy import may_read_member
from domain.privacy import Access, Sensitive
from schema.base import Info, pks
from schema.care import member_fields as care_fields
from schema.events import member_fields as event_fields
from schema.federation import key_on_id
from schema.feedback import member_fields as feedback_fields
from schema.partners import member_fields as partner_fields
from schema.privacy import access, noted, reveal
from schema.points import member_fields as points_fields
from schema.redemptions import member_fields as redemption_fields
from schema.staff.types import Staff, load_staff
from schema.tiers import member_fields as tier_fields
from schema.tiers.types import Tier

Gender = strawberry.enum(models.Gender, name="Gender")
MemberStatus = strawberry.enum(models.MemberStatus, name="MemberStatus")
PreferenceCategory = strawberry.enum(models.PreferenceCategory, name="PreferenceCategory")
ImportantDateKind = strawberry.enum(models.ImportantDateKind, name="ImportantDateKind")
ConsentPurpose = strawberry.enum(models.ConsentPurpose, name="ConsentPurpose")
ConsentSource = strawberry.enum(models.ConsentSource, name="ConsentSource")


@strawberry.type(description="Something a member likes, needs or avoids; staff note what they observe.")
class MemberPreference(relay.Node):
    id: relay.NodeID[int]
    category: PreferenceCategory
    value: str
    is_private: bool = strawberry.field(description="A staff note the member does not see")
    noted_at: datetime
    member_id: strawberry.Private[int]
    noted_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The staff member who noted it; null when the member stated it.")
    async def noted_by(self, info: Info) -> Staff | None:
        return await load_staff(info, self.noted_by_id)

    @classmethod
    def from_row(cls, row: models.MemberPreference) -> MemberPreference:
        return cls(
            id=row.id,
            category=row.category,
            value=row.value,
            is_private=row.is_private,
            noted_at=row.noted_at,
            member_id=row.member_id,
            noted_by_id=row.noted_by_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MemberPreference | None]:
        viewer = info.context.viewer
        rows = await info.context.loaders.preference_by_id.load_many(pks(node_ids))
        return [
            cls.from_row(row)
            if row and may_read_member(viewer, row.member_id) and (not row.is_private or await _notes_shown(info, row))
            else None
            for row in rows
        ]


async def _notes_shown(info: Info, row: models.MemberPreference) -> bool:
    """Whether the viewer may read this private note; a note shown is a sensitive read."""
    if await access(info, Sensitive.NOTES, member_id=row.member_id) is not Access.FULL:
        return False
    noted(info, "MemberPreference.value", row.member_id)
    return True


@strawberry.type(description="A date the club remembers for the member, e.g. a wedding anniversary.")
class ImportantDate(relay.Node):
    id: relay.NodeID[int]
    kind: ImportantDateKind
    label: str
    date: date
    member_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.ImportantDate) -> ImportantDate:
        return cls(id=row.id, kind=row.kind, label=row.label, date=row.date, member_id=row.member_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ImportantDate | None]:
        rows = await info.context.loaders.important_date_by_id.load_many(pks(node_ids))
        return [cls.from_row(row) if row and may_read_member(info.context.viewer, row.member_id) else None for row in rows]


@strawberry.type(description="The member's current choice for one purpose of data use.")
class Consent:
    purpose: ConsentPurpose
    granted: bool
    source: ConsentSource
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: models.Consent) -> Consent:
        return cls(purpose=row.purpose, granted=row.granted, source=row.source, recorded_at=row.recorded_at)


# A federation entity (schema/federation.py): `_entities` resolves it through resolve_nodes, as `node` does.
@strawberry.type(description="A member of the club.", directives=[key_on_id()])
class Member(relay.Node):
    id: relay.NodeID[int]
    name: str
    gender: Gender
    joined_on: date
    status: MemberStatus
    referral_code: str = strawberry.field(description="The code a new member gives to name this member as referrer")
    tier_id: strawberry.Private[int]
    account_manager_id: strawberry.Private[int | None]
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str]
    _birthday: strawberry.Private[date | None]

    # Sensitive fields (domain/privacy.py): null or masked for readers whose role may not see them.
    @strawberry.field(description="E.164, e.g. +41445551234; masked (+41 •• ••• •• 34) or null unless your role may see it.")
    async def phone(self, info: Info) -> str | None:
        return await self._reveal(info, Sensitive.PHONE, self._phone, "Member.phone")

    @strawberry.field(description="Masked (j•••@example.com) unless your role may see it.")
    async def email(self, info: Info) -> str:
        return await self._reveal(info, Sensitive.EMAIL, self._email, "Member.email")

    @strawberry.field(description="Null unless your role may see it.")
    async def birthday(self, info: Info) -> date | None:
        return await self._reveal(info, Sensitive.BIRTHDAY, self._birthday, "Member.birthday")

    async def _reveal(self, info: Info, field: Sensitive, value: object, action: str) -> object:
        return await reveal(
            info, field, value, action=action, member_id=self.id, account_manager_id=self.account_manager_id
        )

    @strawberry.field
    async def tier(self, info: Info) -> Tier:
        return Tier.from_row(await info.context.loaders.tier_by_id.load(self.tier_id))

    @strawberry.field(description="The account manager who looks after this member.")
    async def account_manager(self, info: Info) -> Staff | None:
        return await load_staff(info, self.account_manager_id)

    @strawberry.field(
        description="Preferences, oldest first; the staff's private notes only for roles that may read notes, "
        "never for the member."
    )
    async def preferences(self, info: Info) -> list[MemberPreference]:
        rows = await info.context.loaders.preferences_by_member_id.load(self.id)
        if not any(row.is_private for row in rows):
            return [MemberPreference.from_row(row) for row in rows]
        notes = await access(info, Sensitive.NOTES, member_id=self.id, account_manager_id=self.account_manager_id)
        if notes is Access.FULL:
            noted(info, "MemberPreference.value", self.id)
        return [MemberPreference.from_row(row) for row in rows if notes is Access.FULL or not row.is_private]

    @strawberry.field(description="Anniversaries and other dates to remember, in calendar order.")
    async def important_dates(self, info: Info) -> list[ImportantDate]:
        rows = await info.context.loaders.important_dates_by_member_id.load(self.id)
        return [ImportantDate.from_row(row) for row in rows]

    @strawberry.field(description="Consent per purpose; a purpose never asked about is absent.")
    async def consents(self, info: Info) -> list[Consent]:
        rows = await info.context.loaders.consents_by_member_id.load(self.id)
        return [Consent.from_row(row) for row in rows]

    tier_history = strawberry.field(resolver=tier_fields.tier_history, description="Tier changes, newest first.")
    tier_progress = strawberry.field(
        resolver=tier_fields.tier_progress, description="What keeps the member's tier and what the next one asks."
    )
    benefits = strawberry.field(
        resolver=tier_fields.benefits, description="The benefits of the member's tier, with what is left this period."
    )

    points_balance = strawberry.field(resolver=points_fields.points_balance, description="Points the member can spend.")
    points_debt = strawberry.field(
        resolver=points_fields.points_debt, description="Points refunded after being spent; new credits clear them."
    )
    points_history = strawberry.field(
        resolver=points_fields.points_history, description="Ledger entries, newest first: every move of the balance."
    )
    points_balance_at = strawberry.field(
        resolver=points_fields.points_balance_at, description="The balance as it stood at a moment."
    )
    points_expiring_soon = strawberry.field(
        resolver=points_fields.points_expiring_soon, description="Points that expire within `days`, per day."
    )
    event_registrations = strawberry.field(
        resolver=event_fields.event_registrations,
        description="Event registrations, newest first; null for those who may not see them.",
    )
    tickets = strawberry.field(
        resolver=feedback_fields.member_tickets,
        description="The member's tickets, newest first; null unless yours or you handle their tickets.",
    )
    surveys = strawberry.field(
        resolver=feedback_fields.member_surveys,
        description="Surveys sent to the member, newest first (pending: still to answer); "
        "null unless yours or you read feedback.",
    )

    lifecycle_stage = strawberry.field(
        resolver=care_fields.lifecycle_stage, description="Care grading; null unless you handle the member's care."
    )
    churn_risk = strawberry.field(
        resolver=care_fields.churn_risk, description="Care grading; null unless you handle the member's care."
    )
    segment = strawberry.field(
        resolver=care_fields.segment, description="RFM value grade; null unless you handle the member's care."
    )
    rfm_score = strawberry.field(
        resolver=care_fields.rfm_score, description="Recency, frequency and monetary scores 1 to 5, e.g. 545."
    )
    last_visit_at = strawberry.field(
        resolver=care_fields.last_visit_at, description="The latest visit, purchase or event check-in."
    )
    interactions = strawberry.field(
        resolver=care_fields.interactions, description="Visits, calls, messages and gifts, newest first."
    )
    redemptions = strawberry.field(
        resolver=redemption_fields.redemptions,
        description="Rewards redeemed, newest first; null unless yours or you read members in scope.",
    )
    vouchers = strawberry.field(
        resolver=redemption_fields.vouchers,
        description="Vouchers the member's redemptions issued, newest first; null unless yours or you read members.",
    )
    partner_reference = strawberry.field(
        resolver=partner_fields.partner_reference,
        description="The reference to show at this partner's counter to collect points; only for the member themself.",
    )

    @classmethod
    def from_row(cls, row: models.Member) -> Member:
        return cls(
            id=row.id,
            name=row.name,
            gender=row.gender,
            _phone=row.phone,
            _email=row.email,
            _birthday=row.birthday,
            joined_on=row.joined_on,
            status=row.status,
            referral_code=row.referral_code,
            tier_id=row.tier_id,
            account_manager_id=row.account_manager_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Member | None]:
        viewer = info.context.viewer
        ids = pks(node_ids)
        rows = await info.context.loaders.member_by_id.load_many([pk for pk in ids if may_read_member(viewer, pk)])
        visible = {row.id: row for row in rows if row}
        return [cls.from_row(visible[pk]) if pk in visible else None for pk in ids]
