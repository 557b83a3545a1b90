"""The auth matrix of sign-ins: sessionRevoke for club managers and administrators, logout for whoever is signed in.

Written out by hand from domain/policy.py read as the spec: SESSION_REVOKE belongs to those two roles
(an account manager may not sign out even their own members). `tokenRefresh` is public: the refresh
token is the credential, so there is no caller to refuse.
"""

from __future__ import annotations

import pytest

from domain import models, sessions
from domain.viewer import ANONYMOUS as ANONYMOUS_VIEWER
from domain.viewer import member_viewer, staff_viewer
from tests.auth_matrix import ANONYMOUS, CALLERS, FORBID, OK, OTHER_MEMBER, THE_MEMBER, UNAUTH, Club, Write, cases, check_write, make_club, mutation
from tests.factories import gid, gql, refused

PUBLIC_FIELDS = ("tokenRefresh",)
READS: dict[str, tuple[str, ...]] = {}

# fmt: off
WRITES = {
    #                        anonymous other   the     front   own     other     event   partner club    admin
    #                                  member  member  desk    manager manager   manager manager manager
    "sessionRevoke":        (UNAUTH,   FORBID, FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "logout":               (UNAUTH,   OK,     OK,     OK,     OK,     OK,       OK,     OK,     OK,     OK),
}
# fmt: on


async def _live_sessions_of_the_member(club: Club) -> int:
    return await models.AuthSession.filter(subject_kind="member", subject_id=club.member.id, revoked_at=None).count()


SESSION_REVOKE = Write(
    mutation("sessionRevoke", "endedSessions"),
    lambda club: {"memberId": gid("Member", club.member.id)},
    lambda club: {"endedSessions": 1},
    {"endedSessions": None},
    _live_sessions_of_the_member,
    before=1,
    after=0,
)


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases({"sessionRevoke": WRITES["sessionRevoke"]}))
async def test_session_revoke(client, operation, caller, outcome):
    # given: the member is signed in
    club = await make_club()
    await sessions.start(viewer=member_viewer(club.member.id), client_address=None, ttl_seconds=3600)
    # when, then
    await check_write(client, club, SESSION_REVOKE, operation, caller, outcome)


def _viewer(club: Club, caller: str):
    if caller == ANONYMOUS:
        return ANONYMOUS_VIEWER
    if caller in (THE_MEMBER, OTHER_MEMBER):
        return member_viewer((club.member if caller == THE_MEMBER else club.other_member).id)
    staff = club.staff[caller]
    return staff_viewer(staff.id, staff.role)


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases({"logout": WRITES["logout"]}))
async def test_logout(client, operation, caller, outcome):
    # given: everyone is signed in once, besides the matrix's own (session-less) tokens
    club = await make_club()
    for someone in CALLERS[1:]:
        await sessions.start(viewer=_viewer(club, someone), client_address=None, ttl_seconds=3600)
    # when
    result = await gql(client, mutation("logout", "endedSessions"), {"input": {"everywhere": True}}, token=club.token(caller))
    # then: the caller's sign-in ended, and nobody else's
    live = await models.AuthSession.filter(revoked_at=None).count()
    if outcome == OK:
        assert result == {"data": {"logout": {"endedSessions": 1, "errors": []}}}
        assert live == len(CALLERS) - 2
    else:
        assert result == refused("logout", *{UNAUTH: ("UNAUTHENTICATED",), FORBID: ("FORBIDDEN",)}[outcome])
        assert live == len(CALLERS) - 1
