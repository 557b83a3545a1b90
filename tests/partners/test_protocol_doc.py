"""docs/partner-protocol.md stays true: its worked signature example and catalog item match the code."""

import json
import re
from pathlib import Path

from partners.catalogs import WINE
from domain.signatures import WINDOW_SECONDS, sign

DOC = (Path(__file__).resolve().parents[2] / "docs" / "partner-protocol.md").read_text()


def test_the_worked_signature_example_is_what_sign_computes():
    # given: the example as an integrator reads it
    body = re.search(r"timestamp `1790000000`, body\n\n```\n(.+)\n```", DOC).group(1).encode()
    with_body, empty = re.findall(r"`(v1=[0-9a-f]{64})`", DOC)
    # then
    assert with_body == sign("example-secret", 1790000000, body)
    assert empty == sign("example-secret", 1790000000, b"")


def test_the_documented_window_is_the_one_enforced():
    assert f"more than **{WINDOW_SECONDS} seconds**" in DOC


def test_the_catalog_example_is_an_item_the_reference_partner_serves():
    example = json.loads(re.search(r"### 5.1 .*?```json\n(.+?)\n```", DOC, re.S).group(1))["items"][0]
    barolo = next(item for item in WINE if item.id == example["id"])
    assert example == barolo.as_json(barolo.stock)
