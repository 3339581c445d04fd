"""`tracegraph query` and `tracegraph queries` through click's CliRunner on a Harbor run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.queries import list_queries


def test_queries_lists_every_query_with_what_it_answers():
    result = CliRunner().invoke(cli, ["queries", "--json"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == {q.name for q in list_queries()}
    assert rows["loops"]["parameters"] == ["min_length", "include_unblamed"] and rows["loops"]["description"]
    assert rows["loops"]["defaults"] == {"include_unblamed": False}


def test_query_runs_a_named_query_with_params(tmp_path):
    store_dir = str(tmp_path / "store")
    runner = CliRunner()
    trial = FIXTURES / "harbor-atif" / "openssl-selfsigned-cert__6aDSXLS"
    assert runner.invoke(cli, ["--store", store_dir, "ingest", str(trial)]).exit_code == 0
    result = runner.invoke(cli, ["--store", store_dir, "query", "loops", "--param", "min_length=3", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert (rows[0]["from_k"], rows[0]["to_k"], rows[0]["all_noop"]) == (9, 14, True)
    table = runner.invoke(cli, ["--store", store_dir, "query", "loops", "-p", "min_length=6"])
    assert table.exit_code == 0 and "1 rows" in table.output


def test_unknown_query_names_the_valid_ones(tmp_path):
    assert CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "db", "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "query", "no_such_query"])
    assert result.exit_code == 1
    assert "unknown query 'no_such_query'" in result.output and "failure_chain" in result.output
