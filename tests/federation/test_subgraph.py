"""clubgraph's side of Apollo Federation v2, over HTTP against the app: `_service` and `_entities`.

The gateway test (test_federation.py) shows the graph composed; this module pins the subgraph's
contract in detail: the SDL, entities resolved like `nodes` (order, visibility, loaders), clear
errors for bad representations, the partner guard and production mode.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import pytest

from api.tokens import issue_token
from domain import models
from domain.db import StatementCounter
from domain.viewer import member_viewer
from schema import sdl
from schema.federation import MAX_REPRESENTATIONS
from schema.partners.guard import PARTNER_FIELDS
from schema.rewards.types import Reward
from tests.factories import (
    gid,
    gql,
    make_api_key,
    make_member,
    make_partner,
    make_staff,
    make_tiers,
    member_token,
    partner_gql,
    refused,
    staff_token,
)
from tests.test_http import _production, client_of

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Member { id name }
    ... on Reward { id title pointsPrice }
  }
}
"""


def member_ref(member: models.Member) -> dict[str, str]:
    return {"__typename": "Member", "id": gid("Member", member.id)}


def reward_ref(reward: models.Reward) -> dict[str, str]:
    return {"__typename": "Reward", "id": gid("Reward", f"club:{reward.id}")}


async def make_reward(title: str = "Bottle of Barolo", points_price: int = 500, **fields: Any) -> models.Reward:
    return await models.Reward.create(title=title, points_price=points_price, category="wine", **fields)


# --- _service ----------------------------------------------------------------------------------


async def test_the_service_sdl_is_the_checked_in_schema_with_its_entities(client):
    # when
    result = await gql(client, "{ _service { sdl } }")
    # then: what a gateway composes is exactly schema.graphql, Federation v2 with two entities
    served = result["data"]["_service"]["sdl"]
    assert result == {"data": {"_service": {"sdl": sdl().removesuffix("\n")}}}
    assert served.startswith('schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"]) {')
    assert 'type Member implements Node @key(fields: "id", resolvable: true) {' in served
    assert 'type Reward implements Node @key(fields: "id", resolvable: true) {' in served
    assert "union _Entity = Member | Reward" in served


# --- _entities ---------------------------------------------------------------------------------


async def test_entities_come_in_the_order_asked_with_null_for_what_names_no_entity(client):
    # given
    await make_tiers()
    mia = await make_member(name="Mia Member")
    otto = await make_member(name="Otto Other")
    barolo = await make_reward("Bottle of Barolo", 500)
    retired = await make_reward("Old mug", 100, active=False)
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    representations = [
        member_ref(otto),
        reward_ref(barolo),
        member_ref(mia),
        member_ref(otto),  # twice
        {"__typename": "Member", "id": gid("Staff", manager.id)},  # a global ID of another type
        {"__typename": "Member", "id": "not base64 at all"},
        {"__typename": "Member", "id": gid("Member", 987654)},  # no such member
        {"__typename": "Reward", "id": gid("Member", mia.id)},
        reward_ref(retired),  # inactive: `node` does not give it either
    ]
    # when
    result = await gql(client, ENTITIES, {"representations": representations}, token=staff_token(manager))
    # then
    mia_seen = {"__typename": "Member", "id": gid("Member", mia.id), "name": "Mia Member"}
    otto_seen = {"__typename": "Member", "id": gid("Member", otto.id), "name": "Otto Other"}
    barolo_seen = {
        "__typename": "Reward",
        "id": gid("Reward", f"club:{barolo.id}"),
        "title": "Bottle of Barolo",
        "pointsPrice": 500,
    }
    assert result == {
        "data": {"_entities": [otto_seen, barolo_seen, mia_seen, otto_seen, None, None, None, None, None]}
    }


