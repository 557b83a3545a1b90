"""The types the compiled path can answer, as data: each one's table, plain columns, computed fields and relations.

A field missing here makes a document fall back to strawberry, so an entry must answer exactly what
the type's resolver answers (tests/test_compiled_queries.py compares both paths field by field). The
rules themselves stay in the domain: permissions from domain/policy.py, the privacy matrix from
domain/privacy.py; what a resolver does with them (schema/privacy.py) is mirrored here for rows.
"""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model

from domain import models, privacy
from domain.policy import may_read_member
from domain.privacy import Access, Sensitive
from domain.viewer import Viewer

class NotCompilable(Exception):
    """The document asks for something the compiled path does not answer: strawberry answers it."""


class Fallback(Exception):
    """This request needs strawberry after all (a refusal, a bad argument): nothing was written, so it starts over."""


@dataclass
class Run:
    """One request's execution: who asks, and the sensitive reads to audit (as schema/audit/trail.py notes them)."""

    viewer: Viewer
    reads: dict[tuple[str, int], None] = field(default_factory=dict)  # (action, member id), in order

    def __post_init__(self) -> None:
        self._self_id = self.viewer.id if self.viewer.is_member else None  # a member's own reads are not audited
        self.levels = privacy.Levels(self.viewer)

    def noted(self, action: str, member_id: int) -> None:
        if member_id != self._self_id:
            self.reads[(action, member_id)] = None


def global_id(type_name: str, key: Any) -> str:
    """strawberry.relay's `to_base64(type_name, key)`, for rows: the same text without its checks of the type."""
    return b2a_base64(f"{type_name}:{key}".encode(), newline=False).decode()


@dataclass(frozen=True)
class Computed:
    """A field computed from columns of the row, e.g. a global ID or a field under the privacy matrix:
    `resolve(run, *values)` gets the values of `columns`, in that order."""

    columns: tuple[str, ...]
    resolve: Callable[..., Any]


@dataclass(frozen=True)
class ToOne:
    """An object behind a foreign key of this table: joined into the same statement."""

    column: str
    target: str


@dataclass(frozen=True)
class ToMany:
    """Rows of another table pointing at this one: one statement for all parents of a level.

    `keep(run, parent, rows)` may drop rows the viewer may not see: it gets the values of the parent's
    `parent_columns` and, for each row, of the rows' `columns` (tuples, in those orders), and answers which
    rows to keep (booleans in the rows' order), or None for all.
    """

    target: str
    foreign_key: str
    order_by: tuple[str, ...] = ("id",)
    parent_columns: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    keep: Callable[[Run, tuple[Any, ...], list[tuple[Any, ...]]], list[bool] | None] | None = None


@dataclass(frozen=True)
class Entity:
    name: str  # the GraphQL object type
    model: type[Model]
    plain: dict[str, str]  # GraphQL field: column, read as the model field reads it and serialized as the type says
    computed: dict[str, Computed] = field(default_factory=dict)
    to_one: dict[str, ToOne] = field(default_factory=dict)
    to_many: dict[str, ToMany] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def node_id(type_name: str) -> Computed:
    """The relay global ID, as strawberry encodes it."""
    return Computed(("id",), lambda run, key: global_id(type_name, key))


def sensitive(field: Sensitive, column: str, action: str, serialize: Callable[[Any], Any] = lambda value: value) -> Computed:
    """schema/privacy.py's `reveal` for a member row: what domain/privacy.py shows, and the full read noted."""

    def resolve(run: Run, member_id: int, account_manager_id: int | None, value: Any) -> Any:
        level = run.levels.of(field, member_id=member_id, account_manager_id=account_manager_id)
        if level is Access.FULL:
            run.noted(action, member_id)
            return None if value is None else serialize(value)
        return privacy.shown(level, field, value)

    return Computed(("id", "account_manager_id", column), resolve)


def own_figure(column: str) -> Computed:
    """schema/points/member_fields.py's points fields: the member's and readers of members'; strawberry refuses others."""

    def resolve(run: Run, member_id: int, value: Any) -> Any:
        if not may_read_member(run.viewer, member_id):
            raise Fallback
        return value

    return Computed(("id", column), resolve)


def visible_preferences(run: Run, member: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> list[bool] | None:
    """Member.preferences: the staff's private notes only for a reader with full access to notes, noted."""
    if not any(is_private for is_private, in rows):
        return None
    member_id, account_manager_id = member
    if run.levels.of(Sensitive.NOTES, member_id=member_id, account_manager_id=account_manager_id) is Access.FULL:
        run.noted("MemberPreference.value", member_id)
        return None
    return [not is_private for is_private, in rows]


def _staff_email(run: Run, email: str) -> str | None:
    return email if run.viewer.is_staff else None


def _birthday(value: Any) -> Any:
    return models.Member._meta.fields_map["birthday"].to_python_value(value).isoformat()


ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        Entity(
            "Member",
            models.Member,
            plain={"name": "name", "gender": "gender", "joinedOn": "joined_on", "status": "status", "referralCode": "referral_code"},
            computed={
                "id": node_id("Member"),
                "phone": sensitive(Sensitive.PHONE, "phone", "Member.phone"),
                "email": sensitive(Sensitive.EMAIL, "email", "Member.email"),
                "birthday": sensitive(Sensitive.BIRTHDAY, "birthday", "Member.birthday", _birthday),
                "pointsBalance": own_figure("points_balance"),
                "pointsDebt": own_figure("points_debt"),
            },
            to_one={"tier": ToOne("tier_id", "Tier"), "accountManager": ToOne("account_manager_id", "Staff")},
            to_many={
                "preferences": ToMany(
                    "MemberPreference",
                    "member_id",
                    order_by=("noted_at", "id"),
                    parent_columns=("id", "account_manager_id"),
                    columns=("is_private",),
                    keep=visible_preferences,
                ),
                "importantDates": ToMany("ImportantDate", "member_id", order_by=("date", "id")),
            },
        ),
        Entity(
            "Tier",
            models.Tier,
            plain={
                "name": "name",
                "rank": "rank",
                "description": "description",
                "qualifyingPoints": "qualifying_points",
                "qualifyingSpend": "qualifying_spend",
                "qualifyingVisits": "qualifying_visits",
                "windowMonths": "window_months",
                "graceDays": "grace_days",
            },
            computed={"id": node_id("Tier")},
            to_many={"benefits": ToMany("Benefit", "tier_id")},
        ),
        Entity(
            "Benefit",
            models.Benefit,
            plain={
                "code": "code",
                "name": "name",
                "description": "description",
                "quota": "quota",
                "quotaPeriod": "quota_period",
                "value": "value",
            },
            computed={"id": node_id("Benefit")},
        ),
        Entity(
            "Staff",
            models.Staff,
            plain={"name": "name", "role": "role"},
            computed={"id": node_id("Staff"), "email": Computed(("email",), _staff_email)},
        ),
        Entity(
            "MemberPreference",
            models.MemberPreference,
            plain={"category": "category", "value": "value", "isPrivate": "is_private", "notedAt": "noted_at"},
            computed={"id": node_id("MemberPreference")},
            to_one={"notedBy": ToOne("noted_by_id", "Staff")},
        ),
        Entity(
            "ImportantDate",
            models.ImportantDate,
            plain={"kind": "kind", "label": "label", "date": "date"},
            computed={"id": node_id("ImportantDate")},
        ),
    )
}
