"""clubgraph as an Apollo Federation v2 subgraph under a real @apollo/gateway, over real HTTP.

Three processes, started once for the module: clubgraph's uvicorn, a tiny partner subgraph in Node
(partner-subgraph.mjs: extends `Member` with `wineClubLevel` and `Reward` with `cellarNote`, and
returns Member references from `wineClubGuestList`) and the gateway (gateway.mjs: composes both
with IntrospectAndCompose and forwards the caller's Authorization header). Queries go to the
gateway only: what comes back is what composition, the query planner and clubgraph's `_entities`
made of it together.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain import models
from tests.factories import gid, make_api_key, make_member, make_partner, make_staff, member_token, staff_token
from tests.servers import _free_port, serve

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node") or "node"  # Node.js 20+; `.ci/run` installs it when missing
START_TIMEOUT = 30.0
LEVELS = ("Cellar", "Reserve", "Grand Cru")  # partner-subgraph.mjs: LEVELS[pk % 3]


@dataclass
class NodeProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _install_node_packages() -> None:
    """`./dev test` installs them; a bare `pytest` in a fresh checkout does it here, from the lock."""
    if not (HERE / "node_modules" / ".package-lock.json").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE, check=True, capture_output=True
        )


def _wait_until_answering(running: NodeProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            pytest.fail(f"{running.log.stem} exited with status {running.process.returncode}:\n{running.output()}")
        try:
            if httpx.post(running.url, json={"query": "{ __typename }"}, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{running.log.stem} did not answer within {START_TIMEOUT} s:\n{running.output()}")


@contextmanager
def node(script: str, *arguments: str) -> Iterator[NodeProcess]:
    """`node <script> <port> <arguments>` on a free loopback port; always killed afterwards."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="clubgraph-federation-") as folder:
        log = Path(folder) / f"{Path(script).stem}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [NODE, script, str(port), *arguments], cwd=HERE, stdout=sink, stderr=subprocess.STDOUT
            )
        running = NodeProcess(url=f"http://127.0.0.1:{port}/", process=process, log=log)
        try:
            _wait_until_answering(running)
            yield running
        finally:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def gateway(database_url: str, database: str) -> Iterator[NodeProcess]:
    _install_node_packages()
    with ExitStack() as stack:
        clubgraph = stack.enter_context(serve(database_url))
        partner = stack.enter_context(node("partner-subgraph.mjs"))
        yield stack.enter_context(node("gateway.mjs", f"{clubgraph.url}/graphql", partner.url))