@pytest.mark.parametrize(
    ("caller", "sees"),
    [("anonymous", []), ("Mia", ["Mia"]), ("Otto", ["Otto"]), ("partner manager", []), ("front desk", ["Mia", "Otto"])],
)
async def test_an_entity_is_seen_by_whoever_sees_its_node(client, caller, sees):
    # given: the rules of `node(id:)`: a member sees themselves, staff by permission, rewards are public
    await make_tiers()
    members = {"Mia": await make_member(name="Mia"), "Otto": await make_member(name="Otto")}
    reward = await make_reward("Bottle of Barolo", 500)
    tokens = {
        "anonymous": None,
        "Mia": member_token(members["Mia"]),
        "Otto": member_token(members["Otto"]),
        "partner manager": staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER)),
        "front desk": staff_token(await make_staff(models.StaffRole.FRONT_DESK)),
    }
    representations = [member_ref(members["Mia"]), member_ref(members["Otto"]), reward_ref(reward)]
    # when
    entities = await gql(client, ENTITIES, {"representations": representations}, token=tokens[caller])
    nodes = await gql(
        client,
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id "
        "... on Member { name } ... on Reward { title pointsPrice } } }",
        {"ids": [representation["id"] for representation in representations]},
        token=tokens[caller],
    )
    # then
    expected = [
        {"__typename": "Member", "id": gid("Member", members[name].id), "name": name} if name in sees else None
        for name in ("Mia", "Otto")
    ] + [
        {
            "__typename": "Reward",
            "id": gid("Reward", f"club:{reward.id}"),
            "title": "Bottle of Barolo",
            "pointsPrice": 500,
        }
    ]
    assert entities == {"data": {"_entities": expected}}
    assert nodes == {"data": {"nodes": expected}}


