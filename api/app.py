"""The ASGI application: GraphQL at /graphql, health and readiness, request ids, body limits."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException  # the exception strawberry's HTTP views answer with (pinned)
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET
from tortoise import Tortoise

from api import graphql_http, persisted
from api.context import Context
from api.jobs import run_periodically
from api.logs import configure_logging, request_id_var
from api.metrics import Metrics, RequestObserver, error_code
from api.settings import Settings, load_settings
from api.ratelimit import RateLimiter
from api.tokens import Bearer, InvalidToken, read_token
from api.websocket import (
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    SUBSCRIPTIONS_OVER_WEBSOCKET,
    LiveHandler,
    credential_of,
    is_subscription,
)
from domain import live
from domain import partners as partner_registry
from domain import sessions
from domain.db import close_database, open_database
from domain.viewer import ANONYMOUS, Viewer, partner_viewer
from domain.webhooks import DeliveryRules, run_dispatcher
from partners.federation import CatalogFederation
from domain.signatures import SignatureError, verify
from partners.redemption import run_reconciler
from schema import build_schema
from schema.compiled import CompiledQueries
from schema.cost import cost_extension

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A JSON body that may be a GraphQL request: an object (or an array, which strawberry refuses as a batch).
_JSON_OBJECT_OR_ARRAY = re.compile(rb"[ \t\r\n]*[\[{]")


def _graphql_error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


class GraphQLApp(GraphQL):
    """Strawberry's ASGI app with our context, JSON encoder and bearer-token check."""

    graphql_transport_ws_handler_class = LiveHandler

    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        super().__init__(
            build_schema(production=settings.production, expose_sdl=settings.federation_sdl),
            graphql_ide=None if settings.production else "graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            # Any page may connect: the token travels in `connection_init`, never in a cookie a page
            # on another site could make the browser send along.
            allowed_origins=["*"],
        )
        self.settings = settings
        self.federation = CatalogFederation(
            ttl=settings.catalog_ttl_seconds, on_call=metrics.partner_call if metrics is not None else None
        )
        self.compiled = (
            CompiledQueries(self.schema._schema, max_cost=settings.max_query_cost) if settings.compiled_queries else None
        )
        self.rate_limiter = (
            RateLimiter(per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
            if settings.rate_limit_per_second
            else None
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson, not the json module: json recurses and fails with a RecursionError (a 500) on
        # arrays or objects nested about a thousand deep; orjson refuses them with a JSONDecodeError
        # (a JSONDecodeError of the json module, so strawberry answers 400).
        return orjson.loads(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        viewer, session_id = ANONYMOUS, None
        if scope["type"] == "http":
            headers = Request(scope).headers
            media_type = graphql_http.negotiate(headers.get("accept"))
            state = scope.setdefault("state", {})
            state["media_type"] = media_type
            exchange = state.get("exchange")
            if exchange is not None:
                exchange.graphql = True
            if media_type is None and not self.should_render_graphql_ide(self.request_adapter_class(Request(scope))):
                message = f"Accept {graphql_http.GRAPHQL_RESPONSE_JSON} or {graphql_http.JSON}"
                await PlainTextResponse(message, status_code=406)(scope, receive, send)
                return
            authorization = headers.get("authorization", "")
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() == "apikey" or (not authorization and headers.get("x-api-key")):
                key = credential if authorization else headers["x-api-key"]
                refusal, viewer, receive = await self._partner(scope, receive, key)
                if refusal is not None:
                    await _in_media_type(refusal, media_type)(scope, receive, send)
                    return
                # The key's prefix (authenticated just now) names its cost budget: schema/cost.py.
                scope.setdefault("state", {})["api_key"] = key.strip().partition(".")[0]
            elif authorization:
                refusal, bearer = await self._bearer(scheme, credential)
                if refusal is not None:
                    await _in_media_type(refusal, media_type)(scope, receive, send)
                    return
                viewer, session_id = bearer.viewer, bearer.session_id
            if exchange is not None:
                exchange.viewer = viewer.kind.value
        state = scope.setdefault("state", {})
        state["viewer"], state["session_id"] = viewer, session_id
        if scope["type"] == "websocket":
            state["request_id"] = uuid.uuid4().hex  # one per connection: RequestGuard sees HTTP only
        await super().__call__(scope, receive, send)

    async def _bearer(self, scheme: str, credential: str) -> tuple[Response | None, Bearer]:
        """The bearer of a valid token whose sign-in still stands, within the token's rate limit.

        Revocation costs one primary-key lookup of the token's session (`sid`) per request. A token
        without a session is accepted on its signature alone: the signature proves we issued it, and
        the session row exists to revoke a sign-in, which such a token is not (sign-ins always name
        theirs; tests, the benchmark and tools mint session-less ones with `issue_token`). A token
        naming a session that is gone is refused: rows are purged only long after their tokens expired.
        The rate limit is asked first, so that a flood is turned away without touching the database.
        """
        try:
            if scheme.lower() != "bearer":
                raise InvalidToken("not a bearer token")
            bearer = read_token(credential.strip(), secret_key=self.settings.secret_key)
            if self.rate_limiter is not None:
                wait = self.rate_limiter.charge(bearer.session_id or f"{bearer.viewer.kind}:{bearer.viewer.id}")
                if wait:
                    seconds = math.ceil(wait)
                    message = f"Too many requests with this token; retry after {seconds} s"
                    return _graphql_error(429, message, "RATE_LIMITED", {"Retry-After": str(seconds)}), bearer
            if bearer.session_id is not None and not await sessions.is_live(bearer.session_id):
                raise InvalidToken("the sign-in has ended")
        except InvalidToken:
            refusal = _graphql_error(
                401,
                "The bearer token is invalid or has expired; sign in again",
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return refusal, Bearer(ANONYMOUS, None)
        return None, bearer

    async def on_ws_connect(self, context: Context) -> Any:
        """A WebSocket's `connection_init`: its token is checked as a request's (signature, expiry, sign-in,
        rate limit); a bad one closes the socket with 4403. Without a token the caller is anonymous, and
        every subscription refuses them; API keys are refused, partners have nothing to subscribe to."""
        credential = credential_of(context.connection_params or {})
        if credential is None:
            return UNSET  # a bare `connection_ack`
        scheme, _, token = credential.strip().partition(" ")
        refusal, bearer = await self._bearer(scheme, token)
        if refusal is not None:
            raise ConnectionRejectionError()
        context.viewer, context.session_id, context.token_expires_at = bearer.viewer, bearer.session_id, bearer.expires_at
        return UNSET

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's, after refusing a JSON body that is a string, number, boolean or null, on which
        strawberry fails with an AttributeError (a 500)."""
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "POST" and "application/json" in content_type:
            body = await request.get_body()  # kept by the request, so strawberry reads it again for free
            if not _JSON_OBJECT_OR_ARRAY.match(body):
                self.parse_json(body)  # malformed JSON: 400 "Unable to parse request body as JSON"
                raise HTTPException(400, "The request body must be a JSON object")
        return await super().parse_http_body(request)

    async def execute_operation(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData,  # never a batch: those are refused while parsing
        context: Context,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        """Strawberry's, with the document of a persisted operation (api/persisted.py) in place of its hash."""
        try:
            request_data.query = persisted.document_of(
                request_data.query,
                request_data.extensions,
                listed_only=self.settings.production and self.settings.persisted_only and context.viewer.is_member,
            )
            if is_subscription(request_data.query, request_data.operation_name):
                raise persisted.Refusal("BAD_USER_INPUT", SUBSCRIPTIONS_OVER_WEBSOCKET, status=400)
        except persisted.Refusal as refusal:
            sub_response.status_code = refusal.status
            error = GraphQLError(str(refusal), extensions={"code": refusal.code})
            result = ExecutionResult(data=None, errors=[error], extensions=await cost_extension(context))
        else:
            result = await self._execute(request, request_adapter, request_data, context, root_value, sub_response)
        if isinstance(result, ExecutionResult):
            self._answered(request, result, sub_response)
        return result

    async def _execute(self, request: Any, request_adapter: Any, request_data: GraphQLRequestData, context: Context, root_value: Any, sub_response: Response) -> Any:
        """Through the compiled path when the document has a plan (schema/compiled/), else strawberry's."""
        if self.compiled is None:
            return await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)
        query, name = request_data.query, request_data.operation_name
        result = await self.compiled.execute(query, name, request_data.variables, context)
        if result is None:
            result = await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)
            self.compiled.learn(query, name, result)
        return result

    def _answered(self, request: Request, result: ExecutionResult, sub_response: Response) -> None:
        """Notes the answer's outcome for the metrics; under application/graphql-response+json, a request
        error gets the spec's status and no `data` entry (api/graphql_http.py)."""
        request_error = graphql_http.is_request_error(result)
        state = request.scope["state"]
        exchange = state.get("exchange")
        if exchange is not None:
            exchange.outcome = "refused" if request_error else "errors" if result.errors else "ok"
            exchange.error_codes = [error_code(error, request_error=request_error) for error in result.errors or ()]
        if request_error and sub_response.media_type == graphql_http.GRAPHQL_RESPONSE_JSON:
            state["omit_data"] = True
            sub_response.status_code = graphql_http.request_error_status(result, sub_response.status_code)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's, with its refusals (400 and the like) in the negotiated media type, and a mutation
        over GET refused with 405 and `Allow: POST`, as the GraphQL-over-HTTP spec asks."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as refusal:
            if self.is_websocket_request(request):
                raise
            status, headers = refusal.status_code, {}
            cause = refusal.__cause__
            if isinstance(cause, InvalidOperationTypeError) and cause.operation_type is OperationType.MUTATION and request.method == "GET":
                status, headers = 405, {"Allow": "POST"}
            if request.scope["state"].get("media_type") == graphql_http.GRAPHQL_RESPONSE_JSON:
                code = {405: "METHOD_NOT_ALLOWED", 404: "NOT_FOUND"}.get(status, "BAD_REQUEST")
                response = _graphql_error(status, refusal.reason, code, headers)
                return _in_media_type(response, graphql_http.GRAPHQL_RESPONSE_JSON)
            return PlainTextResponse(refusal.reason, status_code=status, headers=headers)

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = request.scope.get("state", {}).get("media_type") or graphql_http.JSON
        return sub_response

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        body = await super().process_result(request, result)
        if request.scope["state"].get("omit_data"):
            del body["data"]  # a request error: execution never began (the spec: no `data` entry)
        return body

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        return _in_media_type(super().create_response(response_data, sub_response), sub_response.media_type)

    async def render_graphql_ide(self, request: Any) -> Response:
        exchange = request.scope["state"].get("exchange")
        if exchange is not None:
            exchange.graphql = False  # a page, not an operation
        return await super().render_graphql_ide(request)

    async def _partner(self, scope: Scope, receive: Receive, key: str) -> tuple[Response | None, Viewer, Receive]:
        """The partner viewer of an API key, after its signature when the partner requires one.

        A signature covers the raw body, so the body is read here and replayed to GraphQL; a GET
        carries its query outside the body, so a partner that must sign has to POST.
        """
        partner = await partner_registry.authenticate(key)
        if partner is None:
            refusal = _graphql_error(
                401, "The API key is invalid or has been revoked", "UNAUTHENTICATED", {"WWW-Authenticate": "ApiKey"}
            )
            return refusal, ANONYMOUS, receive
        if partner.require_signature:
            if scope["method"] != "POST":
                return _graphql_error(401, "Signed requests must be POSTs", "UNAUTHENTICATED"), ANONYMOUS, receive
            body = await _read_body(receive)
            try:
                verify(partner.signing_secret, Request(scope).headers, body)
            except SignatureError as error:
                return _graphql_error(401, str(error), "UNAUTHENTICATED"), ANONYMOUS, receive
            receive = _replay(body, receive)
        return None, partner_viewer(partner.id), receive

    async def get_context(self, request: Any, response: Any) -> Context:
        viewer: Viewer = request.scope["state"].get("viewer", ANONYMOUS)
        client = request.scope.get("client")
        return Context(
            viewer=viewer,
            settings=self.settings,
            request_id=request.scope["state"]["request_id"],
            federation=self.federation,
            api_key=request.scope["state"].get("api_key"),
            response=response,
            session_id=request.scope["state"].get("session_id"),
            client_address=client[0] if client else "unknown",
        )


def _in_media_type(response: Response, media_type: str | None) -> Response:
    """A JSON response labelled application/graphql-response+json when that is what the client asked for."""
    if media_type == graphql_http.GRAPHQL_RESPONSE_JSON:
        response.headers["content-type"] = graphql_http.CONTENT_TYPES[media_type]
    return response


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read already, then hands over to the server's (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RequestGuard:
    """Gives every request an id (echoed in X-Request-ID) and refuses bodies over the size limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Request(scope).headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            length = Request(scope).headers.get("content-length")
            if length and (not length.isdigit() or int(length) > self.max_body_bytes):
                await self._too_large(scope, receive, send_with_id)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_with_id)
            except _BodyTooLarge:
                await self._too_large(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _graphql_error(413, f"The request body is larger than {self.max_body_bytes} bytes", "PAYLOAD_TOO_LARGE")
        await _in_media_type(response, graphql_http.negotiate(Request(scope).headers.get("accept")))(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


def delivery_rules(settings: Settings) -> DeliveryRules:
    return DeliveryRules(
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    """The application; the database must already be migrated (`clubgraph migrate`)."""
    settings = settings or load_settings()
    settings.check()
    metrics = Metrics(known_operations=(operation.name for operation in persisted.MANIFEST.values()), token=settings.metrics_token)
    graphql = GraphQLApp(settings, metrics)
    metrics.federation = graphql.federation

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        await open_database(settings.database_url, migrate_schema=False)
        await live.start_listener(settings.database_url)
        # Objects alive after start-up never become garbage: keep them out of every collection.
        gc.collect()
        gc.freeze()
        interval = settings.jobs_interval_seconds
        jobs = asyncio.create_task(run_periodically(interval), name="clubgraph-jobs") if interval else None
        every = settings.reconcile_interval_seconds
        reconciler = (
            asyncio.create_task(run_reconciler(graphql.federation.client, every), name="clubgraph-reconciler")
            if every
            else None
        )
        webhooks = (
            asyncio.create_task(
                run_dispatcher(graphql.federation.client.http, delivery_rules(settings), settings.webhook_interval_seconds),
                name="clubgraph-webhooks",
            )
            if settings.webhook_interval_seconds
            else None
        )
        # With several workers each one writes its own gauges: a scrape reaches only one of them.
        sampler = asyncio.create_task(metrics.sample_every(), name="clubgraph-metrics") if metrics.multiprocess_dir else None
        try:
            yield
        finally:
            for task in (jobs, reconciler, webhooks, sampler):
                if task is not None:
                    # Before the database closes: a job cut short rolls back its transaction.
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await graphql.federation.client.close()
            await live.stop_listener()
            await close_database()
            metrics.close()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics.endpoint),
        ],
        middleware=[
            Middleware(RequestObserver, metrics=metrics),  # outermost: it times the whole request
            Middleware(RequestGuard, max_body_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
