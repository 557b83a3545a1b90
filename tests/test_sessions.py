"""Sign-ins: short-lived access tokens, refresh with rotation and reuse detection, logout and revocation."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest
from tortoise.transactions import in_transaction

from domain import models, sessions
from domain.viewer import member_viewer
from tests.factories import SECRET_KEY, gid, gql, make_member, make_staff, member_token, refused, staff_token
from tests.servers import serve

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token expiresAt refreshToken refreshExpiresAt errors { code message } }
}
"""
REFRESH = """
mutation($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) {
    token expiresAt refreshToken refreshExpiresAt
    viewer { __typename ... on Member { id } ... on Staff { id role } }
    errors { field code message }
  }
}
"""
LOGOUT = "mutation($input: LogoutInput!) { logout(input: $input) { endedSessions errors { field code message } } }"
REVOKE = "mutation($input: SessionRevokeInput!) { sessionRevoke(input: $input) { endedSessions errors { field code message } } }"
SUSPEND = "mutation($input: MemberUpdateInput!) { memberUpdate(input: $input) { member { status } errors { code } } }"
ME = "{ me { __typename ... on Member { id } ... on Staff { id } } }"
PASSWORD = "correct horse"
INVALID_REFRESH = {"field": None, "code": "INVALID_REFRESH_TOKEN", "message": "The refresh token is invalid or has expired; sign in again"}
REUSED = {
    "field": None,
    "code": "REFRESH_TOKEN_REUSED",
    "message": "This refresh token was used before, so the sign-in has been revoked to be safe; sign in again",
}
DISABLED = {"field": None, "code": "ACCOUNT_DISABLED", "message": "This account is not active; please contact the club"}
NO_TOKENS = {"token": None, "expiresAt": None, "refreshToken": None, "refreshExpiresAt": None, "viewer": None}


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    result = await gql(client, LOGIN, {"input": {"email": email, "password": password}})
    assert result["data"]["login"]["errors"] == [], result
    return result["data"]["login"]


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> dict:
    return (await gql(client, REFRESH, {"input": {"refreshToken": refresh_token}}))["data"]["tokenRefresh"]


