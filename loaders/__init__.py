"""Per-request DataLoaders: one SQL statement per batch, whatever the number of rows asked for."""

from loaders.container import Loaders

__all__ = ["Loaders"]
