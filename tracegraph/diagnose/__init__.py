"""Failure onset localization: methods by name, write-back, and the batch entry points."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tracegraph.diagnose.gate import gated
from tracegraph.diagnose.load import load_trace, read_run
from tracegraph.diagnose.result import Candidate, DiagnosisResult, Evidence
from tracegraph.diagnose.writeback import write_diagnosis
from tracegraph.errors import UnknownNameError
from tracegraph.store import Store

METHODS = {
    "heuristic": "tracegraph.diagnose.heuristic:diagnose_run_heuristic",
    "llm": "tracegraph.diagnose.llm:diagnose_run_llm",
    "hybrid": "tracegraph.diagnose.llm:diagnose_run_hybrid",
}
DIAGNOSABLE = ("failed", "infra_error", "incomplete", "unknown")


def get_method(name: str) -> Callable[..., DiagnosisResult]:
    if name not in METHODS:
        raise UnknownNameError("method", name, list(METHODS))
    module, fn = METHODS[name].split(":")
    return getattr(importlib.import_module(module), fn)


def diagnose_run(store: Store, run_id: str, method: str = "heuristic", *, write: bool = True,
                 **options) -> DiagnosisResult:
    """Diagnose one run from the graph and (by default) write the result back, replacing the old one.

    Triage comes first: a run whose agent never ran, whose actions were not recorded or whose infrastructure
    failed gets no onset, whatever the method; only agent_failed and agent_timed_out runs reach the method."""
    run = read_run(store, run_id)
    result = gated(run, method, lambda: get_method(method)(store, run_id, **options))
    if write:
        write_diagnosis(store, result)
    return result


def failed_run_ids(store: Store) -> list[str]:
    """Loaded runs that did not pass: the ones worth diagnosing."""
    rows = store.query("MATCH (r:Run) WHERE r.status = 'loaded' AND r.outcome IN $outcomes "
                       "RETURN r.id AS id ORDER BY id", {"outcomes": list(DIAGNOSABLE)})
    return [r["id"] for r in rows]


__all__ = ["Candidate", "DiagnosisResult", "Evidence", "METHODS", "diagnose_run", "failed_run_ids", "load_trace",
           "write_diagnosis"]
