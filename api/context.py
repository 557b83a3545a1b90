"""The per-request GraphQL context: who is asking, fresh DataLoaders, and the request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.responses import Response

from api.settings import Settings
from domain.viewer import Viewer
from loaders import Loaders
from partners.federation import CatalogFederation


@dataclass(slots=True)
class Context:
    viewer: Viewer
    settings: Settings
    request_id: str
    federation: CatalogFederation
    loaders: Loaders = field(default_factory=Loaders)
    api_key: str | None = None  # the prefix of a partner's API key: its cost budget (schema/cost.py)
    response: Response | None = None  # the HTTP response's status and headers, e.g. 429 and Retry-After
    session_id: str | None = None  # the sign-in the bearer token belongs to, for `logout`
    client_address: str = "unknown"  # the peer's address, for throttling sign-ins
    # A WebSocket's: what its `connection_init` sent, and when its token expires (subscriptions end then).
    connection_params: dict[str, object] | None = None
    token_expires_at: datetime | None = None
