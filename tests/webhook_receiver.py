"""A webhook receiver for tests: a real HTTP server on a free port, in its own thread and event loop.

It records every request and answers the next scripted status (200 once the script is used up), or
holds the request open without answering while `hold` is set. Its own loop keeps it answering while
the test blocks, e.g. while tests/servers.py waits for a server to start.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> dict:
        return orjson.loads(self.body)


class Receiver:
    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.hold = False
        self._statuses = list(statuses)
        self._lock = threading.Lock()
        self._requests: list[Received] = []
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task] = set()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(5)
        self.url = f"http://127.0.0.1:{self._port}/hooks"

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """The requests, once at least `count` have arrived or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self._port = self._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._handle(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            headers = {}
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if value:
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            with self._lock:
                self._requests.append(Received(headers, body, time.monotonic()))
                hold = self.hold
                status = self._statuses.pop(0) if self._statuses else 200
            if hold:
                await asyncio.sleep(3600)  # until the client gives up, or the receiver stops
            writer.write(f"HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@contextmanager
def receiving(statuses: Iterable[int] = ()) -> Iterator[Receiver]:
    receiver = Receiver(statuses)
    try:
        yield receiver
    finally:
        receiver.stop()
