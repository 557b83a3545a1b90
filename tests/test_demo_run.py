"""The run command's demo: `clubgraph serve --demo` (what `./dev run` calls) starts the demo partners beside
the club, and the federated catalog shows their items with the club's own and the push-only florist's."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from partners.run_demo import DEMO_PARTNERS
from tests.servers import REPO, START_TIMEOUT, ServerProcess, _free_port, _wait_until_healthy

CATALOG = "{ rewards(first: 100) { totalCount edges { node { title partnerName isClubReward } } } }"


def _free_demo_port_offset() -> int:
    """An offset that moves both demo partners to free ports, so that the test never meets a demo already running."""
    for _ in range(100):
        offset = random.randrange(10_000, 40_000)
        try:
            for partner in DEMO_PARTNERS:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", partner.port + offset))
        except OSError:
            continue
        return offset
    raise RuntimeError("no free ports for the demo partners")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_the_demo_run_serves_the_club_with_its_partners_and_stops_them_with_it(monkeypatch, stop):
    # given
    port = _free_port()
    monkeypatch.setenv("CLUBGRAPH_DEMO_PORT_OFFSET", str(_free_demo_port_offset()))
    with tempfile.TemporaryDirectory(prefix="clubgraph-demo-") as folder:
        environ = {**os.environ, "DATABASE_URL": f"sqlite://{Path(folder) / 'demo.sqlite3'}", "CLUBGRAPH_PORT": str(port)}
        log = Path(folder) / "serve.log"
        command = [sys.executable, "-m", "api.cli", "serve", "--demo", "--members", "20"]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=REPO, env=environ, stdout=sink, stderr=subprocess.STDOUT)
        server = ServerProcess(url=f"http://127.0.0.1:{port}", process=process, log=log)
        try:
            assert _wait_until_healthy(server), f"its port was taken before it could bind it:\n{server.output()}"
            # when
            answer = httpx.post(f"{server.url}/graphql", json={"query": CATALOG}, timeout=START_TIMEOUT).json()
            process.send_signal(stop)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output = server.output()
    # then
    assert "errors" not in answer, answer
    sources = {edge["node"]["partnerName"] for edge in answer["data"]["rewards"]["edges"]}
    assert sources == {None, "Cellier Marceau", "Thermes Aurelia", "Fleurs Sauveterre"}, output
    for partner in DEMO_PARTNERS:  # partner.url follows CLUBGRAPH_DEMO_PORT_OFFSET
        assert f"{partner.name}" in output and partner.url in output
    for partner in DEMO_PARTNERS:  # stopped with the club: nothing answers on their ports any more
        try:
            httpx.get(f"{partner.url}/health", timeout=1.0)
            raise AssertionError(f"{partner.name} still answers after the demo stopped")
        except httpx.TransportError:
            pass
