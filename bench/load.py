"""A small closed-loop HTTP/1.1 load generator: keep-alive connections, latency per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def post_request(host: str, port: int, path: str, body: bytes, token: str | None = None) -> bytes:
    headers = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def run_load(
    host: str, port: int, request: bytes | Callable[[], bytes], *, connections: int, seconds: float, warmup: float
) -> LoadResult:
    """Each connection sends the request, waits for the answer, and sends again until time is up.

    `request` may be a function that builds each request anew, e.g. with a fresh idempotency key.
    """
    make = request if callable(request) else lambda: request
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    start_measuring = time.perf_counter() + warmup
    stop = start_measuring + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop:
                    return
                writer.write(make())
                status = await _read_response(reader)
                done = time.perf_counter()
                if sent >= start_measuring:
                    latencies.append((done - sent) * 1000)
                    counts["ok" if status == 200 else "errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return LoadResult(counts["ok"], counts["errors"], seconds, latencies)
