"""Each evidence rule on real fixture runs, and the write-back of results into the graph."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES, gold_records
from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.diagnose.writeback import write_diagnosis
from tracegraph.ingest import ingest_paths
from tracegraph.ingest.discover import discover
from tracegraph.replay.diagnosis import stored_diagnosis
from tracegraph.tree import build_tree

HARBOR = FIXTURES / "harbor-atif"


def trace_of(path):
    unit = discover([path]).units[0]
    return build_tree(next(unit.parser.parse(unit.path)))


def rules_at(result, k):
    return {e.rule for e in result.evidence if k in e.steps}


def test_silent_noop_install_is_the_onset():
    result = diagnose_trace(trace_of(HARBOR / "headless-terminal__bemYu3W"))
    assert result.onset_k == 8
    assert result.category == "dependency_resolution"
    assert "silent_change" in rules_at(result, 8)
    assert "no-op" in next(e.reason for e in result.evidence if e.rule == "silent_change" and e.steps == [8])


def test_rejected_write_of_the_checked_file_is_the_onset():
    result = diagnose_trace(trace_of(HARBOR / "modernize-scientific-stack__gDr77c7"))
    assert result.onset_k == 5
    reason = next(e.reason for e in result.evidence if e.rule == "silent_change" and e.steps == [5])
    assert "rejected" in reason and "/app/analyze_climate_modern.py" in reason


def test_deliverable_never_written_means_premature_stop_at_the_end():
    result = diagnose_trace(trace_of(HARBOR / "dna-assembly__BC7CeVz"))
    assert (result.onset_k, result.category) == (10, "premature_stop")
    assert "/app/primers.fasta" in next(e.reason for e in result.evidence if e.rule == "never_produced")


def test_unrecovered_error_loop_marks_every_step():
    result = diagnose_trace(trace_of(HARBOR / "openssl-selfsigned-cert__6aDSXLS"))
    assert (result.onset_k, result.category) == (1, "unproductive_looping")
    assert len(result.incorrect_ks) >= 15


def test_verifier_without_network_is_not_the_agents_fault():
    result = diagnose_trace(trace_of(HARBOR / "regex-log__XYfBZFy"))
    assert result.onset_k is None and result.category == "not_agent_fault"
    assert "Failed to connect" in result.reasoning


def test_candidates_are_ranked_and_onset_is_one_of_them():
    result = diagnose_trace(trace_of(HARBOR / "git-leak-recovery__CVQc9DD"))
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.onset_k in {c.k for c in result.candidates}
    assert result.chain_ks[0] == result.onset_k and result.chain_ks == sorted(result.chain_ks)
    assert not set(result.incorrect_ks) & set(result.unuseful_ks)


def test_writeback_replaces_the_old_result(store):
    ingest_paths([HARBOR / "headless-terminal__bemYu3W", HARBOR / "sqlite-db-truncate__kfqQYr3"], store)
    ids = failed_run_ids(store)
    assert len(ids) == 1  # the solved run is not diagnosed
    first = diagnose_run(store, ids[0])
    diagnose_run(store, ids[0])
    rows = store.query("MATCH (:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis) RETURN d.method AS m, d.onset_k AS k")
    assert rows == [{"m": "heuristic", "k": first.onset_k}]
    onset = store.query("MATCH (:Diagnosis)-[:ONSET]->(s:Step) RETURN s.k AS k")
    assert onset == [{"k": first.onset_k}]
    links = store.query("MATCH (a:Step)-[e:PROPAGATES_TO]->(b:Step) RETURN a.k AS a, b.k AS b ORDER BY a")
    assert [(r["a"], r["b"]) for r in links] == list(zip(first.chain_ks, first.chain_ks[1:]))
    roles = store.query("MATCH (:Diagnosis)-[l:LABELS]->(s:Step) RETURN l.role AS role, count(s) AS n ORDER BY role")
    expected = {"chain": len(first.chain_ks), "incorrect": len(first.incorrect_ks), "unuseful": len(first.unuseful_ks)}
    assert {r["role"]: r["n"] for r in roles} == {k: v for k, v in expected.items() if v}


def test_a_stored_diagnosis_reads_back_as_the_result_that_was_written(store):
    ingest_paths([HARBOR / "headless-terminal__bemYu3W"], store)
    run_id = failed_run_ids(store)[0]
    written = diagnose_run(store, run_id)
    written.notes = ["a remark the method made"]
    write_diagnosis(store, written)
    assert stored_diagnosis(store, run_id) == written


@pytest.mark.parametrize("fmt", ["harbor-atif"])
def test_heuristic_beats_baselines_on_dev_subset(tmp_path, fmt):
    from tracegraph.diagnose.evaluate import evaluate
    from tracegraph.store import open_store

    store = open_store(str(tmp_path / "s"))
    try:
        report = evaluate([g for g in gold_records() if g["format"] == fmt], FIXTURES, store)
    finally:
        store.close()
    ours = report.overall["heuristic"]
    for baseline in ("random_step", "last_step", "first_error_step"):
        assert ours["incorrect_f1_macro"] > report.overall[baseline]["incorrect_f1_macro"]
        assert ours["onset_exact"] > report.overall[baseline]["onset_exact"]
