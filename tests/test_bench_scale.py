"""bench/scale.py's EXPLAIN of logged statements: the parameters of one execution of each."""

from __future__ import annotations

from bench.scale import one_execution


def test_a_statement_with_one_list_parameter_is_one_execution_whatever_the_lists_length():
    sql = 'SELECT t0."id" FROM "benefit" t0 WHERE t0."tier_id" = ANY($1) ORDER BY t0."id"'
    assert one_execution(sql, [[3, 4, 2, 1]]) == [[3, 4, 2, 1]]
    assert one_execution(sql, [[3]]) == [[3]]


def test_an_executemany_is_explained_with_its_first_row():
    sql = "INSERT INTO audit_entry (action, member_id) VALUES ($1, $2)"
    assert one_execution(sql, [["Member.phone", 1], ["Member.email", 2], ["Member.email", 3]]) == ["Member.phone", 1]
    assert one_execution(sql, [["Member.phone", 1]]) == ["Member.phone", 1]


def test_plain_parameters_stay_as_they_are():
    sql = "SELECT 1 FROM auth_session WHERE id = $1 AND expires_at > $2"
    assert one_execution(sql, ["abc", "2026-12-05"]) == ["abc", "2026-12-05"]
    assert one_execution("SELECT 1", []) == []
