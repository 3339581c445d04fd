"""The diagnosis a replay is built from: read back from the graph, or made now when the run has none."""

from __future__ import annotations

from tracegraph.diagnose import DiagnosisResult, diagnose_missing
from tracegraph.errors import RunNotFoundError
from tracegraph.store import Store
from tracegraph.store.read import read_diagnoses


def stored_diagnosis(store: Store, run_id: str, method: str | None = None) -> DiagnosisResult | None:
    """The run's newest stored diagnosis (of `method` when given), or None."""
    stored = read_diagnoses(store, run_id, method)
    if not stored:
        return None
    newest = min(stored, key=lambda p: (-(p.get("created_at_ms") or 0), p.get("method") or ""))
    return DiagnosisResult.from_properties(newest | {"run_id": run_id})


def ensure_diagnosis(store: Store, run_id: str, method: str | None = None) -> DiagnosisResult:
    """The stored diagnosis, or a new one (heuristic unless `method` says otherwise) written to the graph first."""
    diagnose_missing(store, method or "heuristic", any_method=method is None, run_ids=[run_id], outcomes=None)
    diagnosis = stored_diagnosis(store, run_id, method)
    if diagnosis is None:
        raise RunNotFoundError(f"no loaded run {run_id!r} to diagnose")
    return diagnosis
