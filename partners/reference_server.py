"""The reference partner merchant: a runnable service implementing docs/partner-protocol.md.

It keeps its own store (a SQLite file), verifies the club's signatures, signs its answers, and has
switches that make it slow, failing, hanging or crashing right after it issued a reward, so that
the club's federation and redemption saga can be tested against a real process over real HTTP:

    python -m partners.reference_server --name "Cellier Marceau" --port 8101 --catalog wine --secret s3cret
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from partners.catalogs import CATALOGS
from domain.signatures import SignatureError, signature_headers, verify
from partners.reference_store import PartnerStore, Refusal

PROTOCOL_VERSION = 1
DEFAULT_TIERS = ("Silver", "Gold", "Platinum", "Diamond")
CRASH_EXIT_STATUS = 3
_REDEMPTION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_MAX_QUANTITY = 10
logger = logging.getLogger("partners.reference_server")


@dataclass
class Switches:
    """Faults to inject; they apply to the protocol endpoints only, never to /health or the admin endpoint."""

    latency_ms: int = 0  # added before every answer
    error_rate: float = 0.0  # share of requests answered 503 UNAVAILABLE before doing anything
    timeout_rate: float = 0.0  # share of requests that do their work, then hang for hang_ms before answering
    hang_ms: int = 30_000
    crash_after_issue: bool = False  # a NEW reward is committed, then the process exits without answering

    _JSON = {"latency_ms": "latencyMs", "error_rate": "errorRate", "timeout_rate": "timeoutRate",
             "hang_ms": "hangMs", "crash_after_issue": "crashAfterIssue"}

    def as_json(self) -> dict:
        return {self._JSON[name]: value for name, value in asdict(self).items()}

    def update(self, changes: dict) -> None:
        """Apply a partial change from the admin endpoint; raises ValueError naming the bad field."""
        by_json = {json_name: name for name, json_name in self._JSON.items()}
        for key, value in changes.items():
            if key not in by_json:
                raise ValueError(f"Unknown switch {key!r}: use one of {', '.join(by_json)}")
            name = by_json[key]
            if name == "crash_after_issue":
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif name in ("error_rate", "timeout_rate"):
                if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key} must be a whole number of milliseconds, 0 or more")
        for key, value in changes.items():
            setattr(self, by_json[key], value)


@dataclass
class PartnerConfig:
    name: str
    catalog: str  # a key of partners.catalogs.CATALOGS
    secret: str
    store: Path
    switches: Switches = field(default_factory=Switches)
    tiers: tuple[str, ...] = DEFAULT_TIERS  # the club's ladder, lowest first, to check tierRestriction


def _now() -> datetime:
    return datetime.now(timezone.utc)


def signed_json(secret: str, status: int, payload: dict) -> Response:
    """Every answer is signed, errors included, over the exact bytes sent."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = signature_headers(secret, body)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def error(secret: str, status: int, code: str, message: str) -> Response:
    return signed_json(secret, status, {"error": {"code": code, "message": message}})


Handler = Callable[[Request, bytes], Awaitable[Response]]


