"""The auth matrix of a member's data export and erasure, from domain/policy.py read as the spec.

The member exports their own data; club managers and administrators (MEMBER_EXPORT) anyone's. Nobody
else, not even the member's own account manager: the export is everything, more than any other
duty needs. Only club managers and administrators erase (MEMBER_ERASE): a member asks the club.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain import models
from tests.auth_matrix import (
    FORBID,
    NULL,
    OK,
    REFUSALS,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_write,
    make_club,
    member_ref,
    mutation,
)
from tests.factories import gid, gql, refused

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "memberDataExport":           (UNAUTH,   NULL,      OK,     FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "memberErase":                (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
}
# fmt: on


class _ExportOf:
    """Equal to an export of the club's member: the whole document is checked in test_member_data_export.py."""

    def __init__(self, club: Club) -> None:
        self.member_id = club.member.id

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, dict)
            and other.get("memberId") == self.member_id
            and other["profile"]["name"] == "Mia Member"
        )

    def __repr__(self) -> str:
        return f"<the export of member {self.member_id}>"


READ_OPERATIONS = {
    "memberDataExport": Read(
        "query($id: ID!) { memberDataExport(id: $id) { formatVersion data } }",
        lambda club: {"id": gid("Member", club.member.id)},
        lambda club, caller: {"memberDataExport": {"formatVersion": 1, "data": _ExportOf(club)}},
        {"memberDataExport": None},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    club = await make_club()
    read = READ_OPERATIONS[operation]
    result = await gql(client, read.document, read.variables(club), token=club.token(caller))
    if outcome == OK:
        assert result == {"data": read.seen(club, caller)}
    elif outcome == NULL:
        assert result == {"data": read.unseen}
    else:
        # A nullable field: refused, it stays null beside the error (tests.auth_matrix.check_read
        # expects the whole `data` null, as non-null fields give).
        assert result == {**refused(operation, *REFUSALS[outcome]), "data": read.unseen}
    exports = await models.AuditEntry.filter(kind=models.AuditKind.EXPORT).count()
    assert exports == (1 if outcome == OK else 0)


async def _name_and_status(club: Club) -> tuple[str, str]:
    row = await models.Member.get(id=club.member.id)
    return row.name.replace(str(club.member.id), "<id>"), str(row.status)


def _erased(club: Club) -> dict[str, Any]:
    return {"member": {**member_ref(club), "name": f"Erased member {club.member.id}"}}


WRITE_OPERATIONS = {
    "memberErase": Write(
        mutation("memberErase", "member { id name }"),
        lambda club: {"memberId": gid("Member", club.member.id), "reason": "The member's request"},
        _erased,
        {"member": None},
        _name_and_status,
        before=("Mia Member", "active"),
        after=("Erased member <id>", "resigned"),
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)
