"""Signing in (the `login` mutation), bearer tokens on every request, and `me`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from api.tokens import issue_token
from domain import models
from domain.viewer import member_viewer
from tests.factories import SECRET_KEY, gid, gql, make_member, make_staff, member_token, staff_token

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    token
    expiresAt
    refreshToken
    refreshExpiresAt
    viewer { __typename ... on Member { id name } ... on Staff { id name role } }
    errors { field code message }
  }
}
"""
ME = "{ me { __typename ... on Member { id name } ... on Staff { id name role } } }"

INVALID_CREDENTIALS = {
    "data": {
        "login": {
            "token": None,
            "expiresAt": None,
            "refreshToken": None,
            "refreshExpiresAt": None,
            "viewer": None,
            "errors": [
                {"field": None, "code": "INVALID_CREDENTIALS", "message": "The email or the password is not correct"}
            ],
        }
    }
}
ACCOUNT_DISABLED = {
    "data": {
        "login": {
            "token": None,
            "expiresAt": None,
            "refreshToken": None,
            "refreshExpiresAt": None,
            "viewer": None,
            "errors": [
                {
                    "field": None,
                    "code": "ACCOUNT_DISABLED",
                    "message": "This membership is not active; please contact the club",
                }
            ],
        }
    }
}
INVALID_TOKEN = {
    "errors": [
        {
            "message": "The bearer token is invalid or has expired; sign in again",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
TOKEN_TTL = timedelta(seconds=900)  # the defaults of api/settings.py, which the test settings keep
REFRESH_TTL = timedelta(days=30)


async def login(client, email: str, password: str) -> dict:
    return await gql(client, LOGIN, {"input": {"email": email, "password": password}})


def _expiry(payload: dict) -> datetime:
    return datetime.fromisoformat(payload["expiresAt"])


# --- login ----------------------------------------------------------------------------------


async def test_member_logs_in_and_the_token_is_theirs(client):
    # given
    member = await make_member(name="Mia Member", email="mia@example.com", password="correct horse")
    # when
    started = datetime.now(timezone.utc)
    result = await login(client, "mia@example.com", "correct horse")
    payload = result["data"]["login"]
    me = await gql(client, ME, token=payload["token"])
    # then
    assert result == {
        "data": {
            "login": {
                "token": payload["token"],
                "expiresAt": payload["expiresAt"],
                "refreshToken": payload["refreshToken"],
                "refreshExpiresAt": payload["refreshExpiresAt"],
                "viewer": {"__typename": "Member", "id": gid("Member", member.id), "name": "Mia Member"},
                "errors": [],
            }
        }
    }
    assert started + TOKEN_TTL - timedelta(seconds=1) <= _expiry(payload) <= datetime.now(timezone.utc) + TOKEN_TTL
    refresh_expiry = datetime.fromisoformat(payload["refreshExpiresAt"])
    assert started + REFRESH_TTL - timedelta(seconds=1) <= refresh_expiry <= datetime.now(timezone.utc) + REFRESH_TTL
    assert me == {"data": {"me": {"__typename": "Member", "id": gid("Member", member.id), "name": "Mia Member"}}}


async def test_staff_logs_in_and_the_token_carries_the_role(client):
    # given
    staff = await make_staff(
        models.StaffRole.FRONT_DESK, name="Fran Front-Desk", email="fran@clubgraph.test", password="desk password"
    )
    # when
    result = await login(client, "fran@clubgraph.test", "desk password")
    payload = result["data"]["login"]
    me = await gql(client, ME, token=payload["token"])
    # then
    viewer = {"__typename": "Staff", "id": gid("Staff", staff.id), "name": "Fran Front-Desk", "role": "FRONT_DESK"}
    assert result == {
        "data": {
            "login": {
                "token": payload["token"],
                "expiresAt": payload["expiresAt"],
                "refreshToken": payload["refreshToken"],
                "refreshExpiresAt": payload["refreshExpiresAt"],
                "viewer": viewer,
                "errors": [],
            }
        }
    }
    assert jwt.decode(payload["token"], SECRET_KEY, algorithms=["HS256"])["role"] == "front_desk"
    assert me == {"data": {"me": viewer}}


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("mia@example.com", "wrong horse", id="member, wrong password"),
        pytest.param("fran@clubgraph.test", "wrong password", id="staff, wrong password"),
        pytest.param("nobody@example.com", "correct horse", id="unknown email"),
        pytest.param("walk-in@example.com", "correct horse", id="member without a password"),
        pytest.param("mia@example.com", "", id="empty password"),
    ],
)
async def test_wrong_password_and_unknown_email_get_the_same_answer(client, email, password):
    # given
    await make_member(email="mia@example.com", password="correct horse")
    await make_member(email="walk-in@example.com")
    await make_staff(models.StaffRole.FRONT_DESK, email="fran@clubgraph.test", password="desk password")
    # when
    result = await login(client, email, password)
    # then
    assert result == INVALID_CREDENTIALS


@pytest.mark.parametrize("typed", ["MIA@EXAMPLE.COM", "Mia@Example.com", "  mia@example.com  "])
async def test_member_email_is_case_insensitive(client, typed):
    # given
    member = await make_member(email="mia@example.com", password="correct horse")
    # when
    result = await login(client, typed, "correct horse")
    # then
    assert result["data"]["login"]["errors"] == []
    assert result["data"]["login"]["viewer"] == {
        "__typename": "Member",
        "id": gid("Member", member.id),
        "name": member.name,
    }


async def test_staff_email_is_case_insensitive(client):
    # given
    staff = await make_staff(models.StaffRole.ADMINISTRATOR, email="root@clubgraph.test", password="admin password")
    # when
    result = await login(client, "Root@ClubGraph.TEST", "admin password")
    # then
    assert result["data"]["login"]["errors"] == []
    assert result["data"]["login"]["viewer"]["id"] == gid("Staff", staff.id)


@pytest.mark.parametrize("status", [models.MemberStatus.SUSPENDED, models.MemberStatus.RESIGNED])
async def test_an_inactive_member_is_told_so_only_with_the_right_password(client, status):
    # given
    await make_member(email="mia@example.com", password="correct horse", status=status)
    # when
    right = await login(client, "mia@example.com", "correct horse")
    wrong = await login(client, "mia@example.com", "wrong horse")
    # then
    assert right == ACCOUNT_DISABLED
    assert wrong == INVALID_CREDENTIALS


async def test_inactive_staff_cannot_log_in(client):
    # given
    await make_staff(
        models.StaffRole.CLUB_MANAGER, email="gone@clubgraph.test", password="old password", is_active=False
    )
    # when
    result = await login(client, "gone@clubgraph.test", "old password")
    # then
    assert result == INVALID_CREDENTIALS


# --- bearer tokens --------------------------------------------------------------------------


def _expired_token(member: models.Member) -> str:
    return issue_token(member_viewer(member.id), secret_key=SECRET_KEY, ttl_seconds=-60)[0]


def _forged_token(member: models.Member) -> str:
    return issue_token(member_viewer(member.id), secret_key="someone-elses-secret-" + "y" * 32, ttl_seconds=600)[0]


def _token_without_role(member: models.Member) -> str:
    now = datetime.now(timezone.utc)
    claims = {"iss": "clubgraph", "sub": "staff:1", "iat": now, "exp": now + timedelta(minutes=5)}
    return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


def _token_of_another_issuer(member: models.Member) -> str:
    now = datetime.now(timezone.utc)
    claims = {"iss": "elsewhere", "sub": f"member:{member.id}", "iat": now, "exp": now + timedelta(minutes=5)}
    return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda member: f"Bearer {_expired_token(member)}", id="expired token"),
        pytest.param(lambda member: f"Bearer {_forged_token(member)}", id="token signed with another secret"),
        pytest.param(lambda member: f"Bearer {_token_without_role(member)}", id="staff token without a role"),
        pytest.param(lambda member: f"Bearer {_token_of_another_issuer(member)}", id="token of another issuer"),
        pytest.param(lambda member: f"Bearer {member_token(member)[:-4]}", id="truncated token"),
        pytest.param(lambda member: "Bearer not-a-jwt", id="not a JWT"),
        pytest.param(lambda member: "Bearer", id="no token"),
        pytest.param(lambda member: f"Basic {member_token(member)}", id="not a bearer scheme"),
    ],
)
async def test_a_bad_token_gets_401_whatever_the_query(client, authorization):
    # given
    member = await make_member()
    # when
    response = await client.post(
        "/graphql", json={"query": "{ tiers { totalCount } }"}, headers={"Authorization": authorization(member)}
    )
    # then
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == INVALID_TOKEN


