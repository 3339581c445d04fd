"""`tracegraph ingest`, `diagnose`, `labels`, `runs`, `db status` through the CLI, checked through the API."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli

HARBOR = FIXTURES / "harbor-atif"


def run(store_dir, *args):
    result = CliRunner().invoke(cli, ["--store", str(store_dir), *args], catch_exceptions=False)
    return result


def test_ingest_diagnose_labels(tmp_path):
    store_dir = tmp_path / "store"
    r = run(store_dir, "--json", "ingest", str(HARBOR / "dna-assembly__BC7CeVz"), str(HARBOR / "regex-log__XYfBZFy"))
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {x["outcome"] for x in data["runs"]} == {"failed", "infra_error"}
    r = run(store_dir, "--json", "diagnose", "--all")
    diagnoses = {d["run_id"].split("@")[0]: d for d in json.loads(r.output)}
    assert diagnoses["dna-assembly__BC7CeVz"]["onset_k"] == 10
    assert diagnoses["regex-log__XYfBZFy"]["category"] == "not_agent_fault"
    out = tmp_path / "labels.json"
    r = run(store_dir, "labels", "--format", "codetracebench", "-o", str(out))
    assert r.exit_code == 0
    labels = {x["name"]: x for x in json.loads(out.read_text())}
    dna = labels["dna-assembly__BC7CeVz"]
    assert dna["onset_step_id"] == 10
    assert any(10 in stage["incorrect_step_ids"] for stage in dna["labels"])
    assert set(dna["labels"][0]) == {"stage_id", "incorrect_step_ids", "unuseful_step_ids", "reasoning"}
    r = run(store_dir, "--json", "runs")
    assert {x["name"] for x in json.loads(r.output)} == {"dna-assembly__BC7CeVz", "regex-log__XYfBZFy"}


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    assert CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "db", "init"]).exit_code == 0
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "diagnose", "no-such-run"])
    assert r.exit_code == 1
    assert r.output.strip().count("\n") == 0 and "no run matches 'no-such-run'" in r.output
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "ingest", "--format", "nope", str(HARBOR)])
    assert r.exit_code == 1 and "unknown format 'nope'; valid:" in r.output


def test_db_status_counts(tmp_path):
    run(tmp_path / "s", "ingest", str(HARBOR / "dna-assembly__BC7CeVz"))
    data = json.loads(run(tmp_path / "s", "--json", "db", "status").output)
    assert data["nodes"]["Step"] == 10 and data["nodes"]["Run"] == 1
    assert data["schema_version"] == data["code_schema_version"]


def test_diagnose_table_cuts_the_why_column_and_evidence_names_each_step_once(tmp_path):
    from tracegraph.cli import CELL_WIDTH
    from tracegraph.diagnose import diagnose_run
    from tracegraph.store import open_store
    from tracegraph.store.info import resolve_run

    store_dir = tmp_path / "store"
    assert run(store_dir, "ingest", str(HARBOR / "filter-js-from-html__ANAXTHK")).exit_code == 0
    r = CliRunner(env={"COLUMNS": "400"}).invoke(cli, ["--store", str(store_dir), "diagnose", "filter-js"])
    assert r.exit_code == 0, r.output
    (row,) = [line for line in r.output.splitlines() if "filter-js-from-html" in line]
    why = row.split("│")[-2].strip()
    assert why.endswith("…") and len(why) == CELL_WIDTH and why.startswith("Onset at step 2")

    store = open_store(str(store_dir))
    try:
        result = diagnose_run(store, resolve_run(store, "filter-js"))
        assert len(result.reasoning) > CELL_WIDTH
        # the run ends on an unchecked write that is also the last step: cited once
        assert next(e for e in result.evidence if e.rule == "unverified_end").steps == [8]
        assert all(len(e.steps) == len(set(e.steps)) for e in result.evidence)
    finally:
        store.close()


def test_llm_spend_lists_only_what_is_known():
    from tracegraph.commands.diagnose import spend
    from tracegraph.diagnose.result import DiagnosisResult

    def result(**kw):
        return DiagnosisResult(run_id="r", method="llm", category="premature_stop", model="m", **kw)

    assert spend(result()) == []
    assert spend(result(prompt_tokens=1200)) == ["1,200 prompt tokens"]
    assert spend(result(prompt_tokens=5, completion_tokens=7, cost_usd=0.5)) == [
        "5 prompt + 7 completion tokens", "cost $0.5000"]
