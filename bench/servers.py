"""Starting and stopping the servers the benchmark measures."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def uvicorn(target: str, port: int, env: dict[str, str], *, factory: bool = False, workers: int = 1) -> subprocess.Popen[bytes]:
    # A few tokens make every request of a run: the per-token rate limit would measure itself.
    # It measures how queries run, so member tokens may send the benchmark's own documents, as
    # behind a gateway (CLUBGRAPH_PERSISTED_ONLY=0) rather than only the apps' persisted ones.
    # The hourly background jobs would run at start-up, in the middle of the first scenario measured.
    env = {
        "CLUBGRAPH_RATE_LIMIT_PER_SECOND": "0",
        "CLUBGRAPH_PERSISTED_ONLY": "0",
        "CLUBGRAPH_JOBS_INTERVAL_SECONDS": "0",
        **env,
    }
    args = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(port), "--workers", str(workers)]
    args += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen([*args, *(["--factory"] if factory else [])], cwd=ROOT, env=env)


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            httpx.post(f"http://{HOST}:{port}/graphql", json={"query": "{ __typename }"}, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not start within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
