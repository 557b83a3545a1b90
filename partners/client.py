"""The club's side of the partner protocol (docs/partner-protocol.md): signed requests, verified answers.

Every call ends in one of three ways, and callers must treat them differently:
- the answer, parsed;
- `PartnerRefusal`: a definitive 4xx, the partner guarantees the request did nothing;
- `PartnerUnavailable`: a timeout, a dropped connection, a 5xx or an answer whose signature does not
  verify. For an issue or a cancel the outcome is then unknown: ask for the status, never assume.
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
from partners.protocol import SignatureError, signature_headers, verify

logger = logging.getLogger("clubgraph.partners")

CATALOG_DEADLINE = 1.5
ISSUE_DEADLINE = 5.0
STATUS_DEADLINE = 3.0
CANCEL_DEADLINE = 5.0


class PartnerUnavailable(Exception):
    """No valid answer: the outcome of the request is unknown."""

    def __init__(self, partner_name: str, reason: str) -> None:
        super().__init__(f"{partner_name}: {reason}")
        self.partner_name = partner_name
        self.reason = reason


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

    async def _call(self, endpoint: Endpoint, method: str, path: str, payload: dict | None, deadline: float) -> tuple[int, Any]:
        body = b"" if payload is None else orjson.dumps(payload)
        headers = signature_headers(endpoint.secret, body)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(deadline):
                response = await self.http.request(method, endpoint.base_url + path, content=body, headers=headers)
                raw = await response.aread()
        except TimeoutError:
            raise PartnerUnavailable(endpoint.name, f"no answer within {deadline:g} s") from None
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
        status, data = await self._call(endpoint, "GET", "/catalog", None, deadline)
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
