"""The auth matrix: every non-public operation against every kind of caller, over HTTP.

The expected outcomes are written out by hand below, from domain/policy.py read as the spec:
members act on their own record only, staff by role, and an account manager writes only the
records of the members assigned to them. Anonymous callers see nothing personal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from domain import models
from schema import build_schema
from tests.factories import (
    gid,
    gql,
    make_benefit,
    make_important_date,
    make_member,
    make_preference,
    make_purchase,
    make_staff,
    make_tiers,
    member_token,
    refused,
    staff_token,
)

# The callers, in the order of the table's columns.
ANONYMOUS = "anonymous"
OTHER_MEMBER = "another member"
THE_MEMBER = "the member"
FRONT_DESK = "front desk"
OWN_MANAGER = "the member's account manager"
OTHER_MANAGER = "another member's account manager"
EVENT_MANAGER = "event manager"
PARTNER_MANAGER = "partner manager"
CLUB_MANAGER = "club manager"
ADMINISTRATOR = "administrator"
CALLERS = (
    ANONYMOUS,
    OTHER_MEMBER,
    THE_MEMBER,
    FRONT_DESK,
    OWN_MANAGER,
    OTHER_MANAGER,
    EVENT_MANAGER,
    PARTNER_MANAGER,
    CLUB_MANAGER,
    ADMINISTRATOR,
)

# The outcomes.
OK = "allowed"  # reads: the object; writes: done, `errors: []`
NULL = "null"  # reads: null, as if the object did not exist
UNAUTH = "UNAUTHENTICATED"  # top-level error, no data
FORBID = "FORBIDDEN"  # top-level error, no data
NOT_MINE = "FORBIDDEN: not their member"  # top-level FORBIDDEN naming the account manager's scope
NOT_FOUND = "NOT_FOUND"  # payload error: a member is not told that another member's record exists

REFUSALS = {
    UNAUTH: ("UNAUTHENTICATED",),
    FORBID: ("FORBIDDEN",),
    NOT_MINE: ("FORBIDDEN", "Only the member's own account manager may change this record"),
}

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "me":                         (NULL,     OK,        OK,     OK,     OK,     OK,       OK,     OK,     OK,     OK),
    "members":                    (UNAUTH,   FORBID,    FORBID, OK,     OK,     OK,       OK,     FORBID, OK,     OK),
    "member":                     (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node Member":                (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes Member":               (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node MemberPreference":      (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes MemberPreference":     (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node ImportantDate":         (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes ImportantDate":        (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node Staff":                 (NULL,     NULL,      NULL,   OK,     OK,     OK,       OK,     OK,     OK,     OK),
    "nodes Staff":                (NULL,     NULL,      NULL,   OK,     OK,     OK,       OK,     OK,     OK,     OK),
    "node Purchase":              (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes Purchase":             (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node LedgerEntry":           (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes LedgerEntry":          (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "node PointsLot":             (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "nodes PointsLot":            (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "memberCreate":               (UNAUTH,   FORBID,    FORBID, OK,     OK,     OK,       FORBID, FORBID, OK,     OK),
    "memberUpdate":               (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberPreferenceAdd":        (UNAUTH,   NOT_FOUND, OK,     OK,     OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberPreferenceRemove":     (UNAUTH,   NOT_FOUND, OK,     OK,     OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberImportantDateAdd":     (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberImportantDateRemove":  (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberConsentSet":           (UNAUTH,   NOT_FOUND, OK,     FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "memberAssignAccountManager": (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "memberSetTier":              (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "benefitUse":                 (UNAUTH,   FORBID,    FORBID, OK,     OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "purchaseRecord":             (UNAUTH,   FORBID,    FORBID, OK,     OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "purchaseRefund":             (UNAUTH,   FORBID,    FORBID, FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "pointsAdjust":               (UNAUTH,   FORBID,    FORBID, FORBID, OK,     NOT_MINE, FORBID, FORBID, OK,     OK),
    "pointsTransfer":             (UNAUTH,   NOT_FOUND, OK,     FORBID, FORBID, FORBID,   FORBID, FORBID, FORBID, FORBID),
}
# fmt: on


def cases(table: dict[str, tuple[str, ...]]) -> list[Any]:
    return [
        pytest.param(operation, caller, outcome, id=f"{operation} by {caller}: {outcome}")
        for operation, outcomes in table.items()
        for caller, outcome in zip(CALLERS, outcomes, strict=True)
    ]


@dataclass
class Club:
    """A member with an account manager, a preference and an important date, and everyone around them."""

    member: models.Member
    other_member: models.Member
    staff: dict[str, models.Staff]
    tiers: dict[str, models.Tier]
    preference: models.MemberPreference
    important_date: models.ImportantDate
    purchase: models.Purchase  # 100 points for the member, in one entry and one lot
    entry: models.LedgerEntry
    lot: models.PointsLot

    def token(self, caller: str) -> str | None:
        if caller == ANONYMOUS:
            return None
        if caller == THE_MEMBER:
            return member_token(self.member)
        if caller == OTHER_MEMBER:
            return member_token(self.other_member)
        return staff_token(self.staff[caller])

    def viewer(self, caller: str) -> dict[str, str] | None:
        """What `me { __typename id }` gives this caller."""
        if caller == ANONYMOUS:
            return None
        if caller in (THE_MEMBER, OTHER_MEMBER):
            member = self.member if caller == THE_MEMBER else self.other_member
            return {"__typename": "Member", "id": gid("Member", member.id)}
        return {"__typename": "Staff", "id": gid("Staff", self.staff[caller].id)}


async def make_club() -> Club:
    tiers = await make_tiers()
    own_manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Olivia Own-Manager")
    other_manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER, name="Oscar Other-Manager")
    staff = {
        FRONT_DESK: await make_staff(models.StaffRole.FRONT_DESK),
        OWN_MANAGER: own_manager,
        OTHER_MANAGER: other_manager,
        EVENT_MANAGER: await make_staff(models.StaffRole.EVENT_MANAGER),
        PARTNER_MANAGER: await make_staff(models.StaffRole.PARTNER_MANAGER),
        CLUB_MANAGER: await make_staff(models.StaffRole.CLUB_MANAGER),
        ADMINISTRATOR: await make_staff(models.StaffRole.ADMINISTRATOR),
    }
    member = await make_member(
        name="Mia Member", phone="+41791234567", tier=tiers["Silver"], account_manager_id=own_manager.id
    )
    other_member = await make_member(name="Otto Other", tier=tiers["Silver"], account_manager_id=other_manager.id)
    await make_benefit(tiers["Silver"], "welcome_drink", quota=2, period=models.QuotaPeriod.MONTH)
    purchase = await make_purchase(member, "100.00")
    entry = await models.LedgerEntry.get(purchase_id=purchase.id)
    return Club(
        member=member,
        other_member=other_member,
        staff=staff,
        tiers=tiers,
        preference=await make_preference(member, category=models.PreferenceCategory.SEATING, value="Window seat"),
        important_date=await make_important_date(member, label="First visit", date=date(2019, 3, 14)),
        purchase=purchase,
        entry=entry,
        lot=await models.PointsLot.get(entry_id=entry.id),
    )


# --- reads --------------------------------------------------------------------------------

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Member { name }
    ... on MemberPreference { value }
    ... on ImportantDate { label }
    ... on Staff { name }
  }
}
"""
NODES = NODE.replace("($id: ID!)", "($ids: [ID!]!)").replace("node(id: $id)", "nodes(ids: $ids)")


