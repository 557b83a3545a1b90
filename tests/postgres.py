"""A throwaway PostgreSQL server for tests and the benchmark: initdb into a temporary folder."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (candidates[0] if candidates else None)
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql package (apt-get install postgresql)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """initdb + pg_ctl on a temporary folder and a free loopback port; removed on stop()."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="clubgraph-pg-"))
        self.port = _free_port()
        # initdb refuses to run as root: run the server as the postgres system user then.
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> ThrowawayPostgres:
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        self._run(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run(_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c", f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    pg = ThrowawayPostgres().start()
    print(pg.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        pg.stop()
