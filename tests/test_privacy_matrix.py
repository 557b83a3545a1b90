"""The field-level privacy matrix over HTTP: every sensitive field against every staff role, and the member.

The expected levels are written out by hand below, from the spec: the front desk sees name, tier and
service preferences but not phone, spend or notes; an account manager sees the full profiles of
their own members only. A test checks that this table covers every pair of domain/privacy.py's matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from domain import models, privacy
from domain.privacy import Sensitive
from domain.viewer import ANONYMOUS, member_viewer, partner_viewer, staff_viewer
from tests.factories import (
    gid,
    gql,
    make_interaction,
    make_member,
    make_preference,
    make_purchase,
    make_staff,
    make_tiers,
    member_token,
    staff_token,
)

FULL = "full"
MASKED = "masked"  # phone and email masked; the other fields null
NONE = "none"
UNSEEN = "member not visible"  # the caller cannot read the member at all (policy.py), so no field either

THE_MEMBER = "the member"
FRONT_DESK = "front desk"
OWN_MANAGER = "their account manager"
OTHER_MANAGER = "another account manager"
EVENT_MANAGER = "event manager"
PARTNER_MANAGER = "partner manager"
CLUB_MANAGER = "club manager"
ADMINISTRATOR = "administrator"
CALLERS = (THE_MEMBER, FRONT_DESK, OWN_MANAGER, OTHER_MANAGER, EVENT_MANAGER, PARTNER_MANAGER, CLUB_MANAGER, ADMINISTRATOR)

# fmt: off
MATRIX = {
    #             the      front   own      other    event    partner  club     admin
    #             member   desk    manager  manager  manager  manager  manager
    "phone":     (FULL,    MASKED, FULL,    MASKED,  MASKED,  UNSEEN,  FULL,    FULL),
    "email":     (FULL,    MASKED, FULL,    MASKED,  MASKED,  UNSEEN,  FULL,    FULL),
    "birthday":  (FULL,    NONE,   FULL,    NONE,    NONE,    UNSEEN,  FULL,    FULL),
    "notes":     (NONE,    NONE,   FULL,    NONE,    NONE,    UNSEEN,  FULL,    FULL),
    "spend":     (FULL,    NONE,   FULL,    NONE,    NONE,    UNSEEN,  FULL,    FULL),
}
# The matrix of domain/privacy.py as the spec says it, per staff role (the partner manager reads no member).
LEVELS = {
    models.StaffRole.FRONT_DESK:      {"phone": "masked", "email": "masked", "birthday": "none", "notes": "none", "spend": "none"},
    models.StaffRole.ACCOUNT_MANAGER: {"phone": "own_members", "email": "own_members", "birthday": "own_members", "notes": "own_members", "spend": "own_members"},
    models.StaffRole.EVENT_MANAGER:   {"phone": "masked", "email": "masked", "birthday": "none", "notes": "none", "spend": "none"},
    models.StaffRole.PARTNER_MANAGER: {"phone": "none", "email": "none", "birthday": "none", "notes": "none", "spend": "none"},
    models.StaffRole.CLUB_MANAGER:    {"phone": "full", "email": "full", "birthday": "full", "notes": "full", "spend": "full"},
    models.StaffRole.ADMINISTRATOR:   {"phone": "full", "email": "full", "birthday": "full", "notes": "full", "spend": "full"},
}
# fmt: on


@dataclass
class Club:
    member: models.Member
    purchase: models.Purchase
    staff: dict[str, models.Staff]

    def token(self, caller: str) -> str:
        return member_token(self.member) if caller == THE_MEMBER else staff_token(self.staff[caller])


async def make_club() -> Club:
    tiers = await make_tiers()
    own = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    staff = {
        FRONT_DESK: await make_staff(models.StaffRole.FRONT_DESK),
        OWN_MANAGER: own,
        OTHER_MANAGER: await make_staff(models.StaffRole.ACCOUNT_MANAGER),
        EVENT_MANAGER: await make_staff(models.StaffRole.EVENT_MANAGER),
        PARTNER_MANAGER: await make_staff(models.StaffRole.PARTNER_MANAGER),
        CLUB_MANAGER: await make_staff(models.StaffRole.CLUB_MANAGER),
        ADMINISTRATOR: await make_staff(models.StaffRole.ADMINISTRATOR),
    }
    member = await make_member(
        name="Mia Member",
        phone="+41791234567",
        email="mia@example.com",
        birthday=date(1990, 5, 17),
        tier=tiers["Silver"],
        account_manager_id=own.id,
    )
    await make_preference(member, value="Window seat")
    await make_preference(member, category=models.PreferenceCategory.NOTE, value="Prefers discretion", is_private=True)
    purchase = await make_purchase(member, "120.00")
    return Club(member=member, purchase=purchase, staff=staff)


# What each field's query asks, and the answer at each level.
QUERIES = {
    "phone": "member(id: $member) { phone }",
    "email": "member(id: $member) { email }",
    "birthday": "member(id: $member) { birthday }",
    "notes": "member(id: $member) { preferences { value } }",
    "spend": "member(id: $member) { tierProgress { spend { value } } rfmScore } "
    "purchase: node(id: $purchase) { ... on Purchase { amount paidWithPoints refundedAmount } }",
}
PUBLIC_PREFERENCE = {"value": "Window seat"}
PRIVATE_NOTE = {"value": "Prefers discretion"}
ANSWERS: dict[str, dict[str, Any]] = {
    "phone": {FULL: {"member": {"phone": "+41791234567"}}, MASKED: {"member": {"phone": "+41 •• ••• •• 67"}}},
    "email": {FULL: {"member": {"email": "mia@example.com"}}, MASKED: {"member": {"email": "m•••@example.com"}}},
    "birthday": {FULL: {"member": {"birthday": "1990-05-17"}}, NONE: {"member": {"birthday": None}}},
    "notes": {
        FULL: {"member": {"preferences": [PUBLIC_PREFERENCE, PRIVATE_NOTE]}},
        NONE: {"member": {"preferences": [PUBLIC_PREFERENCE]}},
    },
    "spend": {
        # The purchase graded the member: recent (5), one visit (1), little spend (1).
        FULL: {
            "member": {"tierProgress": {"spend": {"value": "120.00"}}, "rfmScore": "511"},
            "purchase": {"amount": "120.00", "paidWithPoints": "0.00", "refundedAmount": "0.00"},
        },
        NONE: {
            "member": {"tierProgress": {"spend": None}, "rfmScore": None},
            "purchase": {"amount": None, "paidWithPoints": None, "refundedAmount": None},
        },
    },
}
UNSEEN_ANSWER = {"member": None}


def cases() -> list[Any]:
    return [
        pytest.param(field, caller, level, id=f"{field} for {caller}: {level}")
        for field, levels in MATRIX.items()
        for caller, level in zip(CALLERS, levels, strict=True)
    ]


@pytest.mark.parametrize(("field", "caller", "level"), cases())
async def test_a_sensitive_field_shows_what_the_callers_role_may_see(client, field, caller, level):
    # given
    club = await make_club()
    variables = {"member": gid("Member", club.member.id)}
    if field == "spend":
        variables["purchase"] = gid("Purchase", club.purchase.id)
    document = f"query({', '.join(f'${name}: ID!' for name in variables)}) {{ {QUERIES[field]} }}"
    # when
    result = await gql(client, document, variables, token=club.token(caller))
    # then
    if level == UNSEEN:
        assert result == {"data": {**UNSEEN_ANSWER, **({"purchase": None} if field == "spend" else {})}}
    else:
        expected = ANSWERS[field].get(level) or ANSWERS[field][NONE]
        if caller == THE_MEMBER and field == "spend":  # the care grading is the club's, never shown to the member
            expected = {**expected, "member": {**expected["member"], "rfmScore": None}}
        assert result == {"data": expected}


def test_the_table_covers_every_pair_of_the_code_matrix():
    # given
    pairs = {(role, field) for role in models.StaffRole for field in Sensitive}
    # then
    assert {(role, Sensitive(field)) for role, levels in LEVELS.items() for field in levels} == pairs
    assert set(MATRIX) == {str(field) for field in Sensitive}
    for role, field in pairs:
        assert str(privacy.staff_access(role, field)) == LEVELS[role][str(field)], (role, field)


@pytest.mark.parametrize(
    "viewer",
    [member_viewer(2), partner_viewer(1), ANONYMOUS, staff_viewer(1, models.StaffRole.PARTNER_MANAGER)],
    ids=["another member", "a partner", "anonymous", "partner manager"],
)
@pytest.mark.parametrize("field", list(Sensitive))
def test_whoever_is_not_in_the_matrix_gets_nothing(viewer, field):
    assert privacy.access(viewer, field, member_id=1, account_manager_id=1) is privacy.Access.NONE


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+41791234567", "+41 •• ••• •• 67"),
        ("+12025550143", "+1 •• ••• •• 43"),
        ("+4915123456789", "+49 •• ••• •• 89"),
        ("+971501234567", "+971 •• ••• •• 67"),
        ("+4112", "••"),
    ],
)
def test_a_masked_phone_keeps_the_country_code_and_the_last_two_digits(phone, masked):
    assert privacy.mask_phone(phone) == masked


# --- every path to a Member shows the same -------------------------------------------------

# The document (`$id` is the member's, or the purchase's for Purchase.member) and where the member is in the answer.
PATHS = {
    "member": ("query($id: ID!) { member(id: $id) { phone email } }", lambda data: data["member"]),
    "node": ("query($id: ID!) { node(id: $id) { ... on Member { phone email } } }", lambda data: data["node"]),
    "nodes": ("query($id: ID!) { nodes(ids: [$id]) { ... on Member { phone email } } }", lambda data: data["nodes"][0]),
    "members": (
        '{ members(filter: {search: "Mia"}) { edges { node { id phone email } } } }',
        lambda data: {k: v for k, v in data["members"]["edges"][0]["node"].items() if k != "id"},
    ),
    "_entities": (
        'query($id: ID!) { _entities(representations: [{__typename: "Member", id: $id}]) { ... on Member { phone email } } }',
        lambda data: data["_entities"][0],
    ),
    "Purchase.member": (
        "query($id: ID!) { node(id: $id) { ... on Purchase { member { phone email } } } }",
        lambda data: data["node"]["member"],
    ),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (OWN_MANAGER, {"phone": "+41791234567", "email": "mia@example.com"}),
        (FRONT_DESK, {"phone": "+41 •• ••• •• 67", "email": "m•••@example.com"}),
    ],
)
async def test_every_path_to_a_member_applies_the_same_matrix(client, path, caller, expected):
    # given
    club = await make_club()
    document, pick = PATHS[path]
    variables = {"id": gid("Purchase", club.purchase.id) if path == "Purchase.member" else gid("Member", club.member.id)}
    # when
    result = await gql(client, document, variables, token=club.token(caller))
    # then
    assert "errors" not in result, result
    assert pick(result["data"]) == expected


async def test_only_those_with_full_access_to_notes_see_interaction_summaries(client):
    # given: an interaction is a note about the member, so whoever may see one must have full access to notes
    club = await make_club()
    interaction = await make_interaction(club.member, summary="Worried about the renovation noise")
    document = "query($id: ID!) { node(id: $id) { ... on Interaction { summary } } }"
    for caller in CALLERS:
        # when
        result = await gql(client, document, {"id": gid("Interaction", interaction.id)}, token=club.token(caller))
        # then
        full_notes = MATRIX["notes"][CALLERS.index(caller)] == FULL
        expected = {"summary": "Worried about the renovation noise"} if full_notes else None
        assert result == {"data": {"node": expected}}, caller