@dataclass
class Read:
    document: str
    variables: Callable[[Club], dict[str, Any]]
    # The `data` of the response when the caller may see the object, and when not.
    seen: Callable[[Club, str], dict[str, Any]]
    unseen: dict[str, Any] | None = None


def _node_read(type_name: str, target: Callable[[Club], tuple[int, dict[str, str]]]) -> Read:
    def seen(club: Club, caller: str) -> dict[str, Any]:
        pk, fields = target(club)
        return {"node": {"__typename": type_name, "id": gid(type_name, pk), **fields}}

    return Read(NODE, lambda club: {"id": gid(type_name, target(club)[0])}, seen, {"node": None})


def _nodes_read(type_name: str, target: Callable[[Club], tuple[int, dict[str, str]]]) -> Read:
    def seen(club: Club, caller: str) -> dict[str, Any]:
        pk, fields = target(club)
        return {"nodes": [{"__typename": type_name, "id": gid(type_name, pk), **fields}]}

    return Read(NODES, lambda club: {"ids": [gid(type_name, target(club)[0])]}, seen, {"nodes": [None]})


def _the_member(club: Club) -> tuple[int, dict[str, str]]:
    return club.member.id, {"name": "Mia Member"}


def _their_preference(club: Club) -> tuple[int, dict[str, str]]:
    return club.preference.id, {"value": "Window seat"}


