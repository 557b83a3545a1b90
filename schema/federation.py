"""The schema as an Apollo Federation v2 subgraph: entities keyed by their relay global ID.

A gateway composes clubgraph with other subgraphs (a partner's, say) that extend `Member` or
`Reward` with fields of their own. It asks for `_service { sdl }` to compose, and for
`_entities(representations: [{__typename: "Member", id: "<global id>"}])` to fetch the club's side
of an entity another subgraph returned.

An entity type is a relay Node carrying `directives=[key_on_id()]`; nothing else. Its entities are
resolved exactly as `node`/`nodes` resolve them: through the type's `resolve_nodes`, so through the
request's DataLoaders and with the same visibility rules (null for what the viewer may not see).
`resolve_nodes` is called once per type for all representations of the request, not once per
representation (strawberry's `resolve_reference` way), so that a type whose lookup has a fixed cost
(the rewards' tier ladder) pays it once. A partner's API key reaches neither `_entities` nor
`_service`: the partner guard's allow-list (schema/partners/guard.py) does not name them.

In production `_service` is refused like introspection (`DisableServiceSDL`): the SDL is the whole
schema, so serving it would undo turning introspection off. A deployment behind a gateway that
composes from `_service` turns it back on with CLUBGRAPH_FEDERATION_SDL=1 (or gives the gateway the
checked-in schema.graphql). `_entities` stays: it resolves entities with `node`'s rules.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry import federation, relay
from strawberry.extensions import AddValidationRules
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.info import Info

from schema.errors import BadRequest

MAX_REPRESENTATIONS = 100


def key_on_id() -> Key:
    """The `@key(fields: "id")` of an entity: its relay global ID, the same in every subgraph."""
    return Key(fields="id")


class NoServiceSDLRule(ValidationRule):
    """Refuses a document that selects `_service` on the query type, in the words and shape of
    graphql-core's NoSchemaIntrospectionCustomRule (what strawberry's DisableIntrospection adds), so
    that a client cannot tell the two refusals apart."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "_service" and self.context.get_parent_type() is self.context.schema.query_type:
            self.report_error(
                GraphQLError(
                    "GraphQL introspection has been disabled, but the requested query contained the field "
                    f"'{node.name.value}'.",
                    node,
                )
            )


class DisableServiceSDL(AddValidationRules):
    """The extension refusing `_service` (production, unless CLUBGRAPH_FEDERATION_SDL is on)."""

    def __init__(self) -> None:
        super().__init__([NoServiceSDLRule])


def _node_id(type_name: str, global_id: str) -> str | None:
    """The node id inside a representation's global ID, or None when it names no object of the type.

    A global ID of another type, or one that does not decode, gives null, as `node(id:)` does for
    an id it cannot find, rather than an error that tells ids apart.
    """
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except GlobalIDValueError:
        return None
    return decoded.node_id if decoded.type_name == type_name else None


async def _resolve(info: Info, wanted: list[tuple[Any, str | None]]) -> list[Any]:
    """[(entity type, node id)] -> the entities in the same order, each type's loaded in one go."""
    by_type: dict[Any, list[str]] = {}
    for cls, node_id in wanted:
        if node_id is not None and node_id not in by_type.setdefault(cls, []):
            by_type[cls].append(node_id)
    # Together, not one after the other, so that the types' DataLoaders batch alongside each other.
    loaded = await asyncio.gather(
        *(cls.resolve_nodes(info=info, node_ids=node_ids, required=False) for cls, node_ids in by_type.items())
    )
    found = {
        (cls, node_id): entity
        for (cls, node_ids), entities in zip(by_type.items(), loaded, strict=True)
        for node_id, entity in zip(node_ids, entities, strict=True)
    }
    return [found.get((cls, node_id)) for cls, node_id in wanted]


class SubgraphSchema(federation.Schema):
    """strawberry's federation schema (Federation v2), with `_entities` resolved like `nodes`.

    Representations are checked first: strawberry looks `__typename` up unchecked, so a missing or
    unknown one fails with a bare KeyError, masked as an unexpected error. Here it is a
    BAD_USER_INPUT error naming what is wrong; and a request may name at most MAX_REPRESENTATIONS
    entities, like `nodes` at most 100 ids.
    """

    async def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadRequest(f"Ask for at most {MAX_REPRESENTATIONS} representations at once")
        wanted = [self._entity_of(index, representation) for index, representation in enumerate(representations)]
        return await _resolve(info, wanted)  # type: ignore[return-value]

    def _entity_of(self, index: int, representation: Any) -> tuple[Any, str | None]:
        if not isinstance(representation, dict) or not isinstance(representation.get("__typename"), str):
            raise BadRequest(f"representations[{index}] is not an object with a `__typename`")
        type_name = representation["__typename"]
        definition = getattr(self.schema_converter.type_map.get(type_name), "definition", None)
        if not any(isinstance(directive, Key) for directive in getattr(definition, "directives", None) or ()):
            raise BadRequest(f"representations[{index}]: `{type_name[:100]}` is not an entity of this subgraph")
        if set(representation) != {"__typename", "id"} or not isinstance(representation["id"], str):
            raise BadRequest(
                f"representations[{index}]: give `__typename` and the key `id`, a global ID, and nothing else"
            )
        return definition.origin, _node_id(type_name, representation["id"])  # type: ignore[union-attr]
