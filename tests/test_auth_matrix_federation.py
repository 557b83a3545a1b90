"""The auth matrix of the federation subgraph: `_entities` against every kind of caller.

Written out by hand from domain/policy.py read as the spec: an entity is seen by whoever sees its
`node`, so the `_entities Member` row is the `node Member` row of test_auth_matrix.py, and rewards
are public. `_service` (the SDL a gateway composes from) is public like introspection, and like it
refused in production unless CLUBGRAPH_FEDERATION_SDL is on (tests/federation/test_subgraph.py); partner keys
reach neither field (tests/test_auth_matrix_partners.py runs every operation listed here with one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pytest

from domain import models
from tests.auth_matrix import NULL, OK, Club, Read, cases, check_read, make_club
from tests.factories import gid

PUBLIC_FIELDS = ("_service",)

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "_entities Member":           (NULL,     NULL,      OK,     OK,     OK,     OK,       OK,     NULL,   OK,     OK),
    "_entities Reward":           (OK,       OK,        OK,     OK,     OK,     OK,       OK,     OK,     OK,     OK),
}

WRITES: dict[str, tuple[str, ...]] = {}
# fmt: on


@dataclass
class FederationClub(Club):
    """The club, with one of its own rewards."""

    reward: models.Reward


async def make_federation_club() -> FederationClub:
    club = await make_club()
    reward = await models.Reward.create(title="Bottle of Barolo", points_price=500, category="wine")
    return FederationClub(**{field.name: getattr(club, field.name) for field in fields(Club)}, reward=reward)


ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on Member { id name } ... on Reward { id title } }
}
"""


def _entity(type_name: str, node_id: Any, seen_fields: dict[str, str]) -> Read:
    def representations(club: Any) -> dict[str, Any]:
        return {"representations": [{"__typename": type_name, "id": gid(type_name, node_id(club))}]}

    def seen(club: Any, caller: str) -> dict[str, Any]:
        return {"_entities": [{"__typename": type_name, "id": gid(type_name, node_id(club)), **seen_fields}]}

    return Read(ENTITIES, representations, seen, {"_entities": [None]})


READ_OPERATIONS = {
    "_entities Member": _entity("Member", lambda club: club.member.id, {"name": "Mia Member"}),
    "_entities Reward": _entity("Reward", lambda club: f"club:{club.reward.id}", {"title": "Bottle of Barolo"}),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_federation_club(), READ_OPERATIONS[operation], operation, caller, outcome)
