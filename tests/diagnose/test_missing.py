"""One way to diagnose what lacks a diagnosis (mine, report and replay all use it): which runs it picks."""

from __future__ import annotations

from tracegraph.diagnose import diagnose_missing, diagnose_run, undiagnosed_run_ids
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.load import ingest_traces
from tracegraph.schema import Outcome


def _run(name: str, outcome: Outcome):
    b = TraceBuilder(framework="synthetic", source=f"/tmp/{name}", name=name, content_hash="0123456789abcdef")
    b.add_step("write_file", {"path": "/repo/a.py", "content": "x = 1"}, observation="ok")
    b.add_step("bash", {"command": "pytest"}, observation="1 failed", is_error=True)
    b.set(outcome=outcome)
    return b.build()


def test_runs_lacking_a_diagnosis_are_picked_by_method_outcome_and_id(store):
    report = ingest_traces([_run("a", Outcome.failed), _run("b", Outcome.failed), _run("ok", Outcome.solved)],
                           store, quality=False)
    a, b, ok = (r.run_id for r in report.runs)
    assert undiagnosed_run_ids(store) == sorted([a, b])  # a solved run is never picked by default
    assert sorted(undiagnosed_run_ids(store, outcomes=None)) == sorted([a, b, ok])
    diagnose_run(store, a, "heuristic")
    assert undiagnosed_run_ids(store) == [b]
    assert undiagnosed_run_ids(store, "llm") == sorted([a, b])  # another method's diagnosis does not count ...
    assert undiagnosed_run_ids(store, None) == [b]  # ... unless any method will do
    assert undiagnosed_run_ids(store, run_ids=[a]) == []
    assert undiagnosed_run_ids(store, verdicts=["agent_never_ran"]) == []
    assert diagnose_missing(store) == [b]
    assert diagnose_missing(store) == []
    methods = store.query("MATCH (r:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis) RETURN r.id AS id, d.method AS m ORDER BY id")
    assert sorted((r["id"], r["m"]) for r in methods) == sorted([(a, "heuristic"), (b, "heuristic")])