async def me_status(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _session(refresh_token: str) -> models.AuthSession:
    return await models.AuthSession.get(id=refresh_token.partition(".")[0])


async def _rotated_a_minute_ago(session_id: str) -> None:
    """Past the grace in which a racing refresh with the same token is not taken for theft."""
    await models.AuthSession.filter(id=session_id).update(refreshed_at=datetime.now(timezone.utc) - timedelta(minutes=1))


async def _auth_rows() -> list[tuple]:
    rows = await models.AuditEntry.filter(kind=models.AuditKind.AUTH).order_by("id")
    return [(row.action, row.actor_kind, row.actor_id, row.member_id, row.outcome, row.detail) for row in rows]


# --- login ----------------------------------------------------------------------------------


async def test_login_starts_a_session_named_by_the_access_token_and_keeps_only_a_hash_of_the_refresh_secret(client):
    # given
    member = await make_member(email="mia@example.com", password=PASSWORD)
    # when
    started = datetime.now(timezone.utc)
    tokens = await sign_in(client, "mia@example.com")
    # then
    session_id, _, secret = tokens["refreshToken"].partition(".")
    claims = jwt.decode(tokens["token"], SECRET_KEY, algorithms=["HS256"])
    assert claims["sid"] == session_id
    assert claims["exp"] - claims["iat"] == 900
    session = await models.AuthSession.get(id=session_id)
    assert (session.subject_kind, session.subject_id, session.role, session.revoked_at) == ("member", member.id, None, None)
    assert session.refresh_hash == _sha256(secret) and secret not in session.refresh_hash
    assert session.client_address == "127.0.0.1"
    assert session.expires_at == datetime.fromisoformat(tokens["refreshExpiresAt"])
    assert started + timedelta(days=30) - timedelta(seconds=1) <= session.expires_at <= started + timedelta(days=30, seconds=5)
    assert await _auth_rows() == [
        ("login", "member", member.id, member.id, "ok", {"session": session_id, "address": "127.0.0.1"})
    ]


async def test_a_failed_login_is_audited_without_the_password(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    # when
    await gql(client, LOGIN, {"input": {"email": " MIA@example.com", "password": "wrong horse"}})
    # then
    assert await _auth_rows() == [
        ("login", "anonymous", None, None, "INVALID_CREDENTIALS", {"email": "mia@example.com", "address": "127.0.0.1"})
    ]
    assert await models.AuthSession.all().count() == 0


# --- refresh --------------------------------------------------------------------------------


async def test_refresh_rotates_both_tokens_and_the_old_refresh_token_stops_working(client):
    # given
    member = await make_member(email="mia@example.com", password=PASSWORD)
    first = await sign_in(client, "mia@example.com")
    # when
    second = await refresh(client, first["refreshToken"])
    # then
    assert second == {
        "token": second["token"],
        "expiresAt": second["expiresAt"],
        "refreshToken": second["refreshToken"],
        "refreshExpiresAt": first["refreshExpiresAt"],  # a sign-in ends when it ends, however often refreshed
        "viewer": {"__typename": "Member", "id": gid("Member", member.id)},
        "errors": [],
    }
    assert second["refreshToken"] != first["refreshToken"] and second["token"] != first["token"]
    session = await _session(first["refreshToken"])
    assert second["refreshToken"].partition(".")[0] == session.id
    assert session.refresh_hash == _sha256(second["refreshToken"].partition(".")[2])
    assert session.refreshed_at is not None and session.revoked_at is None
    assert jwt.decode(second["token"], SECRET_KEY, algorithms=["HS256"])["sid"] == session.id
    assert await me_status(client, second["token"]) == 200
    # and the old one, shown right away (a racing tab), is refused without ending the sign-in
    assert await refresh(client, first["refreshToken"]) == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    assert (await _session(first["refreshToken"])).revoked_at is None
    assert (await refresh(client, second["refreshToken"]))["errors"] == []


async def test_an_old_refresh_token_shown_later_is_theft_and_revokes_the_whole_sign_in(client):
    # given: the sign-in was refreshed a minute ago; someone kept the first refresh token
    member = await make_member(email="mia@example.com", password=PASSWORD)
    first = await sign_in(client, "mia@example.com")
    second = await refresh(client, first["refreshToken"])
    await _rotated_a_minute_ago(second["refreshToken"].partition(".")[0])
    # when
    result = await refresh(client, first["refreshToken"])
    # then
    assert result == {**NO_TOKENS, "errors": [REUSED]}
    session = await _session(first["refreshToken"])
    assert session.revoked_at is not None and session.revoked_reason == "refresh_reuse"
    assert await me_status(client, second["token"]) == 401
    assert await refresh(client, second["refreshToken"]) == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    assert (await _auth_rows())[-3:] == [
        ("tokenRefresh", "member", member.id, member.id, "ok", {"session": session.id}),
        ("tokenRefresh", "anonymous", None, member.id, "REFRESH_TOKEN_REUSED", {"session": session.id, "revoked": True}),
        ("tokenRefresh", "anonymous", None, None, "INVALID_REFRESH_TOKEN", {"session": session.id}),
    ]


async def test_of_concurrent_refreshes_with_one_token_exactly_one_wins(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    # when
    results = await asyncio.gather(*(refresh(client, tokens["refreshToken"]) for _ in range(8)))
    # then
    winners = [result for result in results if result["errors"] == []]
    assert len(winners) == 1
    assert [result for result in results if result["errors"]] == [{**NO_TOKENS, "errors": [INVALID_REFRESH]}] * 7
    session = await _session(tokens["refreshToken"])
    assert session.revoked_at is None
    assert session.refresh_hash == _sha256(winners[0]["refreshToken"].partition(".")[2])
    assert (await refresh(client, winners[0]["refreshToken"]))["errors"] == []


async def test_of_concurrent_rotations_in_the_domain_exactly_one_wins():
    # given
    member = await make_member()
    grant = await sessions.start(viewer=member_viewer(member.id), client_address=None, ttl_seconds=3600)
    # when
    outcomes = await asyncio.gather(
        *(sessions.rotate(refresh_token=grant.refresh_token, request_id=None) for _ in range(8)), return_exceptions=True
    )
    # then
    won = [outcome for outcome in outcomes if isinstance(outcome, sessions.Grant)]
    assert len(won) == 1
    assert sorted(getattr(outcome, "code", None) for outcome in outcomes if outcome not in won) == ["INVALID_REFRESH_TOKEN"] * 7
    assert (await models.AuthSession.get(id=grant.session_id)).refresh_hash == _sha256(won[0].refresh_token.partition(".")[2])


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda token: "", id="empty"),
        pytest.param(lambda token: "not-a-refresh-token", id="no secret"),
        pytest.param(lambda token: "0" * 32 + "." + token.partition(".")[2], id="unknown session"),
        pytest.param(lambda token: "x" * 100 + "." + token.partition(".")[2], id="session id too long"),
    ],
)
async def test_a_malformed_or_unknown_refresh_token_is_refused_and_changes_nothing(client, mangle):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    before = await _session(tokens["refreshToken"])
    # when
    result = await refresh(client, mangle(tokens["refreshToken"]))
    # then
    assert result == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    after = await _session(tokens["refreshToken"])
    assert (after.refresh_hash, after.refreshed_at, after.revoked_at) == (before.refresh_hash, None, None)


