"""Start the demo's two reference partners (a wine merchant and a spa) on loopback ports.

    python -m partners.run_demo            # prints their URLs and secrets, runs until Ctrl-C

`start_demo_partners()` is the same for the club's own run command: it returns the running
processes, which the caller stops with `stop_demo_partners()`. The secrets are fixed and public:
they are for the demo on loopback only, never for a real partner.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoPartner:
    name: str
    catalog: str
    port: int
    secret: str
    category: str

    @property
    def url(self) -> str:
        """Where it listens: its port, moved by CLUBGRAPH_DEMO_PORT_OFFSET (e.g. for two demos side by side)."""
        return f"http://127.0.0.1:{self.port + demo_port_offset()}"


def demo_port_offset() -> int:
    """CLUBGRAPH_DEMO_PORT_OFFSET, added to the demo partners' ports both when the demo data registers
    them and when the run command starts them; 0 when unset."""
    raw = os.environ.get("CLUBGRAPH_DEMO_PORT_OFFSET", "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or int(raw) > 50_000:
        raise ValueError(f"CLUBGRAPH_DEMO_PORT_OFFSET must be a whole number from 0 to 50000, not {raw!r}")
    return int(raw)


DEMO_PARTNERS = (
    DemoPartner("Cellier Marceau", "wine", 8101, "demo-wine-signing-secret", "wine merchant"),
    DemoPartner("Thermes Aurelia", "spa", 8102, "demo-spa-signing-secret", "spa"),
)


def start_demo_partners(*, store_dir: Path = REPO / "data" / "partners", port_offset: int | None = None,
                        ports: tuple[int, ...] | None = None, timeout: float = 15.0) -> list[subprocess.Popen]:
    """Start both partners and wait until they answer /health; stops them again if one does not.

    `ports` replaces the demo ports (one per partner, in DEMO_PARTNERS order), e.g. for tests.
    """
    offset = demo_port_offset() if port_offset is None else port_offset
    ports = ports or tuple(partner.port + offset for partner in DEMO_PARTNERS)
    store_dir.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        for partner, port in zip(DEMO_PARTNERS, ports, strict=True):
            command = [sys.executable, "-m", "partners.reference_server", "--name", partner.name,
                       "--port", str(port), "--catalog", partner.catalog,
                       "--secret", partner.secret, "--store", str(store_dir / f"{partner.catalog}.sqlite3")]
            processes.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL))
        for port, process in zip(ports, processes, strict=True):
            _wait_for_health(f"http://127.0.0.1:{port}", process, timeout)
    except BaseException:
        stop_demo_partners(processes)
        raise
    return processes


def _wait_for_health(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the partner at {url} exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the partner at {url} did not answer /health within {timeout} s")


def stop_demo_partners(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m partners.run_demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port-offset", type=int, default=None,
                        help="added to the demo ports 8101 and 8102 (default: CLUBGRAPH_DEMO_PORT_OFFSET, else 0)")
    parser.add_argument("--store-dir", type=Path, default=REPO / "data" / "partners")
    args = parser.parse_args(argv)
    processes = start_demo_partners(store_dir=args.store_dir, port_offset=args.port_offset)
    for partner in DEMO_PARTNERS:
        offset = demo_port_offset() if args.port_offset is None else args.port_offset
        print(f"{partner.name} ({partner.category}): http://127.0.0.1:{partner.port + offset}"
              f"  secret {partner.secret}", flush=True)
    print("Ctrl-C stops both.", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("a partner stopped; stopping the other", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stop_demo_partners(processes)


if __name__ == "__main__":
    main()
