"""Real servers for tests: uvicorn in its own process on a free port, spoken to over real HTTP."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.factories import SECRET_KEY

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
PORT_ATTEMPTS = 3

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a process manager would send it; the exit status once the server has shut down."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the server did not stop within {STOP_TIMEOUT} s after SIGTERM:\n{self.output()}")


def _wait_until_healthy(server: Any) -> bool:
    """True once the server (a ServerProcess or a partner's) answers /health; False when it exited because
    another process took its port between `_free_port` and its bind (the suite's two passes run side by
    side), for the caller to start it again on another port. Any other exit fails the test."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            if "address already in use" in server.output():
                return False
            pytest.fail(f"the server exited with status {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /health within {START_TIMEOUT} s:\n{server.output()}")


def start_on_a_free_port(start: Callable[[int], T]) -> T:
    """`start(port)` on a free loopback port, again on another if that one was taken before the bind."""
    for _ in range(PORT_ATTEMPTS):
        server = start(_free_port())
        if _wait_until_healthy(server):
            return server
    pytest.fail(f"{PORT_ATTEMPTS} ports in a row were taken before the server could bind them")


def _wait_for_workers(server: ServerProcess, workers: int) -> None:
    """/health answered by one worker: wait until every worker has started, so that tests meant to
    spread over several processes really do."""
    deadline = time.monotonic() + START_TIMEOUT
    while server.output().count("Started server process") < workers:
        if time.monotonic() > deadline:
            pytest.fail(f"only some of the {workers} workers started within {START_TIMEOUT} s:\n{server.output()}")
        time.sleep(0.1)


@contextmanager
def serve(database_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A uvicorn process serving the test database; always stopped, even when the test fails.

    `env` adds environment variables, or overrides the test ones (CLUBGRAPH_ENV, for one).
    """
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLUBGRAPH_ENV": "test",
        "CLUBGRAPH_SECRET_KEY": SECRET_KEY,
        "CLUBGRAPH_LOG_LEVEL": "warning",
        # Concurrency tests fire many requests with one token; tests of the limit turn it back on.
        "CLUBGRAPH_RATE_LIMIT_PER_SECOND": "0",
        **(env or {}),
    }
    with tempfile.TemporaryDirectory(prefix="clubgraph-server-") as folder:
        started: list[ServerProcess] = []

        def start(port: int) -> ServerProcess:
            command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
            command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
            log = Path(folder) / f"server-{port}.log"
            with log.open("wb") as sink:
                # A session of its own: with --workers, killing uvicorn alone would leave its workers running
                # (with their background jobs and webhook dispatchers) against the next tests' database.
                process = subprocess.Popen(
                    command, cwd=REPO, env=environ, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
                )
            started.append(ServerProcess(url=f"http://127.0.0.1:{port}", process=process, log=log))
            return started[-1]

        try:
            running = start_on_a_free_port(start)
            _wait_for_workers(running, workers)
            yield running
        finally:
            for server in started:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()