def create_partner_app(config: PartnerConfig) -> Starlette:
    """A partner service for one catalog; its store opens now, so a restart sees what was issued before."""
    if config.catalog not in CATALOGS:
        raise ValueError(f"Unknown catalog {config.catalog!r}: use one of {', '.join(CATALOGS)}")
    prefix = re.sub(r"[^A-Z]", "", config.name.upper())[:4] or "RWD"
    store = PartnerStore(config.store, CATALOGS[config.catalog], code_prefix=prefix)
    switches = config.switches
    secret = config.secret
    received: dict[str, int] = {}  # protocol requests received per endpoint, faults or not (GET /_admin/requests)

    def protocol(handler: Handler, *, faults: bool = True) -> Callable[[Request], Awaitable[Response]]:
        """Verify the signature first, then inject the configured faults, then run the handler."""

        async def endpoint(request: Request) -> Response:
            received[handler.__name__] = received.get(handler.__name__, 0) + 1
            body = await request.body()
            try:
                verify(secret, request.headers, body)
            except SignatureError as refused:
                return error(secret, 401, "BAD_SIGNATURE", str(refused))
            if not faults:
                return await handler(request, body)
            if switches.latency_ms:
                await asyncio.sleep(switches.latency_ms / 1000)
            if switches.error_rate and random.random() < switches.error_rate:
                return error(secret, 503, "UNAVAILABLE", "Injected failure: nothing was done, try again later")
            response = await handler(request, body)
            if switches.timeout_rate and random.random() < switches.timeout_rate:
                await asyncio.sleep(switches.hang_ms / 1000)
            return response

        return endpoint

    def parse(body: bytes) -> dict:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise Refusal(400, "INVALID_REQUEST", "The body must be a JSON object") from None
        if not isinstance(payload, dict):
            raise Refusal(400, "INVALID_REQUEST", "The body must be a JSON object")
        return payload

    def redemption_id_of(request: Request) -> str:
        redemption_id = request.path_params["redemption_id"]
        if not _REDEMPTION_ID.match(redemption_id):
            raise Refusal(400, "INVALID_REQUEST", "redemptionId must be 1 to 100 of A-Z a-z 0-9 . _ : -")
        return redemption_id

    def refusals(handler: Handler) -> Handler:
        @functools.wraps(handler)  # keeps the endpoint's name, which the request counts go by
        async def guarded(request: Request, body: bytes) -> Response:
            try:
                return await handler(request, body)
            except Refusal as refused:
                return error(secret, refused.status, refused.code, refused.message)
            except Exception:  # still a signed answer, so the club can tell it from a forged one
                logger.exception("unexpected failure on %s %s", request.method, request.url.path)
                return error(secret, 500, "INTERNAL", "Unexpected failure: the outcome is unknown, ask the status")

        return guarded

    async def health(request: Request) -> Response:
        return Response(json.dumps({"status": "ok", "name": config.name}), media_type="application/json")

    @refusals
    async def catalog(request: Request, body: bytes) -> Response:
        return signed_json(secret, 200, {
            "protocolVersion": PROTOCOL_VERSION,
            "partner": {"name": config.name},
            "generatedAt": _now().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "items": store.catalog(),
        })

    @refusals
    async def issue(request: Request, body: bytes) -> Response:
        payload = parse(body)
        redemption_id, item_id, quantity = payload.get("redemptionId"), payload.get("itemId"), payload.get("quantity")
        member = payload.get("member")
        if not isinstance(redemption_id, str) or not _REDEMPTION_ID.match(redemption_id):
            raise Refusal(400, "INVALID_REQUEST", "redemptionId must be 1 to 100 of A-Z a-z 0-9 . _ : -")
        if not isinstance(item_id, str) or not item_id:
            raise Refusal(400, "INVALID_REQUEST", "itemId must be a non-empty string")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= _MAX_QUANTITY:
            raise Refusal(400, "INVALID_REQUEST", f"quantity must be a whole number from 1 to {_MAX_QUANTITY}")
        if not isinstance(member, dict) or not isinstance(member.get("reference"), str) or not member["reference"]:
            raise Refusal(400, "INVALID_REQUEST", "member.reference must be a non-empty string")
        tier = member.get("tier")
        if tier is not None and not isinstance(tier, str):
            raise Refusal(400, "INVALID_REQUEST", "member.tier must be a string or null")
        item = store.items.get(item_id)
        if item is not None and item.tier is not None and store.get(redemption_id) is None:
            ladder = list(config.tiers)
            if tier not in ladder or item.tier in ladder and ladder.index(tier) < ladder.index(item.tier):
                raise Refusal(422, "TIER_NOT_ALLOWED", f"{item.title!r} is for {item.tier} members and above")
        issued = store.issue(redemption_id=redemption_id, item_id=item_id, quantity=quantity,
                             member_reference=member["reference"], now=_now())
        if issued.created and switches.crash_after_issue:
            # The reward is committed; die before the club hears of it, as a real crash would.
            os._exit(CRASH_EXIT_STATUS)
        return signed_json(secret, 201 if issued.created else 200, issued.reward)

    @refusals
    async def status(request: Request, body: bytes) -> Response:
        redemption_id = redemption_id_of(request)
        reward = store.get(redemption_id)
        if reward is None:
            raise Refusal(404, "UNKNOWN_REDEMPTION", f"We never issued nor cancelled redemption {redemption_id!r}")
        return signed_json(secret, 200, reward)

    @refusals
    async def cancel(request: Request, body: bytes) -> Response:
        parse(body)
        return signed_json(secret, 200, store.cancel(redemption_id_of(request), now=_now()))

    @refusals
    async def admin_switches(request: Request, body: bytes) -> Response:
        try:
            switches.update(parse(body))
        except ValueError as wrong:
            raise Refusal(400, "INVALID_REQUEST", str(wrong)) from None
        return signed_json(secret, 200, switches.as_json())

    @refusals
    async def admin_requests(request: Request, body: bytes) -> Response:
        return signed_json(secret, 200, {name: received.get(name, 0) for name in ("catalog", "issue", "status", "cancel")})

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/catalog", protocol(catalog), methods=["GET"]),
        Route("/rewards", protocol(issue), methods=["POST"]),
        Route("/rewards/{redemption_id}", protocol(status), methods=["GET"]),
        Route("/rewards/{redemption_id}/cancel", protocol(cancel), methods=["POST"]),
        Route("/_admin/switches", protocol(admin_switches, faults=False), methods=["POST"]),
        Route("/_admin/requests", protocol(admin_requests, faults=False), methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        store.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.store = store
    app.state.config = config
    return app


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m partners.reference_server", description=__doc__.split("\n")[0])
    parser.add_argument("--name", required=True, help="the merchant's name, shown in its catalog")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--catalog", choices=sorted(CATALOGS), required=True)
    parser.add_argument("--secret", default=os.environ.get("PARTNER_SECRET"),
                        help="the signing secret shared with the club (or PARTNER_SECRET)")
    parser.add_argument("--store", type=Path, help="SQLite file of issued rewards (default data/partners/<catalog>-<port>.sqlite3)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--error-rate", type=_rate, default=0.0)
    parser.add_argument("--timeout-rate", type=_rate, default=0.0)
    parser.add_argument("--hang-ms", type=int, default=30_000, help="how long a 'timeout' hangs (default 30000)")
    parser.add_argument("--crash-after-issue", action="store_true")
    parser.add_argument("--tiers", default=",".join(DEFAULT_TIERS), help="the club's tier ladder, lowest first")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("--secret (or PARTNER_SECRET) is required: requests and answers are signed with it")
    return args


def config_from_args(args: argparse.Namespace) -> PartnerConfig:
    store = args.store or Path("data") / "partners" / f"{args.catalog}-{args.port}.sqlite3"
    switches = Switches(latency_ms=args.latency_ms, error_rate=args.error_rate, timeout_rate=args.timeout_rate,
                        hang_ms=args.hang_ms, crash_after_issue=args.crash_after_issue)
    tiers = tuple(name.strip() for name in args.tiers.split(",") if name.strip())
    return PartnerConfig(name=args.name, catalog=args.catalog, secret=args.secret, store=store,
                         switches=switches, tiers=tiers)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    args = parse_args(argv)
    app = create_partner_app(config_from_args(args))
    print(f"partner {args.name!r} ({args.catalog}) listening on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=os.environ.get("PARTNER_LOG_LEVEL", "warning"),
                timeout_graceful_shutdown=2)


if __name__ == "__main__":
    main()
