"""The quality gate off the writing path finds what the gate always found: the same issues on the same runs whether
it checks in-process or in its own process, batch by batch (--strict) or many batches at once afterwards."""

from __future__ import annotations

import pytest

from tests.support import LATE_STEP_ISSUE, LATE_STEP_TRIAL, harbor_with_a_late_step
from tracegraph.load import ingest_paths
from tracegraph.load import quality_gate
from tracegraph.load.prepare import PARALLEL_MIN_UNITS
from tracegraph.store import open_store

VICTIM, BACKWARDS = LATE_STEP_TRIAL, LATE_STEP_ISSUE


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    """Every harbor-atif trial (enough units for worker processes), one of them with a step ten minutes early."""
    root = harbor_with_a_late_step(tmp_path_factory.mktemp("gate") / "runs")
    assert len([p for p in root.iterdir() if p.is_dir()]) >= PARALLEL_MIN_UNITS
    return root


def _issues(report):
    return {r.name: r.quality_issues for r in report.runs + report.refused if r.quality_issues}


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "own-process"])
@pytest.mark.parametrize("rows", [quality_gate.QUALITY_ROWS, 1], ids=["one-check", "a-check-per-batch"])
def test_lenient_ingest_reports_the_issue_after_writing_every_run(trials, tmp_path, monkeypatch, workers, rows):
    monkeypatch.setattr(quality_gate, "QUALITY_ROWS", rows)
    with open_store(str(tmp_path / "store")) as store:
        report = ingest_paths([trials], store, workers=workers)
        loaded = store.query("MATCH (r:Run) RETURN count(r) AS n")[0]["n"]
    assert _issues(report) == {VICTIM: [BACKWARDS]}
    assert not report.refused and loaded == len(report.runs) >= PARALLEL_MIN_UNITS


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "own-process"])
def test_strict_ingest_refuses_the_run_before_writing_it(trials, tmp_path, workers):
    with open_store(str(tmp_path / "store")) as store:
        report = ingest_paths([trials], store, workers=workers, strict=True)
        names = {r["name"] for r in store.query("MATCH (r:Run) RETURN r.name AS name")}
    assert [(r.name, r.quality_issues) for r in report.refused] == [(VICTIM, [BACKWARDS])]
    assert VICTIM not in names and len(names) == len(report.runs) >= PARALLEL_MIN_UNITS - 1


def test_the_last_batch_is_checked_while_it_is_written_not_after(trials):
    """Rows wait for QUALITY_ROWS steps, except the last batch's: they go to the checking process at once, so its
    check runs beside that batch's write; finish() then only collects."""
    from tracegraph.ingest.discover import Limits, discover
    from tracegraph.load.planned import planner_for
    from tracegraph.load.prepare import prepare_units

    planned = list(prepare_units(discover([trials]).units, Limits(), [], workers=0, then=planner_for(None, True)))
    gate = quality_gate.QualityGate(strict=False, in_process=False)
    try:
        gate.check(planned[:2])
        assert gate._rows and not gate._pending  # fewer than QUALITY_ROWS steps: waiting
        gate.check(planned[2:], last=True)
        assert not gate._rows and len(gate._pending) == 1 and gate._pending[0][0] is not None
        gate.finish()
    finally:
        gate.close()
    assert {p.summary.name: p.summary.quality_issues for p in planned if p.summary.quality_issues} == \
           {VICTIM: [BACKWARDS]}
