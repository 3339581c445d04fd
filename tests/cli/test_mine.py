"""`tracegraph mine` through click's CliRunner on the Harbor runs, then checked through the Python API."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.mine import pattern_id
from tracegraph.store import open_store


def test_mine_ranks_patterns_with_p_values_and_says_them_in_words(tmp_path):
    store_dir = str(tmp_path / "store")
    runner = CliRunner(env={"COLUMNS": "200"})
    assert runner.invoke(cli, ["--store", store_dir, "ingest", str(FIXTURES / "harbor-atif")]).exit_code == 0

    result = runner.invoke(cli, ["--store", store_dir, "mine", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    loop = next(p for p in data["patterns"] if p["signature"] == "noop > repeat")
    # 9 failed runs: install-windows-3.11 failed on its verifier (infrastructure_failed) and is not mined
    assert (loop["support"], loop["support_solved"], loop["lift"]) == (5, 0, 1.222)
    assert round(loop["p_value"], 3) == 0.273 and loop["q_value"] >= loop["p_value"]
    assert len(data["diagnosed"]) == 9 and data["tested"] >= len(data["patterns"])

    text = runner.invoke(cli, ["--store", store_dir, "mine", "--dry-run", "--top", "40", "--model", "kimi"])
    assert text.exit_code == 0, text.output
    assert "noop > repeat" in text.output and "0.273" in text.output
    first = data["patterns"][0]
    assert f"1. {first['statement']}" in " ".join(text.output.split())
    assert f"found {len(data['patterns'])} patterns ({data['tested']} tested) from 9 failed and 2 solved runs" \
        in text.output

    none = runner.invoke(cli, ["--store", store_dir, "mine", "--dry-run", "--json", "--agent", "no-such-agent"])
    assert json.loads(none.output)["failed_runs"] == 0

    rows = runner.invoke(cli, ["--store", store_dir, "query", "pattern_runs", "-p", "pattern=noop > repeat", "--json"])
    assert rows.exit_code == 0, rows.output
    assert len(json.loads(rows.output)) == 5

    store = open_store(store_dir)
    try:
        stored = store.query("MATCH (r:Run)-[e:EXHIBITS]->(p:Pattern {id: $id}) RETURN p.statement AS statement, "
                             "e.outcome AS outcome", {"id": pattern_id("sequence", "noop > repeat")})
        assert len(stored) == 5 and {r["outcome"] for r in stored} == {"failed"}
        assert stored[0]["statement"] == loop["statement"]
        assert store.query("MATCH (p:Pattern) RETURN count(p) AS n")[0]["n"] == len(data["patterns"])
    finally:
        store.close()


def test_mine_help_ends_with_an_example():
    result = CliRunner().invoke(cli, ["mine", "--help"])
    assert result.exit_code == 0 and "Example: tracegraph mine" in result.output
