"""The triage gate in diagnose_run: only runs where the agent worked and failed (or timed out) get an onset."""

from __future__ import annotations

from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph import ingest_paths

TB1 = FIXTURES / "terminal-bench-1"


def test_no_run_of_terminal_bench_1_whose_agent_never_ran_or_went_unrecorded_is_blamed(store):
    report = ingest_paths([TB1], store)
    assert not report.errors
    triage = {r["id"]: (r["triage"], r["steps"]) for r in store.query(
        "MATCH (r:Run) RETURN r.id AS id, r.triage AS triage, r.step_count AS steps")}
    results = {run_id: diagnose_run(store, run_id) for run_id in failed_run_ids(store)}
    unblamed = {rid for rid, (t, _) in triage.items() if t in ("agent_never_ran", "actions_not_recorded")}
    assert len(unblamed) == 5  # 2 mini-SWE-agent installs that failed, 3 OpenHands sessions without actions
    for rid in unblamed:
        r = results[rid]
        assert (r.onset_k, r.chain_ks, r.incorrect_ks) == (None, [], [])
        assert r.category == ("undiagnosable" if triage[rid][0] == "actions_not_recorded" else "not_agent_fault")
        assert r.evidence[0].rule == f"triage_{triage[rid][0]}"
    # Every run whose agent worked and failed gets its onset.
    for rid, (t, steps) in triage.items():
        if t in ("agent_failed", "agent_timed_out"):
            assert steps > 0 and results[rid].onset_k is not None, rid
