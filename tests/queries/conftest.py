"""One store per engine with the query fixtures loaded and diagnosed, shared by the tests of this folder."""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES, _open
from tests.support import FIXTURES, gold_records
from tracegraph.diagnose import DiagnosisResult, diagnose_run, failed_run_ids, write_diagnosis
from tracegraph.evaluate.onsets import gold_stage_of
from tracegraph import ingest_paths
from tracegraph.mine import mine_patterns

TB1 = FIXTURES / "terminal-bench-1"
QUERY_FIXTURES = [
    FIXTURES / "harbor-atif",
    TB1 / "20250711_openhands_claude-4-sonnet" / "blind-maze-explorer-5x5.1-of-1.openhands-sonnet",
    TB1 / "20250825_swe-agent-mini_claude-4-sonnet" / "blind-maze-explorer-5x5.1-of-1.2025-08-07__20-46-16",
    FIXTURES / "tb-claude-code" / "c4" / "jupyter-notebook-server",
    FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server",
    FIXTURES / "swe-agent" / "upstream"
    / "gpt4__swe-bench-dev-easy_first_only__default__t-0.00__p-0.95__c-3.00__install-1",
    FIXTURES / "swe-agent" / "coder" / "trajs" / "psf__requests-2317.traj",
]
"""Harbor trials, a task solved by one agent and failed by another, a task failed twice, and two SWE-agent runs:
one deletes the script it wrote, one re-creates a file empty after editing it."""


def write_gold_diagnoses(store) -> None:
    """The dev-set labels of the Harbor runs as Diagnosis nodes of method `gold`: fixed onsets to query against."""
    for gold in gold_records():
        if gold["format"] != "harbor-atif":
            continue
        name = gold["source"].split("/")[-1]
        run_id = store.query("MATCH (r:Run {name: $n}) RETURN r.id AS id", {"n": name})[0]["id"]
        write_diagnosis(store, DiagnosisResult(
            run_id=run_id, method="gold", onset_k=gold["onset_step_id"],
            onset_stage=gold_stage_of(gold, gold["onset_step_id"]), category=gold["category"],
            chain_ks=gold["chain_step_ids"], incorrect_ks=gold["incorrect_step_ids"],
            unuseful_ks=gold["unuseful_step_ids"]))


@pytest.fixture(scope="package", params=ENGINES)
def graph(request, tmp_path_factory):
    """QUERY_FIXTURES ingested into a fresh store per engine, every failed run diagnosed (heuristic) plus gold,
    patterns mined: every label and relationship type of the schema is in it."""
    store = _open(request.param, tmp_path_factory.mktemp("graph"), request)
    report = ingest_paths(QUERY_FIXTURES, store)
    assert not report.errors, report.errors
    for run_id in failed_run_ids(store):
        diagnose_run(store, run_id)
    write_gold_diagnoses(store)
    mine_patterns(store)
    yield store
    store.close()


@pytest.fixture(scope="package")
def run_id(graph):
    def lookup(name: str) -> str:
        return graph.query("MATCH (r:Run {name: $n}) RETURN r.id AS id", {"n": name})[0]["id"]
    return lookup
