"""The auth matrix of analytics: club-wide figures for the club manager and administrators only.

Written out by hand from domain/policy.py read as the spec: ANALYTICS_READ belongs to those two roles.
Every other staff role is refused even though some read members: figures across the whole club are
not what their duty needs, and an account manager sees their own members only.
"""

from __future__ import annotations

import pytest

from tests.auth_matrix import FORBID, OK, UNAUTH, Club, Read, cases, check_read, make_club

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "analytics":                  (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
}
WRITES: dict[str, tuple[str, ...]] = {}
# fmt: on


def _figures(club: Club, caller: str) -> dict:
    """The club's two members, and the 100 points of the member's purchase."""
    return {"analytics": {"members": {"total": 2, "active": 2}, "pointsLiability": {"outstanding": 100}}}


READ_OPERATIONS = {
    "analytics": Read(
        "{ analytics { members { total active } pointsLiability { outstanding } } }",
        lambda club: {},
        _figures,
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_club(), READ_OPERATIONS[operation], operation, caller, outcome)
