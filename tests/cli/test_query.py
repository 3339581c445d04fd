"""`tracegraph query` and `tracegraph queries` through click's CliRunner on a Harbor run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import CELL_WIDTH, cell_text, cli
from tracegraph.errors import RunNotFoundError
from tracegraph.queries import list_queries, run_query
from tracegraph.store import open_store


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


FILTER_JS = FIXTURES / "harbor-atif" / "filter-js-from-html__ANAXTHK"


def _diagnosed_store(tmp_path) -> str:
    store_dir = str(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store_dir, "ingest", str(FILTER_JS),
                               str(FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz")]).exit_code == 0
    assert runner.invoke(cli, ["--store", store_dir, "diagnose", "--all"]).exit_code == 0
    return store_dir


def test_a_run_parameter_takes_a_name_a_prefix_or_the_id(tmp_path):
    store_dir = _diagnosed_store(tmp_path)
    runner = CliRunner()
    answers = {}
    for ref in ("filter-js-from-html__ANAXTHK", "filter-js"):
        result = runner.invoke(cli, ["--store", store_dir, "query", "failure_chain", "-p", f"run_id={ref}",
                                     "-p", "method=heuristic", "--json"])
        assert result.exit_code == 0, result.output
        answers[ref] = json.loads(result.output)
    assert answers["filter-js"] == answers["filter-js-from-html__ANAXTHK"] and answers["filter-js"]

    store = open_store(store_dir)
    try:
        run_id = store.query("MATCH (r:Run {name: 'filter-js-from-html__ANAXTHK'}) RETURN r.id AS id")[0]["id"]
        by_id = run_query(store, "failure_chain", {"run_id": run_id, "method": "heuristic"})
        assert json.loads(json.dumps(by_id)) == answers["filter-js"]
        # Cypher text: $run_id is read as a run too
        assert run_query(store, "MATCH (r:Run {id: $run_id}) RETURN r.id AS id", {"run_id": "dna-ass"}) == [
            {"id": store.query("MATCH (r:Run {name: 'dna-assembly__BC7CeVz'}) RETURN r.id AS id")[0]["id"]}]
        with pytest.raises(RunNotFoundError, match="no run matches 'nope'"):
            run_query(store, "next_chain", {"run_id": "nope"})
    finally:
        store.close()


def test_a_missing_parameter_is_named_with_the_query_parameter_list(tmp_path):
    store_dir = _diagnosed_store(tmp_path)
    result = CliRunner().invoke(cli, ["--store", store_dir, "query", "failure_chain", "-p", "run_id=filter-js"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "missing parameter method" in result.output
    assert "failure_chain takes: run_id (run: its name, a unique prefix or its id), method (string:" in result.output
    text = CliRunner().invoke(cli, ["--store", store_dir, "query", "MATCH (r:Run) WHERE r.name = $name "
                                    "AND r.outcome = 'it costs $5' RETURN r.id"])
    assert text.exit_code == 1 and "missing parameter name (" in text.output and "uses: name" in text.output


def test_table_cells_are_cut_with_an_ellipsis_and_json_keeps_them_whole(tmp_path):
    store_dir = _diagnosed_store(tmp_path)
    args = ["--store", store_dir, "query", "failure_chain", "-p", "run_id=filter-js", "-p", "method=heuristic"]
    rows = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    whole = rows[0]["action"]
    assert len(whole) > 1000  # the whole file the Write step wrote
    result = CliRunner(env={"COLUMNS": "400"}).invoke(cli, args)
    assert result.exit_code == 0
    cell = cell_text(whole)
    assert len(cell) == CELL_WIDTH and cell.endswith("…") and cell in result.output
    assert len(result.output.splitlines()) == 4 + len(rows) + 1  # title, header box, one line per row, bottom
    assert "test_outputs.py::test_clean_html_unchanged" in result.output  # a list cell, joined


def test_cell_text_is_one_line():
    assert cell_text("a\n  b\tc") == "a b c"
    assert cell_text(["x", "y"]) == "x, y"
    assert cell_text(None) == "" and cell_text("x" * 10, width=None) == "x" * 10
    assert cell_text("abcdef", width=4) == "abc…"
