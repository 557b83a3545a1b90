"""Strawberry types, queries and mutations; `build_schema` composes them."""

from schema.root import build_schema, sdl

__all__ = ["build_schema", "sdl"]
