"""schema.graphql, checked in at the repository root, is the SDL of the schema the code builds."""

from __future__ import annotations

import difflib

import api.cli
from api.cli import SCHEMA_FILE, main
from schema import sdl


def test_schema_graphql_is_the_sdl_of_the_schema():
    # given
    checked_in = SCHEMA_FILE.read_text()
    # when
    built = sdl()
    # then
    diff = "".join(difflib.unified_diff(checked_in.splitlines(True), built.splitlines(True), "schema.graphql", "sdl()"))
    assert checked_in == built, f"schema.graphql is stale: run `clubgraph schema` and commit it\n{diff}"


def test_schema_check_passes_on_the_checked_in_file(capsys):
    # when
    status = main(["schema", "--check"])
    # then
    assert status == 0
    assert capsys.readouterr().out == "schema.graphql is up to date\n"


def test_schema_check_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    # given
    stale = tmp_path / "schema.graphql"
    member = 'type Member implements Node @key(fields: "id", resolvable: true) {'
    assert member in sdl()
    stale.write_text(sdl().replace(member, f"{member}\n  old: Boolean!"))
    monkeypatch.setattr(api.cli, "SCHEMA_FILE", stale)
    # when
    status = main(["schema", "--check"])
    # then
    assert status == 1
    assert capsys.readouterr().err == "schema.graphql is stale: run `clubgraph schema` and commit it\n"
