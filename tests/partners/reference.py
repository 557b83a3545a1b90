"""The reference partner as a real process for tests, and a club-side client that signs and verifies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from domain.signatures import signature_headers, verify
from tests.servers import REPO, start_on_a_free_port

SECRET = "test-partner-secret"


@dataclass
class PartnerProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, *, secret: str = SECRET, timeout: float = 5.0) -> httpx.Response:
        return self._checked(httpx.get(f"{self.url}{path}", headers=signature_headers(secret, b""), timeout=timeout))

    def post(self, path: str, payload: dict, *, secret: str = SECRET, timeout: float = 5.0) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {**signature_headers(secret, body), "Content-Type": "application/json"}
        return self._checked(httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=timeout))

    def switch(self, **switches) -> dict:
        return self.post("/_admin/switches", switches).json()

    def requests(self) -> dict[str, int]:
        """Protocol requests the partner received since it started, per endpoint: catalog, issue, status, cancel."""
        return self.get("/_admin/requests").json()

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        """The club verifies every answer, as the protocol asks; a test would fail on an unsigned one."""
        verify(SECRET, response.headers, response.content)
        return response

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextmanager
def partner_server(store: Path, *options: str, catalog: str = "wine") -> Iterator[PartnerProcess]:
    """`python -m partners.reference_server` on a free loopback port; always stopped at the end."""
    started: list[PartnerProcess] = []

    def start(port: int) -> PartnerProcess:
        command = [sys.executable, "-m", "partners.reference_server", "--name", "Test Cellar", "--port", str(port),
                   "--catalog", catalog, "--secret", SECRET, "--store", str(store), *options]
        log = store.with_suffix(f".{port}.log")
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
        started.append(PartnerProcess(url=f"http://127.0.0.1:{port}", process=process, log=log))
        return started[-1]

    try:
        yield start_on_a_free_port(start)
    finally:
        for partner in started:
            if partner.process.poll() is None:
                partner.process.kill()
                partner.process.wait()
