"""A real server: uvicorn in its own process on a free port, spoken to over real HTTP."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest

from tests.factories import gid, make_member
from tests.servers import ServerProcess, serve


@pytest.fixture
def server(database_url: str, database: str) -> Iterator[ServerProcess]:
    with serve(database_url) as running:
        yield running


async def test_a_member_logs_in_over_real_http_and_the_server_stops_cleanly(server):
    # given
    member = await make_member(name="Mia Member", email="mia@example.com", password="correct horse")
    # when
    async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as http:
        login = await http.post(
            "/graphql",
            json={
                "query": "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }",
                "variables": {"input": {"email": "mia@example.com", "password": "correct horse"}},
            },
        )
        token = login.json()["data"]["login"]["token"]
        me = await http.post(
            "/graphql",
            json={"query": "{ me { __typename ... on Member { id name } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    status = server.stop()
    # then
    assert login.status_code == 200
    assert login.json()["data"]["login"]["errors"] == []
    assert me.status_code == 200
    assert me.json() == {"data": {"me": {"__typename": "Member", "id": gid("Member", member.id), "name": "Mia Member"}}}
    # uvicorn shuts down gracefully, then re-raises the signal it caught, as the process's exit status.
    assert status == -signal.SIGTERM, server.output()
    assert "Application shutdown complete." in server.output()
    assert "Traceback" not in server.output()
