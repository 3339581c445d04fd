"""`check_store`: the ingest's quality suite over what a store holds finds what the ingest found, and rows planted
into the stored graph afterwards, each under its expectation with the count of unexpected step rows."""

from __future__ import annotations

import pytest

from tests.support import LATE_STEP_ISSUE, LATE_STEP_TRIAL, harbor_with_a_late_step
from tracegraph.load import ingest_paths
from tracegraph.store.plan import Statement
from tracegraph.store.quality import check_store

VICTIM, BACKWARDS = LATE_STEP_TRIAL, LATE_STEP_ISSUE
EMPTY_TOOL_RUN = "dna-assembly__BC7CeVz"


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    return harbor_with_a_late_step(tmp_path_factory.mktemp("store-quality") / "runs")


def _by_type(report, expectation, columns):
    return next(e for e in report["expectations"] if e["expectation"] == expectation and e["columns"] == columns)


def test_stored_runs_get_the_ingest_verdicts_and_planted_rows_fail_their_expectation(trials, store, tmp_path):
    ingested = ingest_paths([trials], store, workers=0)
    assert {r.name: r.quality_issues for r in ingested.runs if r.quality_issues} == {VICTIM: [BACKWARDS]}
    steps = sum(r.steps for r in ingested.runs)

    report = check_store(store)
    assert (report["runs"], report["steps"], report["rows"]) == (len(ingested.runs), steps, steps)
    assert [(r["name"], r["issues"]) for r in report["issues"]] == [(VICTIM, [BACKWARDS])]
    assert not report["success"] and report["docs"] is None
    assert _by_type(report, "expect_column_values_to_be_between", ["ts_back_ms"])["unexpected"] == 1
    assert sum(not e["success"] for e in report["expectations"]) == 1

    # Rows changed behind the ingest's back: an empty tool name on one step, a wrong step count on another run.
    ids = {r.name: r.run_id for r in ingested.runs}
    wrong_count_run = next(r for r in ingested.runs if r.name not in (VICTIM, EMPTY_TOOL_RUN) and r.steps > 1)
    store.execute([
        Statement("MATCH (s:Step {run_id: $id, k: 2}) SET s.tool = ''", {"id": ids[EMPTY_TOOL_RUN]}),
        Statement("MATCH (r:Run {id: $id}) SET r.step_count = $n", {"id": wrong_count_run.run_id,
                                                                   "n": wrong_count_run.steps + 5}),
    ])
    report = check_store(store)
    assert {r["name"]: r["issues"] for r in report["issues"]} == {
        VICTIM: [BACKWARDS],
        EMPTY_TOOL_RUN: ["step 2 has an empty tool name"],
        wrong_count_run.name: [f"step_count is {wrong_count_run.steps + 5} but the run has "
                               f"{wrong_count_run.steps} steps"],
    }
    assert _by_type(report, "expect_column_values_to_match_regex", ["tool"])["unexpected"] == 1
    # Every step row of the miscounted run disagrees with its step_count.
    assert _by_type(report, "expect_column_pair_values_to_be_equal",
                    ["step_count", "n_steps"])["unexpected"] == wrong_count_run.steps
    assert sorted(e["columns"] for e in report["expectations"] if e["success"]) == sorted(
        [["run_id", "k"], ["k", "position"], ["unattached"], ["observations"], ["outcome"]])


def test_docs_writes_the_great_expectations_site(harbor_store, tmp_path):
    report = check_store(harbor_store, tmp_path / "docs")
    assert report["success"] and report["issues"] == []
    assert report["docs"] == str(tmp_path / "docs" / "index.html")
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    page = pages[0].read_text()
    assert "tracegraph-step-table" in page and "Succeeded" in page
    assert "tracegraph-step-table" in (tmp_path / "docs" / "index.html").read_text()
