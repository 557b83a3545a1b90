"""The suite's servers start on a free port, and on another when that one is taken before they bind it.

The suite's SQLite and PostgreSQL passes run side by side, so a port `_free_port` found free can be
taken by the other pass before the server binds it (it happened to a reference partner in CI).
"""

from __future__ import annotations

import socket

import httpx

from tests import servers
from tests.partners.reference import partner_server


def test_a_partner_whose_port_was_taken_starts_on_another(tmp_path, monkeypatch):
    # given: the first port handed out is held by another listener
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        handed_out = []
        free_port = servers._free_port

        def first_the_taken_one() -> int:
            handed_out.append(taken if not handed_out else free_port())
            return handed_out[-1]

        monkeypatch.setattr(servers, "_free_port", first_the_taken_one)
        # when
        with partner_server(tmp_path / "cellar.sqlite3") as partner:
            # then
            assert len(handed_out) == 2 and partner.url == f"http://127.0.0.1:{handed_out[1]}"
            assert httpx.get(f"{partner.url}/health", timeout=5).status_code == 200
        assert "address already in use" in (tmp_path / f"cellar.{taken}.log").read_text()
