"""The auth matrix harness: the callers, the outcomes, and a club with someone of every kind in it.

Each `test_auth_matrix*.py` module writes its tables out by hand, from domain/policy.py read as
the spec, and checks them with `check_read` and `check_write`; `test_auth_matrix.py` checks that
the tables of all of them together cover every operation that is not public.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from domain import models
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


def node_read(type_name: str, target: Callable[[Club], tuple[int, dict[str, str]]]) -> Read:
    def seen(club: Club, caller: str) -> dict[str, Any]:
        pk, fields = target(club)
        return {"node": {"__typename": type_name, "id": gid(type_name, pk), **fields}}

    return Read(NODE, lambda club: {"id": gid(type_name, target(club)[0])}, seen, {"node": None})


def nodes_read(type_name: str, target: Callable[[Club], tuple[int, dict[str, str]]]) -> Read:
    def seen(club: Club, caller: str) -> dict[str, Any]:
        pk, fields = target(club)
        return {"nodes": [{"__typename": type_name, "id": gid(type_name, pk), **fields}]}

    return Read(NODES, lambda club: {"ids": [gid(type_name, target(club)[0])]}, seen, {"nodes": [None]})


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


def mutation(name: str, selection: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"


def member_ref(club: Club) -> dict[str, str]:
    return {"id": gid("Member", club.member.id)}


async def check_read(
    client: httpx.AsyncClient, club: Club, read: Read, operation: str, caller: str, outcome: str
) -> None:
    result = await gql(client, read.document, read.variables(club), token=club.token(caller))
    if outcome == OK:
        assert result == {"data": read.seen(club, caller)}
    elif outcome == NULL:
        assert result == {"data": read.unseen}
    else:
        assert result == refused(operation.split()[0], *REFUSALS[outcome])


async def check_write(
    client: httpx.AsyncClient, club: Club, write: Write, operation: str, caller: str, outcome: str
) -> None:
    """The response, and what the database holds afterwards: changed when allowed, untouched when not."""
    before = await write.observe(club)
    assert before == write.before
    result = await gql(client, write.document, {"input": write.input(club)}, token=club.token(caller))
    if outcome == OK:
        assert result == {"data": {operation: {**write.done(club), "errors": []}}}
    elif outcome == NOT_FOUND:
        assert result == {"data": {operation: {**write.undone, "errors": [write.not_found]}}}
    else:
        assert result == refused(operation, *REFUSALS[outcome])
    assert await write.observe(club) == (write.after if outcome == OK else write.before)
