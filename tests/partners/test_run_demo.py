"""The demo's two partners start side by side, each with its own catalog and secret, and stop cleanly."""

import signal

import httpx

from domain.signatures import signature_headers, verify
from partners.run_demo import DEMO_PARTNERS, start_demo_partners, stop_demo_partners
from tests.servers import _free_port


def test_the_demo_starts_a_wine_merchant_and_a_spa(tmp_path):
    # given
    ports = (_free_port(), _free_port())
    processes = start_demo_partners(store_dir=tmp_path, ports=ports)
    try:
        # when
        catalogs = {}
        for partner, port in zip(DEMO_PARTNERS, ports, strict=True):
            response = httpx.get(f"http://127.0.0.1:{port}/catalog", headers=signature_headers(partner.secret, b""))
            verify(partner.secret, response.headers, response.content)
            catalogs[response.json()["partner"]["name"]] = {item["category"] for item in response.json()["items"]}
    finally:
        stop_demo_partners(processes)
    # then
    assert catalogs == {
        "Cellier Marceau": {"experience", "wine", "gift card"},
        "Thermes Aurelia": {"wellness", "treatment", "stay"},
    }
    assert [process.returncode for process in processes] == [-signal.SIGTERM, -signal.SIGTERM]  # a clean stop
    assert sorted(path.name for path in tmp_path.glob("*.sqlite3")) == ["spa.sqlite3", "wine.sqlite3"]


def test_the_demo_secrets_and_ports_are_distinct():
    assert len({partner.secret for partner in DEMO_PARTNERS}) == len({partner.port for partner in DEMO_PARTNERS}) == 2