async def test_a_wrong_secret_for_a_standing_sign_in_is_refused_but_signs_no_one_out(client):
    # given: someone who saw the session id (it is in every access token) but not the secret
    await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    session_id = tokens["refreshToken"].partition(".")[0]
    # when
    result = await refresh(client, f"{session_id}.guessed-secret")
    # then: refused, and the owner's sign-in stands
    assert result == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    assert (await _session(tokens["refreshToken"])).revoked_at is None
    assert await me_status(client, tokens["token"]) == 200


@pytest.mark.parametrize("ending", ["expired", "revoked"])
async def test_the_refresh_token_of_an_ended_sign_in_is_refused(client, ending):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    session = await _session(tokens["refreshToken"])
    now = datetime.now(timezone.utc)
    if ending == "expired":
        await models.AuthSession.filter(id=session.id).update(expires_at=now - timedelta(seconds=1))
    else:
        await sessions.revoke(session_id=session.id, reason="logout")
    before = await _session(tokens["refreshToken"])
    # when
    result = await refresh(client, tokens["refreshToken"])
    # then
    assert result == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    assert await me_status(client, tokens["token"]) == 401
    after = await _session(tokens["refreshToken"])
    assert (after.refresh_hash, after.refreshed_at) == (before.refresh_hash, None)


@pytest.mark.parametrize("status", [models.MemberStatus.SUSPENDED, models.MemberStatus.RESIGNED])
async def test_a_member_no_longer_active_cannot_refresh(client, status):
    # given: the status changed behind the API's back, so the sign-in still stands
    member = await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    await models.Member.filter(id=member.id).update(status=status)
    # when
    result = await refresh(client, tokens["refreshToken"])
    # then
    assert result == {**NO_TOKENS, "errors": [DISABLED]}
    assert (await _session(tokens["refreshToken"])).refreshed_at is None


async def test_a_deactivated_staff_member_cannot_refresh_and_a_new_role_shows_in_the_next_token(client):
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK, email="fran@clubgraph.test", password=PASSWORD)
    gone = await make_staff(models.StaffRole.FRONT_DESK, email="gone@clubgraph.test", password=PASSWORD)
    desk_tokens = await sign_in(client, "fran@clubgraph.test")
    gone_tokens = await sign_in(client, "gone@clubgraph.test")
    await models.Staff.filter(id=desk.id).update(role=models.StaffRole.EVENT_MANAGER)
    await models.Staff.filter(id=gone.id).update(is_active=False)
    # when
    promoted = await refresh(client, desk_tokens["refreshToken"])
    refused_ = await refresh(client, gone_tokens["refreshToken"])
    # then
    assert promoted["viewer"] == {"__typename": "Staff", "id": gid("Staff", desk.id), "role": "EVENT_MANAGER"}
    assert jwt.decode(promoted["token"], SECRET_KEY, algorithms=["HS256"])["role"] == "event_manager"
    assert (await _session(desk_tokens["refreshToken"])).role == models.StaffRole.EVENT_MANAGER
    assert refused_ == {**NO_TOKENS, "errors": [DISABLED]}


async def test_an_access_token_never_outlives_its_sign_in():
    # given: a sign-in with 10 minutes left, and access tokens of 15
    from api.tokens import issue_token

    member = await make_member()
    grant = await sessions.start(viewer=member_viewer(member.id), client_address=None, ttl_seconds=600)
    # when
    _, expires_at = issue_token(grant.viewer, secret_key=SECRET_KEY, ttl_seconds=900, session_id=grant.session_id, not_after=grant.expires_at)
    # then
    assert expires_at == grant.expires_at


# --- logout ---------------------------------------------------------------------------------