async def test_the_bearer_scheme_is_case_insensitive(client):
    # given
    member = await make_member(name="Mia Member")
    headers = {"Authorization": f"bearer {member_token(member)}"}
    # when
    result = await client.post("/graphql", json={"query": ME}, headers=headers)
    # then
    assert result.status_code == 200
    assert result.json() == {
        "data": {"me": {"__typename": "Member", "id": gid("Member", member.id), "name": "Mia Member"}}
    }


# --- me -------------------------------------------------------------------------------------


async def test_me_is_null_for_an_anonymous_caller(client):
    # given
    await make_member()
    # when
    result = await gql(client, ME)
    # then
    assert result == {"data": {"me": None}}


async def test_me_is_the_member_of_a_member_token(client):
    # given
    member = await make_member(name="Mia Member")
    await make_member(name="Otto Other")
    # when
    result = await gql(client, ME, token=member_token(member))
    # then
    assert result == {"data": {"me": {"__typename": "Member", "id": gid("Member", member.id), "name": "Mia Member"}}}


async def test_me_is_the_staff_member_of_a_staff_token(client):
    # given
    staff = await make_staff(models.StaffRole.EVENT_MANAGER, name="Eve Events")
    # when
    result = await gql(client, ME, token=staff_token(staff))
    # then
    assert result == {
        "data": {
            "me": {"__typename": "Staff", "id": gid("Staff", staff.id), "name": "Eve Events", "role": "EVENT_MANAGER"}
        }
    }


async def test_me_is_null_when_the_token_names_a_member_who_is_gone(client):
    # given
    member = await make_member()
    token = member_token(member)
    await member.delete()
    # when
    result = await gql(client, ME, token=token)
    # then
    assert result == {"data": {"me": None}}

