"""`tracegraph quality`: the summary table, --json and --docs, on a store with one planted bad row."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.store import open_store
from tracegraph.store.plan import Statement
from tracegraph.store.quality import check_store

RUNS = ["dna-assembly__BC7CeVz", "filter-js-from-html__ANAXTHK"]


def test_quality_prints_the_failing_expectation_and_the_run(tmp_path):
    corpus = tmp_path / "runs"
    for name in RUNS:
        shutil.copytree(FIXTURES / "harbor-atif" / name, corpus / name)
    store = str(tmp_path / "store")
    assert CliRunner().invoke(cli, ["--store", store, "ingest", str(corpus), "--workers", "0"]).exit_code == 0
    with open_store(store) as s:
        run_id = s.query("MATCH (r:Run {name: $n}) RETURN r.id AS id", {"n": RUNS[0]})[0]["id"]
        steps = s.query("MATCH (r:Run {id: $id}) RETURN r.step_count AS n", {"id": run_id})[0]["n"]
        s.execute([Statement("MATCH (s:Step {run_id: $id, k: 3}) SET s.tool = ''", {"id": run_id})])
        expected = check_store(s)

    done = CliRunner().invoke(cli, ["--store", store, "--json", "quality"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data == expected
    assert data["issues"] == [{"run_id": run_id, "name": RUNS[0], "issues": ["step 3 has an empty tool name"]}]
    failed = [(e["expectation"], e["columns"], e["unexpected"]) for e in data["expectations"] if not e["success"]]
    assert failed == [("expect_column_values_to_match_regex", ["tool"], 1)]
    assert data["runs"] == 2 and data["steps"] > steps

    shown = CliRunner().invoke(cli, ["--store", store, "quality", "--docs", str(tmp_path / "docs")])
    assert shown.exit_code == 0, shown.output
    assert f"2 runs, {data['steps']} steps ({data['rows']} step-table rows): 7 of 8 expectations met" in shown.output
    assert f"{RUNS[0]} │ step 3 has an empty tool name" in shown.output
    assert f"Data Docs: {tmp_path / 'docs' / 'index.html'}" in shown.output
    assert (tmp_path / "docs" / "index.html").is_file()
