"""The club's side of the partner protocol (docs/partner-protocol.md): signed requests, verified answers.

Every call ends in one of three ways, and callers must treat them differently:
- the answer, parsed;
- `PartnerRefusal`: a definitive 4xx, the partner guarantees the request did nothing;
- `PartnerUnavailable`: a timeout, a dropped connection, a 5xx, an answer whose signature does not
  verify or that is larger than the call's cap. For an issue or a cancel the outcome is then unknown:
  ask for the status, never assume.

A `PartnerUnavailable` carries two reasons: `reason`, the detail for the logs and operators ("answered
with a bad signature (...)"), and `plain_reason`, what a member may be told ("no answer in time",
"temporarily unavailable"): the detail says how a partner fails, which is nobody else's business.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson

from domain import models
from domain.signatures import SignatureError, signature_headers, verify

logger = logging.getLogger("clubgraph.partners")

CATALOG_DEADLINE = 1.5
ISSUE_DEADLINE = 5.0
STATUS_DEADLINE = 3.0
CANCEL_DEADLINE = 5.0
# The most of an answer read: a catalog has at most 1,000 items (domain.catalog.MAX_PARTNER_ITEMS),
# a reward is a few hundred bytes. A partner sending more is cut off, not read into memory.
CATALOG_MAX_BYTES = 5_000_000
ANSWER_MAX_BYTES = 64_000

NO_ANSWER_IN_TIME = "no answer in time"
TEMPORARILY_UNAVAILABLE = "temporarily unavailable"


class PartnerUnavailable(Exception):
    """No valid answer: the outcome of the request is unknown.

    `reason` is the detail, for logs; `plain_reason` is what a member may read: NO_ANSWER_IN_TIME for
    a timeout, TEMPORARILY_UNAVAILABLE for anything else.
    """

    def __init__(self, partner_name: str, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(f"{partner_name}: {reason}")
        self.partner_name = partner_name
        self.reason = reason
        self.timed_out = timed_out

    @property
    def plain_reason(self) -> str:
        return NO_ANSWER_IN_TIME if self.timed_out else TEMPORARILY_UNAVAILABLE


class PartnerRefusal(Exception):
    """A definitive refusal: the partner did nothing."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What calling one partner takes; a plain value, so that no ORM row is held across awaits."""

    partner_id: int
    name: str
    base_url: str
    secret: str

    @classmethod
    def of(cls, partner: models.Partner) -> Endpoint:
        assert partner.base_url, "a push-only partner has no endpoint"
        return cls(partner.id, partner.name, partner.base_url, partner.signing_secret)


@dataclass(frozen=True, slots=True)
class IssuedReward:
    """A reward as the partner describes it (protocol 5.2): issued, or cancelled (a fence has no item)."""

    redemption_id: str
    status: str  # "issued" or "cancelled"
    item_id: str | None
    quantity: int | None
    voucher_code: str | None
    fulfilment_id: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    cancelled_at: datetime | None

    @property
    def issued(self) -> bool:
        return self.status == "issued"


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def _reward(body: Any) -> IssuedReward:
    if not isinstance(body, dict) or body.get("status") not in ("issued", "cancelled"):
        raise ValueError("not a reward")
    return IssuedReward(
        redemption_id=str(body.get("redemptionId")),
        status=body["status"],
        item_id=body.get("itemId"),
        quantity=body.get("quantity"),
        voucher_code=body.get("voucherCode"),
        fulfilment_id=body.get("fulfilmentId"),
        issued_at=_time(body.get("issuedAt")),
        expires_at=_time(body.get("expiresAt")),
        cancelled_at=_time(body.get("cancelledAt")),
    )


class _TooLarge(Exception):
    pass


async def _read_at_most(response: httpx.Response, max_bytes: int) -> bytes:
    """The (decoded) body, read chunk by chunk and given up on as soon as it exceeds `max_bytes`:
    a partner cannot make the club hold an answer of any size in memory, announced or not."""
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > max_bytes:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class PartnerClient:
    """One pooled HTTP client for every partner; made lazily, so that it belongs to the running loop."""

    def __init__(self) -> None:
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
            self._http = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10.0))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _call(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        payload: dict | None,
        deadline: float,
        max_bytes: int = ANSWER_MAX_BYTES,
    ) -> tuple[int, Any]:
        body = b"" if payload is None else orjson.dumps(payload)
        headers = signature_headers(endpoint.secret, body)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(deadline):
                request = self.http.build_request(method, endpoint.base_url + path, content=body, headers=headers)
                response = await self.http.send(request, stream=True)
                try:
                    raw = await _read_at_most(response, max_bytes)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise PartnerUnavailable(endpoint.name, f"no answer within {deadline:g} s", timed_out=True) from None
        except _TooLarge:
            raise PartnerUnavailable(endpoint.name, f"answered more than {max_bytes:,} bytes") from None
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(endpoint.name, f"could not be reached ({type(exc).__name__})") from None
        try:
            verify(endpoint.secret, response.headers, raw)
        except SignatureError as exc:
            raise PartnerUnavailable(endpoint.name, f"answered with a bad signature ({exc})") from None
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise PartnerUnavailable(endpoint.name, f"answered {response.status_code} with a body that is not JSON") from None
        if response.status_code >= 500:
            raise PartnerUnavailable(endpoint.name, f"answered {response.status_code}")
        if 400 <= response.status_code < 500 and response.status_code != 404:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise PartnerRefusal(response.status_code, str(error.get("code", "REFUSED")), str(error.get("message", "")))
        return response.status_code, data

    async def catalog(self, endpoint: Endpoint, *, deadline: float = CATALOG_DEADLINE) -> list[Any]:
        """The raw items of the partner's catalog; PartnerUnavailable for anything but a valid answer."""
        status, data = await self._call(endpoint, "GET", "/catalog", None, deadline, CATALOG_MAX_BYTES)
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise PartnerUnavailable(endpoint.name, "answered something that is not a catalog")
        return data["items"]

    async def issue(
        self, endpoint: Endpoint, *, redemption_id: str, item_id: str, quantity: int, member_reference: str, tier: str | None
    ) -> IssuedReward:
        payload = {
            "redemptionId": redemption_id,
            "itemId": item_id,
            "quantity": quantity,
            "member": {"reference": member_reference, "tier": tier},
        }
        status, data = await self._call(endpoint, "POST", "/rewards", payload, ISSUE_DEADLINE)
        return self._expect_reward(endpoint, status, data)

    async def status(self, endpoint: Endpoint, redemption_id: str) -> IssuedReward | None:
        """The reward, or None when the partner never heard of the redemption (404)."""
        status, data = await self._call(endpoint, "GET", f"/rewards/{redemption_id}", None, STATUS_DEADLINE)
        if status == 404:
            return None
        return self._expect_reward(endpoint, status, data)

    async def cancel(self, endpoint: Endpoint, redemption_id: str, *, reason: str) -> IssuedReward:
        status, data = await self._call(
            endpoint, "POST", f"/rewards/{redemption_id}/cancel", {"reason": reason}, CANCEL_DEADLINE
        )
        return self._expect_reward(endpoint, status, data)

    @staticmethod
    def _expect_reward(endpoint: Endpoint, status: int, data: Any) -> IssuedReward:
        if status not in (200, 201):
            raise PartnerUnavailable(endpoint.name, f"answered {status} where a reward was expected")
        try:
            return _reward(data)
        except ValueError:
            raise PartnerUnavailable(endpoint.name, "answered something that is not a reward") from None
