"""Structured JSON logs; every line carries the request id of the request it belongs to, and the name of
the GraphQL operation once it is known. Access lines (api/metrics.py) add their fields under `fields`."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import datetime, timezone

import orjson

from schema.observe import current_operation

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            operation = current_operation.get()
            if operation is not None and operation.known:
                entry["operation"] = operation.name[:100] if operation.name else None
                entry["operation_type"] = operation.type
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
