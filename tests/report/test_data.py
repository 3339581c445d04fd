"""ReportData gathered from each engine agrees with the ingested run and the stored diagnosis."""

from __future__ import annotations

import pytest

from tests.report.conftest import HARBOR, load, run_id
from tracegraph.diagnose import DiagnosisResult, diagnose_run, load_trace, write_diagnosis
from tracegraph.errors import RunNotFoundError
from tracegraph.report import report_data, run_rows
from tracegraph.semantics.writes import is_file_write


def test_report_data_follows_run_and_diagnosis(store):
    ids = load(store, HARBOR / "headless-terminal__bemYu3W", diagnose=False)
    rid = run_id(ids, "headless-terminal")
    result = diagnose_run(store, rid)
    data = report_data(store, rid)
    trace = load_trace(store, rid)

    assert [v.step.k for v in data.steps] == list(range(1, trace.run.step_count + 1))
    assert [v.step.stage for v in data.steps] == [s.stage for s in trace.steps]
    assert all(v.output is not None for v in data.steps)
    d = data.diagnosis
    assert (d.method, d.onset_k, d.category) == ("heuristic", result.onset_k, result.category)
    assert d.chain_ks == result.chain_ks and d.incorrect_ks == result.incorrect_ks
    assert d.evidence == result.evidence and d.candidates == result.candidates
    assert "onset" in data.roles(result.onset_k) and "chain" in data.roles(result.chain_ks[-1])

    writes = {(x.path, x.k) for x in trace.deltas if is_file_write(x.op, x.path)}
    shown = {(f.path, k) for f in data.files for k, _ in f.writes}
    assert shown == writes
    assert [t.name for t in data.failing_tests] == sorted(t.name for t in trace.tests if t.status == "failed")


def test_failing_check_and_the_file_it_needs(store):
    ids = load(store, HARBOR / "dna-assembly__BC7CeVz")
    data = report_data(store, run_id(ids, "dna-assembly"))
    assert [(t.name, t.status) for t in data.failing_tests] == [("test_outputs.py::test_primers", "failed")]
    primers = next(f for f in data.files if f.path == "/app/primers.fasta")
    assert primers.checked_by == ["test_outputs.py::test_primers"] and primers.writes == []


def test_undiagnosed_run_has_no_diagnosis(store):
    ids = load(store, HARBOR / "dna-assembly__BC7CeVz", diagnose=False)
    data = report_data(store, run_id(ids, "dna-assembly"))
    assert data.diagnosis is None and data.diagnoses == [] and data.roles(1) == []
    (row,) = run_rows(store)
    assert (row.method, row.onset_k, row.category) == (None, None, None)


def test_method_choice(store):
    ids = load(store, HARBOR / "dna-assembly__BC7CeVz")
    rid = run_id(ids, "dna-assembly")
    write_diagnosis(store, DiagnosisResult(run_id=rid, method="hybrid", onset_k=2, onset_stage="exploration",
                                           category="incorrect_hypothesis", chain_ks=[2, 3]))
    assert report_data(store, rid).diagnosis.method == "heuristic"
    hybrid = report_data(store, rid, method="hybrid").diagnosis
    assert (hybrid.onset_k, hybrid.chain_ks) == (2, [2, 3])
    assert report_data(store, rid, method="llm").diagnosis is None
    assert {d.method for d in report_data(store, rid).diagnoses} == {"heuristic", "hybrid"}
    assert run_rows(store, "hybrid")[0].onset_k == 2


def test_unknown_run(store):
    with pytest.raises(RunNotFoundError):
        report_data(store, "no-such-run@0")