def through(
    gateway: NodeProcess, query: str, variables: dict[str, Any] | None = None, *, authorization: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(
        gateway.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=10.0
    )
    assert response.status_code == 200, response.text
    return response.json()


ME = "{ me { __typename ... on Member { id name wineClubLevel tier { name } } } }"
GUEST_LIST = """
query($ids: [ID!]!) {
  wineClubGuestList(memberIds: $ids) { seat member { id name wineClubLevel } }
}
"""


def level(member: models.Member) -> str:
    return LEVELS[member.id % 3]


def hidden(*indexes: int) -> dict[str, Any]:
    """The gateway's note on guests clubgraph resolved to null: `member` is null, as the schema allows."""
    return {
        "valueCompletion": [
            {
                "message": "Cannot return null for non-nullable field Member.name.",
                "path": ["wineClubGuestList", index, "member", "name"],
                "extensions": {"code": "INVALID_GRAPHQL"},
            }
            for index in indexes
        ]
    }


async def test_a_member_gets_fields_of_both_subgraphs_in_one_answer(gateway):
    # given
    mia = await make_member(name="Mia Member")
    # when
    result = through(gateway, ME, authorization=f"Bearer {member_token(mia)}")
    # then: name and tier from clubgraph, wineClubLevel from the partner subgraph
    assert result == {
        "data": {
            "me": {
                "__typename": "Member",
                "id": gid("Member", mia.id),
                "name": "Mia Member",
                "wineClubLevel": level(mia),
                "tier": {"name": "Silver"},
            }
        }
    }


async def test_the_rewards_catalog_carries_the_partner_subgraphs_field(gateway):
    # given
    barolo = await models.Reward.create(title="Bottle of Barolo", points_price=500, category="wine")
    tasting = await models.Reward.create(title="Cellar tasting", points_price=1200, category="experience")
    query = "{ rewards(filter: {clubOnly: true}) { edges { node { id title pointsPrice cellarNote } } } }"
    # when
    result = through(gateway, query)
    # then: the catalog from clubgraph, each reward's cellarNote from the partner subgraph
    assert result == {
        "data": {
            "rewards": {
                "edges": [
                    {
                        "node": {
                            "id": gid("Reward", f"club:{reward.id}"),
                            "title": title,
                            "pointsPrice": price,
                            "cellarNote": f"Rack {reward.id % 5 + 1}",
                        }
                    }
                    for reward, title, price in ((barolo, "Bottle of Barolo", 500), (tasting, "Cellar tasting", 1200))
                ]
            }
        }
    }


async def test_an_anonymous_caller_gets_no_member_through_the_gateway(gateway):
    # given
    mia = await make_member(name="Mia Member")
    # when
    me = through(gateway, ME)
    guests = through(gateway, GUEST_LIST, {"ids": [gid("Member", mia.id)]})
    # then: clubgraph's `_entities` gives the anonymous caller nothing, as `node` would
    assert me == {"data": {"me": None}}
    assert guests == {"data": {"wineClubGuestList": [{"seat": 1, "member": None}]}, "extensions": hidden(0)}


async def test_members_the_partner_subgraph_names_are_resolved_by_clubgraph_as_the_caller_may_see_them(gateway):
    # given
    mia = await make_member(name="Mia Member")
    otto = await make_member(name="Otto Other")
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    ids = [gid("Member", mia.id), gid("Member", otto.id), gid("Staff", manager.id), "not-a-global-id"]
    # when
    as_staff = through(gateway, GUEST_LIST, {"ids": ids}, authorization=f"Bearer {staff_token(manager)}")
    as_mia = through(gateway, GUEST_LIST, {"ids": ids}, authorization=f"Bearer {member_token(mia)}")
    # then: the club manager sees both members, Mia only herself, and no id of another type is a member
    mia_seen = {"id": gid("Member", mia.id), "name": "Mia Member", "wineClubLevel": level(mia)}
    otto_seen = {"id": gid("Member", otto.id), "name": "Otto Other", "wineClubLevel": level(otto)}
    assert as_staff == {
        "data": {
            "wineClubGuestList": [
                {"seat": 1, "member": mia_seen},
                {"seat": 2, "member": otto_seen},
                {"seat": 3, "member": None},
                {"seat": 4, "member": None},
            ]
        },
        "extensions": hidden(2, 3),
    }
    assert as_mia == {
        "data": {
            "wineClubGuestList": [
                {"seat": 1, "member": mia_seen},
                {"seat": 2, "member": None},
                {"seat": 3, "member": None},
                {"seat": 4, "member": None},
            ]
        },
        "extensions": hidden(1, 2, 3),
    }


async def test_a_partner_key_reaches_no_entity_through_the_gateway(gateway):
    # given
    mia = await make_member(name="Mia Member")
    _, key = await make_api_key(await make_partner("Maison Laurent"))
    # when
    result = through(gateway, GUEST_LIST, {"ids": [gid("Member", mia.id)]}, authorization=f"ApiKey {key}")
    # then: clubgraph's partner guard refuses `_entities` to a partner key, whoever forwards it
    assert result == {
        "errors": [
            {
                "message": "A partner's API key may not use `_entities`",
                "path": ["wineClubGuestList", "@", "member", "_entities"],
                "extensions": {"code": "FORBIDDEN", "serviceName": "clubgraph"},
            }
        ],
        "data": {"wineClubGuestList": [{"seat": 1, "member": None}]},
    }