def _their_important_date(club: Club) -> tuple[int, dict[str, str]]:
    return club.important_date.id, {"label": "First visit"}


def _their_account_manager(club: Club) -> tuple[int, dict[str, str]]:
    return club.staff[OWN_MANAGER].id, {"name": "Olivia Own-Manager"}


READ_OPERATIONS = {
    "me": Read(
        "{ me { __typename ... on Member { id } ... on Staff { id } } }",
        lambda club: {},
        lambda club, caller: {"me": club.viewer(caller)},
        {"me": None},
    ),
    "members": Read(
        "{ members { edges { node { id } } } }",
        lambda club: {},
        lambda club, caller: {
            "members": {
                "edges": [
                    {"node": {"id": gid("Member", club.member.id)}},
                    {"node": {"id": gid("Member", club.other_member.id)}},
                ]
            }
        },
    ),
    "member": Read(
        "query($id: ID!) { member(id: $id) { id name } }",
        lambda club: {"id": gid("Member", club.member.id)},
        lambda club, caller: {"member": {"id": gid("Member", club.member.id), "name": "Mia Member"}},
        {"member": None},
    ),
    "node Member": _node_read("Member", _the_member),
    "nodes Member": _nodes_read("Member", _the_member),
    "node MemberPreference": _node_read("MemberPreference", _their_preference),
    "nodes MemberPreference": _nodes_read("MemberPreference", _their_preference),
    "node ImportantDate": _node_read("ImportantDate", _their_important_date),
    "nodes ImportantDate": _nodes_read("ImportantDate", _their_important_date),
    "node Staff": _node_read("Staff", _their_account_manager),
    "nodes Staff": _nodes_read("Staff", _their_account_manager),
    "node Purchase": _node_read("Purchase", lambda club: (club.purchase.id, {})),
    "nodes Purchase": _nodes_read("Purchase", lambda club: (club.purchase.id, {})),
    "node LedgerEntry": _node_read("LedgerEntry", lambda club: (club.entry.id, {})),
    "nodes LedgerEntry": _nodes_read("LedgerEntry", lambda club: (club.entry.id, {})),
    "node PointsLot": _node_read("PointsLot", lambda club: (club.lot.id, {})),
    "nodes PointsLot": _nodes_read("PointsLot", lambda club: (club.lot.id, {})),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    # given
    club = await make_club()
    read = READ_OPERATIONS[operation]
    # when
    result = await gql(client, read.document, read.variables(club), token=club.token(caller))
    # then
    if outcome == OK:
        assert result == {"data": read.seen(club, caller)}
    elif outcome == NULL:
        assert result == {"data": read.unseen}
    else:
        assert result == refused(operation.split()[0], *REFUSALS[outcome])


# --- writes -------------------------------------------------------------------------------


@dataclass
class Write:
    document: str
    input: Callable[[Club], dict[str, Any]]
    # The payload when the write is allowed, and the payload fields left null when it is not.
    done: Callable[[Club], dict[str, Any]]
    undone: dict[str, None]
    # What the database says about the write, re-read after it, and its values before and after it.
    observe: Callable[[Club], Awaitable[Any]]
    before: Any
    after: Any
    not_found: dict[str, str] | None = None


ERRORS = "errors { field code message }"
MEMBER_NOT_FOUND = {"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"}


def _mutation(name: str, selection: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"


def _member_ref(club: Club) -> dict[str, str]:
    return {"id": gid("Member", club.member.id)}


async def _members_with_adas_email(club: Club) -> list[str]:
    return await models.Member.filter(email="ada@example.com").values_list("name", flat=True)


async def _phone(club: Club) -> str | None:
    return (await models.Member.get(id=club.member.id)).phone


async def _preference_values(club: Club) -> list[str]:
    return await models.MemberPreference.filter(member_id=club.member.id).order_by("id").values_list("value", flat=True)


async def _important_date_labels(club: Club) -> list[str]:
    return await models.ImportantDate.filter(member_id=club.member.id).order_by("id").values_list("label", flat=True)


async def _consents(club: Club) -> list[tuple[str, bool]]:
    rows = await models.Consent.filter(member_id=club.member.id).values_list("purpose", "granted")
    return [(str(purpose), granted) for purpose, granted in rows]


async def _account_manager_name(club: Club) -> list[str]:
    return await models.Member.filter(id=club.member.id).values_list("account_manager__name", flat=True)


async def _tier_and_history(club: Club) -> tuple[str, list[tuple[str, str]]]:
    member = await models.Member.get(id=club.member.id).prefetch_related("tier")
    history = await models.TierChange.filter(member_id=club.member.id).values_list("source", "reason")
    return member.tier.name, [(str(source), reason) for source, reason in history]


async def _balances(club: Club) -> tuple[int, int]:
    """The member's points, then the other member's."""
    members = models.Member.filter(id__in=[club.member.id, club.other_member.id])
    rows = dict(await members.values_list("id", "points_balance"))
    return rows[club.member.id], rows[club.other_member.id]


async def _benefit_uses(club: Club) -> list[tuple[str, int, str]]:
    return await models.BenefitUse.filter(member_id=club.member.id).values_list("benefit_code", "quantity", "note")


WRITE_OPERATIONS = {
    "memberCreate": Write(
        _mutation("memberCreate", "member { name email }"),
        lambda club: {"name": "Ada Lovelace", "email": "ada@example.com"},
        lambda club: {"member": {"name": "Ada Lovelace", "email": "ada@example.com"}},
        {"member": None},
        _members_with_adas_email,
        before=[],
        after=["Ada Lovelace"],
    ),
    "memberUpdate": Write(
        _mutation("memberUpdate", "member { id phone }"),
        lambda club: {"memberId": gid("Member", club.member.id), "phone": "+41445551234"},
        lambda club: {"member": {**_member_ref(club), "phone": "+41445551234"}},
        {"member": None},
        _phone,
        before="+41791234567",
        after="+41445551234",
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberPreferenceAdd": Write(
        _mutation("memberPreferenceAdd", "preference { category value isPrivate } member { id }"),
        lambda club: {"memberId": gid("Member", club.member.id), "category": "DRINK", "value": "Oolong tea"},
        lambda club: {
            "preference": {"category": "DRINK", "value": "Oolong tea", "isPrivate": False},
            "member": _member_ref(club),
        },
        {"preference": None, "member": None},
        _preference_values,
        before=["Window seat"],
        after=["Window seat", "Oolong tea"],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberPreferenceRemove": Write(
        _mutation("memberPreferenceRemove", "removedPreferenceId member { id }"),
        lambda club: {"preferenceId": gid("MemberPreference", club.preference.id)},
        lambda club: {"removedPreferenceId": gid("MemberPreference", club.preference.id), "member": _member_ref(club)},
        {"removedPreferenceId": None, "member": None},
        _preference_values,
        before=["Window seat"],
        after=[],
        not_found={"field": "preferenceId", "code": "NOT_FOUND", "message": "Preference not found"},
    ),
    "memberImportantDateAdd": Write(
        _mutation("memberImportantDateAdd", "importantDate { kind label date } member { id }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "kind": "ANNIVERSARY",
            "label": "Wedding",
            "date": "2010-06-12",
        },
        lambda club: {
            "importantDate": {"kind": "ANNIVERSARY", "label": "Wedding", "date": "2010-06-12"},
            "member": _member_ref(club),
        },
        {"importantDate": None, "member": None},
        _important_date_labels,
        before=["First visit"],
        after=["First visit", "Wedding"],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberImportantDateRemove": Write(
        _mutation("memberImportantDateRemove", "removedImportantDateId member { id }"),
        lambda club: {"importantDateId": gid("ImportantDate", club.important_date.id)},
        lambda club: {
            "removedImportantDateId": gid("ImportantDate", club.important_date.id),
            "member": _member_ref(club),
        },
        {"removedImportantDateId": None, "member": None},
        _important_date_labels,
        before=["First visit"],
        after=[],
        not_found={"field": "importantDateId", "code": "NOT_FOUND", "message": "Important date not found"},
    ),
    "memberConsentSet": Write(
        _mutation("memberConsentSet", "consent { purpose granted } member { id }"),
        lambda club: {"memberId": gid("Member", club.member.id), "purpose": "MARKETING", "granted": True},
        lambda club: {"consent": {"purpose": "MARKETING", "granted": True}, "member": _member_ref(club)},
        {"consent": None, "member": None},
        _consents,
        before=[],
        after=[("marketing", True)],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberAssignAccountManager": Write(
        _mutation("memberAssignAccountManager", "member { id accountManager { name } }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "accountManagerId": gid("Staff", club.staff[OTHER_MANAGER].id),
        },
        lambda club: {"member": {**_member_ref(club), "accountManager": {"name": "Oscar Other-Manager"}}},
        {"member": None},
        _account_manager_name,
        before=["Olivia Own-Manager"],
        after=["Oscar Other-Manager"],
    ),
    "memberSetTier": Write(
        _mutation("memberSetTier", "member { id tier { name } }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "tierId": gid("Tier", club.tiers["Gold"].id),
            "reason": "Patron of the spring gala",
        },
        lambda club: {"member": {**_member_ref(club), "tier": {"name": "Gold"}}},
        {"member": None},
        _tier_and_history,
        before=("Silver", []),
        after=("Gold", [("manual", "Patron of the spring gala")]),
    ),
    "benefitUse": Write(
        _mutation("benefitUse", "member { id } memberBenefit { benefit { code } used remaining }"),
        lambda club: {"memberId": gid("Member", club.member.id), "benefitCode": "welcome_drink", "note": "At the bar"},
        lambda club: {
            "member": _member_ref(club),
            "memberBenefit": {"benefit": {"code": "welcome_drink"}, "used": 1, "remaining": 1},
        },
        {"member": None, "memberBenefit": None},
        _benefit_uses,
        before=[],
        after=[("welcome_drink", 1, "At the bar")],
    ),
    "purchaseRecord": Write(
        _mutation("purchaseRecord", "purchase { amount pointsEarned } entries { amount }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "amount": "50.00",
            "currency": "CHF",
            "outlet": "Bar",
            "externalReference": "matrix-1",
            "idempotencyKey": "matrix",
        },
        lambda club: {"purchase": {"amount": "50.00", "pointsEarned": 50}, "entries": [{"amount": 50}]},
        {"purchase": None, "entries": None},
        _balances,
        before=(100, 0),
        after=(150, 0),
    ),
    "purchaseRefund": Write(
        _mutation("purchaseRefund", "purchase { refundedAmount } pointsReversed"),
        lambda club: {"purchaseId": gid("Purchase", club.purchase.id), "idempotencyKey": "matrix"},
        lambda club: {"purchase": {"refundedAmount": "100.00"}, "pointsReversed": 100},
        {"purchase": None, "pointsReversed": None},
        _balances,
        before=(100, 0),
        after=(0, 0),
    ),
    "pointsAdjust": Write(
        _mutation("pointsAdjust", "member { id pointsBalance }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "points": 25,
            "reason": "Goodwill",
            "idempotencyKey": "matrix",
        },
        lambda club: {"member": {**_member_ref(club), "pointsBalance": 125}},
        {"member": None},
        _balances,
        before=(100, 0),
        after=(125, 0),
    ),
    "pointsTransfer": Write(
        _mutation("pointsTransfer", "member { id pointsBalance } entry { amount }"),
        lambda club: {
            "fromMemberId": gid("Member", club.member.id),
            "toMemberId": gid("Member", club.other_member.id),
            "points": 30,
            "idempotencyKey": "matrix",
        },
        lambda club: {"member": {**_member_ref(club), "pointsBalance": 70}, "entry": {"amount": -30}},
        {"member": None, "entry": None},
        _balances,
        before=(100, 0),
        after=(70, 30),
        not_found={"field": "fromMemberId", "code": "NOT_FOUND", "message": "Member not found"},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    # given
    club = await make_club()
    write = WRITE_OPERATIONS[operation]
    # when
    result = await gql(client, write.document, {"input": write.input(club)}, token=club.token(caller))
    # then
    if outcome == OK:
        assert result == {"data": {operation: {**write.done(club), "errors": []}}}
    elif outcome == NOT_FOUND:
        assert result == {"data": {operation: {**write.undone, "errors": [write.not_found]}}}
    else:
        assert result == refused(operation, *REFUSALS[outcome])
    assert await write.observe(club) == (write.after if outcome == OK else write.before)


def test_the_tables_cover_every_operation_and_node_type_that_is_not_public():
    # given
    public_fields = {"login", "tiers", "tier"}
    public_node_types = {"Tier", "Benefit"}
    # when
    schema = build_schema()._schema
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    node_types = {type_.name for type_ in schema.get_possible_types(schema.get_type("Node"))}
    # then
    assert {operation.split()[0] for operation in [*READS, *WRITES]} == fields - public_fields
    for field in ("node", "nodes"):
        covered = {operation.split()[1] for operation in READS if operation.split()[0] == field}
        assert covered == node_types - public_node_types


# --- a staff member's private note ----------------------------------------------------------

MEMBER_PREFERENCES = "query($id: ID!) { member(id: $id) { preferences { value isPrivate } } }"


@pytest.mark.parametrize(("caller", "outcome"), [(THE_MEMBER, NULL), (FRONT_DESK, OK), (OWN_MANAGER, OK)])
async def test_a_private_note_is_hidden_from_the_member_it_is_about(client, caller, outcome):
    # given
    club = await make_club()
    note = await make_preference(
        club.member,
        category=models.PreferenceCategory.NOTE,
        value="Keep away from the bar",
        is_private=True,
        noted_by_id=club.staff[FRONT_DESK].id,
    )
    # when
    node = await gql(client, NODE, {"id": gid("MemberPreference", note.id)}, token=club.token(caller))
    member = await gql(client, MEMBER_PREFERENCES, {"id": gid("Member", club.member.id)}, token=club.token(caller))
    # then
    public = {"value": "Window seat", "isPrivate": False}
    private = {"value": "Keep away from the bar", "isPrivate": True}
    if outcome == OK:
        assert node == {
            "data": {
                "node": {
                    "__typename": "MemberPreference",
                    "id": gid("MemberPreference", note.id),
                    "value": "Keep away from the bar",
                }
            }
        }
        assert member == {"data": {"member": {"preferences": [public, private]}}}
    else:
        assert node == {"data": {"node": None}}
        assert member == {"data": {"member": {"preferences": [public]}}}


async def test_a_member_cannot_remove_a_private_note_about_them(client):
    # given
    club = await make_club()
    note = await make_preference(
        club.member, category=models.PreferenceCategory.NOTE, value="Keep away from the bar", is_private=True
    )
    remove = WRITE_OPERATIONS["memberPreferenceRemove"]
    variables = {"input": {"preferenceId": gid("MemberPreference", note.id)}}
    # when
    result = await gql(client, remove.document, variables, token=club.token(THE_MEMBER))
    # then
    assert result == {"data": {"memberPreferenceRemove": {**remove.undone, "errors": [remove.not_found]}}}
    assert await _preference_values(club) == ["Window seat", "Keep away from the bar"]
