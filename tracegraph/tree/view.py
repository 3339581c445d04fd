"""load_tree: one run's trace tree read back from the store (run → stages → steps, with causal edges)."""

from __future__ import annotations

from typing import Any

from tracegraph.store.base import Store
from tracegraph.store.info import resolve_run

RUN_QUERY = """
MATCH (r:Run {id: $run_id})
RETURN r.id AS run_id, r.name AS name, r.framework AS framework, r.model AS model, r.task_id AS task_id,
       r.outcome AS outcome, r.step_count AS step_count, r.fidelity AS fidelity, r.triage AS triage,
       r.triage_reason AS triage_reason
"""
STAGES_QUERY = """
MATCH (:Run {id: $run_id})-[:HAS_STAGE]->(st:Stage)
RETURN st.ordinal AS ordinal, st.label AS label, st.start_k AS start_k, st.end_k AS end_k
ORDER BY ordinal
"""
STEPS_QUERY = """
MATCH (:Run {id: $run_id})-[:HAS_STEP]->(s:Step)
RETURN s.k AS k, s.tool AS tool, s.action AS action, s.role AS role, s.kind AS kind, s.kind_reason AS kind_reason,
       s.is_error AS is_error, s.exit_code AS exit_code, s.is_noop AS is_noop, s.intent AS intent,
       s.stage AS stage, s.stage_ordinal AS stage_ordinal
ORDER BY k
"""
DEPENDS_QUERY = """
MATCH (:Run {id: $run_id})-[:HAS_STEP]->(a:Step)-[e:DEPENDS_ON]->(b:Step)
RETURN a.k AS src, b.k AS dst, e.reason AS reason
ORDER BY src, dst
"""
REPEATS_QUERY = """
MATCH (:Run {id: $run_id})-[:HAS_STEP]->(a:Step)-[e:REPEATS]->(b:Step)
RETURN a.k AS src, b.k AS dst, e.similarity AS similarity
ORDER BY src
"""


def load_tree(store: Store, run: str) -> dict[str, Any]:
    """The trace tree of a run (id, name or unique prefix) as plain data.

    {"run": {...}, "stages": [{ordinal, label, start_k, end_k, steps: [{k, tool, action, kind, kind_reason,
    is_error, is_noop, intent, depends_on: [{k, reason}], repeats: k | None, ...}]}], "unstaged": [steps]}.
    Raises RunNotFoundError when `run` matches no run or several.
    """
    run_id = resolve_run(store, run)
    params = {"run_id": run_id}
    info = store.query(RUN_QUERY, params)[0]
    depends: dict[int, list[dict[str, Any]]] = {}
    for row in store.query(DEPENDS_QUERY, params):
        depends.setdefault(row["src"], []).append({"k": row["dst"], "reason": row["reason"]})
    repeats = {row["src"]: row["dst"] for row in store.query(REPEATS_QUERY, params)}
    stages = [{**row, "steps": []} for row in store.query(STAGES_QUERY, params)]
    by_ordinal = {st["ordinal"]: st for st in stages}
    unstaged: list[dict[str, Any]] = []
    for row in store.query(STEPS_QUERY, params):
        step = {**row, "is_error": bool(row["is_error"]), "is_noop": bool(row["is_noop"]),
                "depends_on": depends.get(row["k"], []), "repeats": repeats.get(row["k"])}
        by_ordinal.get(row["stage_ordinal"], {"steps": unstaged})["steps"].append(step)
    return {"run": info, "stages": stages, "unstaged": unstaged}
