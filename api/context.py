"""The per-request GraphQL context: who is asking, fresh DataLoaders, and the request id."""

from __future__ import annotations

from dataclasses import dataclass, field

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
