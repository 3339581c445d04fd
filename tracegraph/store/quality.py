"""The ingest's great-expectations suite (ingest/quality.py) over what a store holds: every loaded run read back,
its step table checked per step, one row per expectation and the issues per run; optionally GE's Data Docs site.

The ingest checks a run before or after writing it (load/quality_gate.py); this checks what was written, so a store
filled by another tool, an older tracegraph or a hand edit gets the same verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracegraph.ingest.quality import check_table, step_rows
from tracegraph.store.base import Store
from tracegraph.store.read import load_trace

LOADED_RUNS = "MATCH (r:Run) WHERE r.status = 'loaded' RETURN r.id AS id, r.name AS name ORDER BY r.name, r.id"


def check_store(store: Store, docs_dir: Path | None = None) -> dict[str, Any]:
    """Check every loaded run's step table with the ingest's quality suite.

    Returns {"runs": runs checked, "steps": steps checked, "rows": step-table rows, "success", "expectations":
    [{expectation, columns, success, unexpected, error, issue}], "issues": [{run_id, name, issues}] (runs with
    issues, by name), "docs": the Data Docs index.html written into `docs_dir`, or None}.
    """
    runs = store.query(LOADED_RUNS)
    traces = [load_trace(store, r["id"]) for r in runs]
    checked = check_table(step_rows(traces), [r["id"] for r in runs], docs_dir)
    names = {r["id"]: r["name"] for r in runs}
    return {"runs": len(traces), "steps": sum(len(t.steps) for t in traces), "rows": checked["rows"],
            "success": all(e["success"] for e in checked["expectations"]),
            "expectations": checked["expectations"],
            "issues": [{"run_id": run_id, "name": names[run_id], "issues": issues}
                       for run_id, issues in sorted(checked["issues"].items(), key=lambda kv: (names[kv[0]], kv[0]))],
            "docs": checked["docs"]}
