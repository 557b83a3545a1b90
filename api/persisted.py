"""Persisted operations: the first-party apps' documents in api/persisted/, allowed by their SHA-256 hash.

Requests name one with Apollo's `extensions: {"persistedQuery": {"version": 1, "sha256Hash": ...}}`,
with or without its `query`. The hash is that of the file's text without its leading and trailing
whitespace; the manifest is computed when this module is imported, so there is nothing to keep in
sync. In production a member's token may run only these documents (see `document_of`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse

FOLDER = Path(__file__).resolve().parent / "persisted"


@dataclass(frozen=True, slots=True)
class PersistedOperation:
    name: str
    sha256: str
    document: str


class Refusal(Exception):
    """A request refused before its operation runs; the message says why."""

    def __init__(self, code: str, message: str, *, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.strip().encode()).hexdigest()


def load(folder: Path = FOLDER) -> dict[str, PersistedOperation]:
    """The operations by hash; a file that is not one named operation stops the start-up."""
    operations = {}
    for path in sorted(folder.glob("*.graphql")):
        document = path.read_text().strip()
        definitions = parse(document).definitions
        named = [d for d in definitions if isinstance(d, OperationDefinitionNode) and d.name is not None]
        if len(definitions) != 1 or len(named) != 1:
            raise ValueError(f"{path.name} must hold exactly one named operation")
        operation = PersistedOperation(name=named[0].name.value, sha256=sha256_of(document), document=document)
        operations[operation.sha256] = operation
    return operations


MANIFEST = load()


def document_of(query: str | None, extensions: dict[str, Any] | None, *, listed_only: bool) -> str | None:
    """The document to run: the persisted one a hash names, or the query sent.

    `listed_only` refuses any other document (a member's token in production). A query sent with a
    hash must match it; it runs as if sent alone, so it is allowed only if it is in the manifest.
    """
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is not None:
        sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(sha, str):
            raise Refusal(
                "BAD_USER_INPUT",
                'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<the document\'s SHA-256 in hex>"}',
                status=400,
            )
        if query is None:
            operation = MANIFEST.get(sha.lower())
            if operation is None:
                # HTTP 200, as Apollo clients expect before they retry with the query.
                raise Refusal("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=200)
            return operation.document
        if sha256_of(query) != sha.lower():
            raise Refusal(
                "PERSISTED_QUERY_HASH_MISMATCH", "The query does not match extensions.persistedQuery.sha256Hash", status=400
            )
    if listed_only and query is not None and sha256_of(query) not in MANIFEST:
        raise Refusal(
            "OPERATION_NOT_ALLOWED",
            "This operation is not one of the app's persisted operations: send a persisted operation's hash",
            status=400,
        )
    return query
