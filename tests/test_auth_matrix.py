"""The auth matrix of members and points: every non-public operation against every kind of caller.

The expected outcomes are written out by hand below, from domain/policy.py read as the spec:
members act on their own record only, staff by role, and an account manager writes only the
records of the members assigned to them. Anonymous callers see nothing personal. The other
`test_auth_matrix_*.py` modules hold the tables of the other domains; the last test here checks
that all the tables together cover every operation and node type that is not public.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests
from domain import models
from schema import build_schema
from tests.auth_matrix import (
    FORBID,
    FRONT_DESK,
    MEMBER_NOT_FOUND,
    NODE,
    NOT_FOUND,
    NOT_MINE,
    NULL,
    OK,
    OTHER_MANAGER,
    OWN_MANAGER,
    THE_MEMBER,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    member_ref,
    mutation,
    node_read,
    nodes_read,
)
from tests.factories import gid, gql, make_preference

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
    "node Member": node_read("Member", _the_member),
    "nodes Member": nodes_read("Member", _the_member),
    "node MemberPreference": node_read("MemberPreference", _their_preference),
    "nodes MemberPreference": nodes_read("MemberPreference", _their_preference),
    "node ImportantDate": node_read("ImportantDate", _their_important_date),
    "nodes ImportantDate": nodes_read("ImportantDate", _their_important_date),
    "node Staff": node_read("Staff", _their_account_manager),
    "nodes Staff": nodes_read("Staff", _their_account_manager),
    "node Purchase": node_read("Purchase", lambda club: (club.purchase.id, {})),
    "nodes Purchase": nodes_read("Purchase", lambda club: (club.purchase.id, {})),
    "node LedgerEntry": node_read("LedgerEntry", lambda club: (club.entry.id, {})),
    "nodes LedgerEntry": nodes_read("LedgerEntry", lambda club: (club.entry.id, {})),
    "node PointsLot": node_read("PointsLot", lambda club: (club.lot.id, {})),
    "nodes PointsLot": nodes_read("PointsLot", lambda club: (club.lot.id, {})),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_club(), READ_OPERATIONS[operation], operation, caller, outcome)


# --- writes -------------------------------------------------------------------------------


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
        # The email is not asked back: the front desk sees it masked (tests/test_privacy_matrix.py).
        mutation("memberCreate", "member { name }"),
        lambda club: {"name": "Ada Lovelace", "email": "ada@example.com"},
        lambda club: {"member": {"name": "Ada Lovelace"}},
        {"member": None},
        _members_with_adas_email,
        before=[],
        after=["Ada Lovelace"],
    ),
    "memberUpdate": Write(
        mutation("memberUpdate", "member { id phone }"),
        lambda club: {"memberId": gid("Member", club.member.id), "phone": "+41445551234"},
        lambda club: {"member": {**member_ref(club), "phone": "+41445551234"}},
        {"member": None},
        _phone,
        before="+41791234567",
        after="+41445551234",
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberPreferenceAdd": Write(
        mutation("memberPreferenceAdd", "preference { category value isPrivate } member { id }"),
        lambda club: {"memberId": gid("Member", club.member.id), "category": "DRINK", "value": "Oolong tea"},
        lambda club: {
            "preference": {"category": "DRINK", "value": "Oolong tea", "isPrivate": False},
            "member": member_ref(club),
        },
        {"preference": None, "member": None},
        _preference_values,
        before=["Window seat"],
        after=["Window seat", "Oolong tea"],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberPreferenceRemove": Write(
        mutation("memberPreferenceRemove", "removedPreferenceId member { id }"),
        lambda club: {"preferenceId": gid("MemberPreference", club.preference.id)},
        lambda club: {"removedPreferenceId": gid("MemberPreference", club.preference.id), "member": member_ref(club)},
        {"removedPreferenceId": None, "member": None},
        _preference_values,
        before=["Window seat"],
        after=[],
        not_found={"field": "preferenceId", "code": "NOT_FOUND", "message": "Preference not found"},
    ),
    "memberImportantDateAdd": Write(
        mutation("memberImportantDateAdd", "importantDate { kind label date } member { id }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "kind": "ANNIVERSARY",
            "label": "Wedding",
            "date": "2010-06-12",
        },
        lambda club: {
            "importantDate": {"kind": "ANNIVERSARY", "label": "Wedding", "date": "2010-06-12"},
            "member": member_ref(club),
        },
        {"importantDate": None, "member": None},
        _important_date_labels,
        before=["First visit"],
        after=["First visit", "Wedding"],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberImportantDateRemove": Write(
        mutation("memberImportantDateRemove", "removedImportantDateId member { id }"),
        lambda club: {"importantDateId": gid("ImportantDate", club.important_date.id)},
        lambda club: {
            "removedImportantDateId": gid("ImportantDate", club.important_date.id),
            "member": member_ref(club),
        },
        {"removedImportantDateId": None, "member": None},
        _important_date_labels,
        before=["First visit"],
        after=[],
        not_found={"field": "importantDateId", "code": "NOT_FOUND", "message": "Important date not found"},
    ),
    "memberConsentSet": Write(
        mutation("memberConsentSet", "consent { purpose granted } member { id }"),
        lambda club: {"memberId": gid("Member", club.member.id), "purpose": "MARKETING", "granted": True},
        lambda club: {"consent": {"purpose": "MARKETING", "granted": True}, "member": member_ref(club)},
        {"consent": None, "member": None},
        _consents,
        before=[],
        after=[("marketing", True)],
        not_found=MEMBER_NOT_FOUND,
    ),
    "memberAssignAccountManager": Write(
        mutation("memberAssignAccountManager", "member { id accountManager { name } }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "accountManagerId": gid("Staff", club.staff[OTHER_MANAGER].id),
        },
        lambda club: {"member": {**member_ref(club), "accountManager": {"name": "Oscar Other-Manager"}}},
        {"member": None},
        _account_manager_name,
        before=["Olivia Own-Manager"],
        after=["Oscar Other-Manager"],
    ),
    "memberSetTier": Write(
        mutation("memberSetTier", "member { id tier { name } }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "tierId": gid("Tier", club.tiers["Gold"].id),
            "reason": "Patron of the spring gala",
        },
        lambda club: {"member": {**member_ref(club), "tier": {"name": "Gold"}}},
        {"member": None},
        _tier_and_history,
        before=("Silver", []),
        after=("Gold", [("manual", "Patron of the spring gala")]),
    ),
    "benefitUse": Write(
        mutation("benefitUse", "member { id } memberBenefit { benefit { code } used remaining }"),
        lambda club: {"memberId": gid("Member", club.member.id), "benefitCode": "welcome_drink", "note": "At the bar"},
        lambda club: {
            "member": member_ref(club),
            "memberBenefit": {"benefit": {"code": "welcome_drink"}, "used": 1, "remaining": 1},
        },
        {"member": None, "memberBenefit": None},
        _benefit_uses,
        before=[],
        after=[("welcome_drink", 1, "At the bar")],
    ),
    "purchaseRecord": Write(
        # The amount is not asked back: the front desk may not see spend (tests/test_privacy_matrix.py).
        mutation("purchaseRecord", "purchase { pointsEarned } entries { amount }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "amount": "50.00",
            "currency": "CHF",
            "outlet": "Bar",
            "externalReference": "matrix-1",
            "idempotencyKey": "matrix",
        },
        lambda club: {"purchase": {"pointsEarned": 50}, "entries": [{"amount": 50}]},
        {"purchase": None, "entries": None},
        _balances,
        before=(100, 0),
        after=(150, 0),
    ),
    "purchaseRefund": Write(
        mutation("purchaseRefund", "purchase { refundedAmount } pointsReversed"),
        lambda club: {"purchaseId": gid("Purchase", club.purchase.id), "idempotencyKey": "matrix"},
        lambda club: {"purchase": {"refundedAmount": "100.00"}, "pointsReversed": 100},
        {"purchase": None, "pointsReversed": None},
        _balances,
        before=(100, 0),
        after=(0, 0),
    ),
    "pointsAdjust": Write(
        mutation("pointsAdjust", "member { id pointsBalance }"),
        lambda club: {
            "memberId": gid("Member", club.member.id),
            "points": 25,
            "reason": "Goodwill",
            "idempotencyKey": "matrix",
        },
        lambda club: {"member": {**member_ref(club), "pointsBalance": 125}},
        {"member": None},
        _balances,
        before=(100, 0),
        after=(125, 0),
    ),
    "pointsTransfer": Write(
        mutation("pointsTransfer", "member { id pointsBalance } entry { amount }"),
        lambda club: {
            "fromMemberId": gid("Member", club.member.id),
            "toMemberId": gid("Member", club.other_member.id),
            "points": 30,
            "idempotencyKey": "matrix",
        },
        lambda club: {"member": {**member_ref(club), "pointsBalance": 70}, "entry": {"amount": -30}},
        {"member": None, "entry": None},
        _balances,
        before=(100, 0),
        after=(70, 30),
        not_found={"field": "fromMemberId", "code": "NOT_FOUND", "message": "Member not found"},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


def _matrix_modules() -> list:
    names = [info.name for info in pkgutil.iter_modules(tests.__path__) if info.name.startswith("test_auth_matrix")]
    return [importlib.import_module(f"tests.{name}") for name in sorted(names)]


def test_the_tables_cover_every_operation_and_node_type_that_is_not_public():
    # given
    modules = _matrix_modules()
    public_fields = {"login", "tiers", "tier"} | {field for module in modules for field in getattr(module, "PUBLIC_FIELDS", ())}
    public_node_types = {"Tier", "Benefit"} | {
        type_name for module in modules for type_name in getattr(module, "PUBLIC_NODE_TYPES", ())
    }
    operations = [operation for module in modules for operation in [*module.READS, *module.WRITES]]
    # when
    schema = build_schema()._schema
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    node_types = {type_.name for type_ in schema.get_possible_types(schema.get_type("Node"))}
    # then
    assert len(operations) == len(set(operations)), "an operation is in two tables"
    assert {operation.split()[0] for operation in operations} == fields - public_fields
    for field in ("node", "nodes"):
        covered = {operation.split()[1] for operation in operations if operation.split()[0] == field}
        assert covered == node_types - public_node_types


# --- a staff member's private note ----------------------------------------------------------

MEMBER_PREFERENCES = "query($id: ID!) { member(id: $id) { preferences { value isPrivate } } }"


@pytest.mark.parametrize(("caller", "outcome"), [(THE_MEMBER, NULL), (FRONT_DESK, NULL), (OWN_MANAGER, OK)])
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
