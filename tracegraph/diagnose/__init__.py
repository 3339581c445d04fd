"""Failure onset localization: methods by name, write-back, and the batch entry points."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from tracegraph.diagnose.gate import gated
from tracegraph.store.read import load_trace, read_run
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


UNDIAGNOSED = """
MATCH (r:Run) WHERE r.status = 'loaded' AND ($outcomes IS NULL OR r.outcome IN $outcomes)
  AND ($verdicts IS NULL OR coalesce(r.triage, 'agent_failed') IN $verdicts) AND ($ids IS NULL OR r.id IN $ids)
OPTIONAL MATCH (r)-[:HAS_DIAGNOSIS]->(d:Diagnosis) WHERE $counted IS NULL OR d.method = $counted
WITH r, count(d) AS n WHERE n = 0 RETURN r.id AS id ORDER BY id
"""


def undiagnosed_run_ids(store: Store, method: str | None = "heuristic", *, run_ids: list[str] | None = None,
                        outcomes: Sequence[str] | None = DIAGNOSABLE,
                        verdicts: Sequence[str] | None = None) -> list[str]:
    """Loaded runs with no diagnosis of `method` (None: of any method), among `run_ids` when given, whose outcome
    is one of `outcomes` (None: any) and triage verdict one of `verdicts` (None: any; no verdict reads as
    agent_failed)."""
    params = {"outcomes": None if outcomes is None else list(outcomes),
              "verdicts": None if verdicts is None else list(verdicts), "ids": run_ids, "counted": method}
    rows = store.query(UNDIAGNOSED, params)
    return [r["id"] for r in rows]


def diagnose_missing(store: Store, method: str = "heuristic", *, any_method: bool = False,
                     run_ids: list[str] | None = None, outcomes: Sequence[str] | None = DIAGNOSABLE,
                     verdicts: Sequence[str] | None = None) -> list[str]:
    """Diagnose with `method` (and write back) every run `undiagnosed_run_ids` finds; returns their ids.

    The one way mine, report and replay diagnose what lacks a diagnosis. With `any_method` a run that has a
    diagnosis of another method counts as diagnosed."""
    todo = undiagnosed_run_ids(store, None if any_method else method, run_ids=run_ids, outcomes=outcomes,
                               verdicts=verdicts)
    for run_id in todo:
        diagnose_run(store, run_id, method)
    return todo


def failed_run_ids(store: Store) -> list[str]:
    """Loaded runs that did not pass: the ones worth diagnosing."""
    rows = store.query("MATCH (r:Run) WHERE r.status = 'loaded' AND r.outcome IN $outcomes "
                       "RETURN r.id AS id ORDER BY id", {"outcomes": list(DIAGNOSABLE)})
    return [r["id"] for r in rows]


__all__ = ["Candidate", "DiagnosisResult", "Evidence", "METHODS", "diagnose_missing", "diagnose_run", "failed_run_ids",
           "load_trace", "undiagnosed_run_ids", "write_diagnosis"]
