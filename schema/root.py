"""The root schema: per-domain Query and Mutation classes merged, with the request-wide extensions."""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Callable

import strawberry
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.auth.login import login
from schema.auth.logout import logout
from schema.auth.session_revoke import session_revoke
from schema.auth.token_refresh import token_refresh
from schema.analytics.queries import AnalyticsQuery
from schema.audit.queries import AuditQuery
from schema.audit.trail import AuditTrail
from schema.auth.queries import AuthQuery
from schema.benefits.mutations import BenefitMutation
from schema.care.mutations import CareMutation
from schema.care.queries import CareQuery
from schema.cost import QueryCost
from schema.errors import BadRequest, ClientErrors, log_errors
from schema.events.mutations import EventMutation
from schema.events.queries import EventQuery
from schema.federation import DisableServiceSDL, SubgraphSchema
from schema.feedback.mutations import FeedbackMutation
from schema.feedback.queries import FeedbackQuery
from schema.members.mutations import MemberMutation
from schema.members.queries import MemberQuery
from schema.observe import ObservedParserCache
from schema.partial import PartialErrors
from schema.partners.counter_queries import PartnerCounterQuery
from schema.partners.guard import PartnerGuard
from schema.partners.mutations import PartnerMutation
from schema.partners.queries import PartnerQuery
from schema.points.mutations import PointsMutation
from schema.redemptions.mutations import RedemptionMutation
from schema.rewards.mutations import RewardMutation
from schema.rewards.queries import RewardQuery
from schema.subscriptions import Subscription
from schema.tiers.queries import TierQuery
from schema.webhooks.mutations import WebhookMutation
from schema.webhooks.queries import WebhookQuery

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
MAX_NODES_PER_REQUEST = 100


def _node_query() -> type:
    """The node fields, as a new class for every schema built: strawberry's `relay.node()` field
    keeps the resolver of the first schema built from it and refuses to be built into a second."""

    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node(
            description="Any object by its global ID; null when it is not yours to see."
        )

        @strawberry.field(description=f"Objects by their global IDs, in order; at most {MAX_NODES_PER_REQUEST}.")
        async def nodes(self, info: strawberry.Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
            if len(ids) > MAX_NODES_PER_REQUEST:
                raise BadRequest(f"Ask for at most {MAX_NODES_PER_REQUEST} ids at once")
            # Together, not one after the other, so that the DataLoaders batch them: one query per type.
            return list(await asyncio.gather(*(gid.resolve_node(info, required=False) for gid in ids)))

    return NodeQuery


@strawberry.type
class AuthMutation:
    login = strawberry.mutation(
        resolver=login, description="Exchange an email and a password for an access token and a refresh token."
    )
    token_refresh = strawberry.mutation(
        resolver=token_refresh, description="Exchange a refresh token for new tokens; the one sent stops working."
    )
    logout = strawberry.mutation(resolver=logout, description="End the caller's sign-in, or all of them.")
    session_revoke = strawberry.mutation(
        resolver=session_revoke, description="Sign a member or a staff member out everywhere (staff)."
    )


Mutation = merge_types("Mutation", (AuthMutation, MemberMutation, BenefitMutation, PointsMutation, EventMutation, FeedbackMutation, CareMutation, PartnerMutation, RewardMutation, RedemptionMutation, WebhookMutation))


class Schema(SubgraphSchema):
    """An Apollo Federation v2 subgraph (schema/federation.py) that logs unexpected errors."""

    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[no-untyped-def]
        log_errors(errors, execution_context)


def build_schema(*, production: bool = False, expose_sdl: bool = False) -> Schema:
    """The schema, built once per process and mode: building one takes a tenth of a second and
    strawberry keeps every schema built alive.

    Production refuses introspection, and `_service { sdl }` too unless `expose_sdl`
    (CLUBGRAPH_FEDERATION_SDL); outside production both are served, whatever `expose_sdl` says.
    """
    return _build_schema(production=production, refuse_sdl=production and not expose_sdl)


@functools.cache
def _build_schema(*, production: bool, refuse_sdl: bool) -> Schema:
    extensions = [
        ObservedParserCache(maxsize=1024),  # also names the operation for the metrics and logs (api/metrics.py)
        ValidationCache(maxsize=1024),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ClientErrors(),
        PartialErrors(),
        AuditTrail(),
        PartnerGuard(),
        QueryCost(),  # after validation and PartnerGuard: see its docstring
    ]
    if production:
        extensions.append(DisableIntrospection())
    if refuse_sdl:
        extensions.append(DisableServiceSDL())
    return Schema(
        query=merge_types("Query", (AuthQuery, _node_query(), MemberQuery, TierQuery, EventQuery, FeedbackQuery, AnalyticsQuery, CareQuery, PartnerQuery, PartnerCounterQuery, RewardQuery, AuditQuery, WebhookQuery)),
        mutation=Mutation,
        subscription=Subscription,
        extensions=[_per_request(extension) for extension in extensions],
        config=StrawberryConfig(disable_field_suggestions=production),
    )


def _per_request(extension: SchemaExtension) -> Callable[[], SchemaExtension]:
    """A fresh copy of the extension for every request.

    Strawberry keeps the request's execution context on the extension object: one instance shared
    by concurrent requests masks (or fails to mask) the errors of whichever request started last.
    Shallow copies keep sharing the parser and validation caches and the limiters' rule classes.
    """
    return lambda: copy.copy(extension)


def sdl() -> str:
    return build_schema().as_str() + "\n"