async def test_logout_ends_this_sign_in_only(client):
    # given: signed in on a phone and a laptop
    member = await make_member(email="mia@example.com", password=PASSWORD)
    phone = await sign_in(client, "mia@example.com")
    laptop = await sign_in(client, "mia@example.com")
    # when
    result = await gql(client, LOGOUT, {"input": {}}, token=phone["token"])
    # then
    assert result == {"data": {"logout": {"endedSessions": 1, "errors": []}}}
    assert await me_status(client, phone["token"]) == 401
    assert await refresh(client, phone["refreshToken"]) == {**NO_TOKENS, "errors": [INVALID_REFRESH]}
    assert await me_status(client, laptop["token"]) == 200
    assert (await _session(phone["refreshToken"])).revoked_reason == "logout"
    assert (await _session(laptop["refreshToken"])).revoked_at is None
    session_id = phone["refreshToken"].partition(".")[0]
    assert ("logout", "member", member.id, member.id, "ok", {"session": session_id, "everywhere": False, "ended": 1}) in await _auth_rows()


async def test_logout_everywhere_ends_every_sign_in_of_the_caller_only(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    await make_member(email="otto@example.com", password=PASSWORD)
    phone = await sign_in(client, "mia@example.com")
    laptop = await sign_in(client, "mia@example.com")
    otto = await sign_in(client, "otto@example.com")
    # when
    result = await gql(client, LOGOUT, {"input": {"everywhere": True}}, token=phone["token"])
    # then
    assert result == {"data": {"logout": {"endedSessions": 2, "errors": []}}}
    assert [await me_status(client, tokens["token"]) for tokens in (phone, laptop, otto)] == [401, 401, 200]


async def test_logout_with_a_token_of_no_sign_in_asks_for_everywhere(client):
    # given: a token minted directly (no session), and a sign-in of the same member
    member = await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    minted = member_token(member)
    # when
    here = await gql(client, LOGOUT, {"input": {}}, token=minted)
    everywhere = await gql(client, LOGOUT, {"input": {"everywhere": True}}, token=minted)
    # then
    assert here == {
        "data": {
            "logout": {
                "endedSessions": None,
                "errors": [
                    {
                        "field": "everywhere",
                        "code": "NO_SESSION",
                        "message": "This token belongs to no sign-in; sign out everywhere instead",
                    }
                ],
            }
        }
    }
    assert everywhere == {"data": {"logout": {"endedSessions": 1, "errors": []}}}
    assert await me_status(client, tokens["token"]) == 401
    assert await me_status(client, minted) == 200  # nothing to revoke: it names no sign-in


async def test_logout_needs_a_sign_in(client):
    # when
    result = await gql(client, LOGOUT, {"input": {}})
    # then
    assert result == refused("logout", "UNAUTHENTICATED")


# --- revocation -----------------------------------------------------------------------------


async def test_an_administrator_revokes_every_sign_in_of_a_member(client):
    # given
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    member = await make_member(email="mia@example.com", password=PASSWORD)
    phone = await sign_in(client, "mia@example.com")
    laptop = await sign_in(client, "mia@example.com")
    # when
    result = await gql(client, REVOKE, {"input": {"memberId": gid("Member", member.id)}}, token=staff_token(admin))
    # then
    assert result == {"data": {"sessionRevoke": {"endedSessions": 2, "errors": []}}}
    assert [await me_status(client, tokens["token"]) for tokens in (phone, laptop)] == [401, 401]
    assert {session.revoked_reason for session in await models.AuthSession.all()} == {"revoked"}
    assert (await _auth_rows())[-1] == ("sessionRevoke", "staff", admin.id, member.id, "ok", {"ended": 2})


async def test_a_club_manager_revokes_every_sign_in_of_a_staff_member(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    desk = await make_staff(models.StaffRole.FRONT_DESK, email="fran@clubgraph.test", password=PASSWORD)
    tokens = await sign_in(client, "fran@clubgraph.test")
    # when
    result = await gql(client, REVOKE, {"input": {"staffId": gid("Staff", desk.id)}}, token=staff_token(manager))
    # then
    assert result == {"data": {"sessionRevoke": {"endedSessions": 1, "errors": []}}}
    assert await me_status(client, tokens["token"]) == 401
    assert await refresh(client, tokens["refreshToken"]) == {**NO_TOKENS, "errors": [INVALID_REFRESH]}


@pytest.mark.parametrize(
    ("given", "error"),
    [
        pytest.param({}, {"field": None, "code": "INVALID", "message": "Name either a member or a staff member"}, id="nobody"),
        pytest.param(
            {"memberId": "MEMBER", "staffId": "STAFF"},
            {"field": None, "code": "INVALID", "message": "Name either a member or a staff member"},
            id="both",
        ),
        pytest.param({"memberId": gid("Member", 999999)}, {"field": "memberId", "code": "NOT_FOUND", "message": "Member not found"}, id="unknown member"),
        pytest.param({"staffId": gid("Member", 1)}, {"field": "staffId", "code": "NOT_FOUND", "message": "Staff not found"}, id="a member's id as staff"),
    ],
)
async def test_session_revoke_names_exactly_one_person_who_exists(client, given, error):
    # given
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    member = await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    values = {"MEMBER": gid("Member", member.id), "STAFF": gid("Staff", admin.id)}
    # when
    result = await gql(client, REVOKE, {"input": {key: values.get(value, value) for key, value in given.items()}}, token=staff_token(admin))
    # then
    assert result == {"data": {"sessionRevoke": {"endedSessions": None, "errors": [error]}}}
    assert await me_status(client, tokens["token"]) == 200


@pytest.mark.parametrize("status", ["SUSPENDED", "RESIGNED"])
async def test_suspending_or_resigning_a_member_ends_their_sign_ins_at_once(client, status):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    # when
    result = await gql(
        client, SUSPEND, {"input": {"memberId": gid("Member", member.id), "status": status}}, token=staff_token(manager)
    )
    # then
    assert result == {"data": {"memberUpdate": {"member": {"status": status}, "errors": []}}}
    assert await me_status(client, tokens["token"]) == 401
    session = await _session(tokens["refreshToken"])
    assert session.revoked_reason == f"member_{status.lower()}"
    assert (await _auth_rows())[-1] == (
        "memberUpdate", "staff", manager.id, member.id, "ok", {"endedSessions": 1, "reason": f"member_{status.lower()}"}
    )


async def test_other_profile_changes_leave_the_sign_ins_alone(client):
    # given
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    # when
    result = await gql(
        client, SUSPEND, {"input": {"memberId": gid("Member", member.id), "status": "ACTIVE"}}, token=staff_token(manager)
    )
    # then
    assert result == {"data": {"memberUpdate": {"member": {"status": "ACTIVE"}, "errors": []}}}
    assert await me_status(client, tokens["token"]) == 200


# --- access tokens --------------------------------------------------------------------------


async def test_a_token_naming_a_sign_in_that_is_gone_is_refused(client):
    # given
    await make_member(email="mia@example.com", password=PASSWORD)
    tokens = await sign_in(client, "mia@example.com")
    await models.AuthSession.all().delete()
    # when
    status = await me_status(client, tokens["token"])
    # then
    assert status == 401


async def test_a_revoked_sign_in_is_refused_by_every_worker_process(database_url):
    # given: two worker processes sharing the database
    await make_member(email="mia@example.com", password=PASSWORD)
    with serve(database_url, workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            tokens = await sign_in(http, "mia@example.com")
            before = await asyncio.gather(*(me_status(http, tokens["token"]) for _ in range(10)))
            # when
            logout = await gql(http, LOGOUT, {"input": {}}, token=tokens["token"])
            after = await asyncio.gather(*(me_status(http, tokens["token"]) for _ in range(10)))
    # then
    assert before == [200] * 10
    assert logout == {"data": {"logout": {"endedSessions": 1, "errors": []}}}
    assert after == [401] * 10


async def test_the_sign_in_check_inside_a_transaction_sees_its_writes_and_others_only_once_committed():
    # given: a sign-in started inside a transaction still open
    member = await make_member()
    async with in_transaction():
        grant = await sessions.start(viewer=member_viewer(member.id), client_address=None, ttl_seconds=3600)
        # when: the check runs in the transaction, and in a task outside it (on SQLite, the read-only connection)
        inside = await sessions.is_live(grant.session_id)
        outside = await asyncio.wait_for(
            asyncio.get_running_loop().create_task(sessions.is_live(grant.session_id), context=contextvars.Context()), 10
        )
        # then: the transaction sees its own write; no one else does before the commit
        assert (inside, outside) == (True, False)
    assert await sessions.is_live(grant.session_id)