async def test_a_page_of_member_entities_costs_the_statements_of_one(client):
    # given
    await make_tiers()
    members = [await make_member(name=f"Member {n:02d}") for n in range(50)]
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Member { name tier { name } } }
    }
    """
    # when
    with StatementCounter() as one:
        first = await gql(client, query, {"representations": [member_ref(members[0])]}, token=token)
    with StatementCounter() as fifty:
        all_of_them = await gql(
            client, query, {"representations": [member_ref(member) for member in members]}, token=token
        )
    # then: the member loader and the tier loader, once each, however many entities
    assert first == {"data": {"_entities": [{"name": "Member 00", "tier": {"name": "Silver"}}]}}
    assert [entity["name"] for entity in all_of_them["data"]["_entities"]] == [f"Member {n:02d}" for n in range(50)]
    assert fifty.count == one.count == 2, fifty.statements


def bad_representations() -> list[Any]:
    member = {"__typename": "Member", "id": gid("Member", 1)}
    return [
        pytest.param(
            [member, {"id": gid("Member", 1)}],
            "representations[1] is not an object with a `__typename`",
            id="no typename",
        ),
        pytest.param(["Member"], "representations[0] is not an object with a `__typename`", id="not an object"),
        pytest.param(
            [{"__typename": "Wine", "id": "x"}],
            "representations[0]: `Wine` is not an entity of this subgraph",
            id="unknown type",
        ),
        pytest.param(
            [{"__typename": "Staff", "id": gid("Staff", 1)}],
            "representations[0]: `Staff` is not an entity of this subgraph",
            id="a node type that is no entity",
        ),
        pytest.param(
            [{"__typename": "Query", "id": "x"}],
            "representations[0]: `Query` is not an entity of this subgraph",
            id="the query type",
        ),
        pytest.param(
            [{**member, "name": "Mia"}],
            "representations[0]: give `__typename` and the key `id`, a global ID, and nothing else",
            id="a field besides the key",
        ),
        pytest.param(
            [{"__typename": "Member", "id": 1}],
            "representations[0]: give `__typename` and the key `id`, a global ID, and nothing else",
            id="an id that is no string",
        ),
        pytest.param(
            [{"__typename": "Member"}],
            "representations[0]: give `__typename` and the key `id`, a global ID, and nothing else",
            id="no id",
        ),
        pytest.param(
            [member] * (MAX_REPRESENTATIONS + 1),
            f"Ask for at most {MAX_REPRESENTATIONS} representations at once",
            id="too many",
        ),
    ]


@pytest.mark.parametrize(("representations", "message"), bad_representations())
async def test_a_bad_representation_is_refused_with_a_message_naming_it(client, representations, message):
    # given
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    # when
    result = await gql(client, ENTITIES, {"representations": representations}, token=token)
    # then
    assert result == {
        "data": None,
        "errors": [
            {"message": message, "locations": ANY, "path": ["_entities"], "extensions": {"code": "BAD_USER_INPUT"}}
        ],
    }


# --- partner keys ------------------------------------------------------------------------------


def test_the_partner_allow_list_names_no_federation_field():
    assert {"_entities", "_service"} & PARTNER_FIELDS == set()


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("_service", "{ _service { sdl } }"),
        ("_entities", ENTITIES),
        (
            "_entities",
            "query($representations: [_Any!]!) "
            "{ me { __typename } _entities(representations: $representations) { __typename } }",
        ),
    ],
)
async def test_a_partner_key_may_use_no_federation_field(client, field, query):
    # given
    mia = await make_member(name="Mia Member")
    _, key = await make_api_key(await make_partner("Maison Laurent"))
    # when
    result = await partner_gql(client, query, {"representations": [member_ref(mia)]}, key=key)
    # then
    assert result == refused(field, "FORBIDDEN", f"A partner's API key may not use `{field}`")


# --- production mode ---------------------------------------------------------------------------


SDL_REFUSED = "GraphQL introspection has been disabled, but the requested query contained the field '_service'."


@pytest.mark.parametrize(
    "query",
    [
        "{ _service { sdl } }",
        "{ schema: _service { sdl } }",
        "query Compose { ... on Query { _service { sdl } } }",
        "query Compose { ...Service } fragment Service on Query { _service { sdl } }",
    ],
)
async def test_production_refuses_the_sdl_like_introspection(settings, query):
    # given: introspection is off in production, and the SDL would tell as much
    async with client_of(_production(settings)) as production:
        # when
        refused = await production.post("/graphql", json={"query": query})
    # then: the shape of the introspection refusal (tests/test_http.py)
    assert refused.status_code == 200
    assert refused.json() == {"data": None, "errors": [{"message": SDL_REFUSED, "locations": ANY}]}


async def test_production_serves_the_sdl_when_the_setting_allows_it(settings):
    # given: CLUBGRAPH_FEDERATION_SDL=1, for a gateway that composes from `_service`
    async with client_of(replace(_production(settings), federation_sdl=True)) as production:
        # when
        service = await production.post("/graphql", json={"query": "{ _service { sdl } }"})
        introspection = await production.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    # then: the SDL, while introspection stays off
    assert service.json() == {"data": {"_service": {"sdl": sdl().removesuffix("\n")}}}
    assert introspection.json()["data"] is None


@pytest.mark.parametrize("federation_sdl", [False, True])
async def test_outside_production_the_sdl_is_always_served(settings, federation_sdl):
    # given
    async with client_of(replace(settings, federation_sdl=federation_sdl)) as development:
        # when
        service = await development.post("/graphql", json={"query": "{ _service { sdl } }"})
    # then
    assert service.json() == {"data": {"_service": {"sdl": sdl().removesuffix("\n")}}}


async def test_production_serves_entities_and_masks_their_unexpected_errors(settings, monkeypatch):
    # given: `_entities` follows `node`'s rules, so it stays in production
    mia = await make_member(name="Mia Member")
    # Behind a gateway, which builds `_entities` documents from its plan and holds the apps to the
    # persisted operations itself.
    production_settings = replace(_production(settings), persisted_only=False)
    token = issue_token(member_viewer(mia.id), secret_key=production_settings.secret_key, ttl_seconds=600)[0]

    async def broken(cls: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail")

    async with client_of(production_settings) as production:
        # when
        entities = await production.post(
            "/graphql",
            json={"query": ENTITIES, "variables": {"representations": [member_ref(mia)]}},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"},
        )
        monkeypatch.setattr(Reward, "resolve_nodes", classmethod(broken))
        failed = await production.post(
            "/graphql",
            json={
                "query": ENTITIES,
                "variables": {"representations": [{"__typename": "Reward", "id": gid("Reward", "club:1")}]},
            },
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-8"},
        )
    # then
    assert entities.json() == {
        "data": {"_entities": [{"__typename": "Member", "id": gid("Member", mia.id), "name": "Mia Member"}]}
    }
    assert failed.json() == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error. Quote request id req-8 when reporting it.",
                "locations": ANY,
                "path": ["_entities"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-8"},
            }
        ],
    }
