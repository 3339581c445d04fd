"""load_tree: one run's trace tree as plain data (run → stages → steps, with causal edges), from the graph reader."""

from __future__ import annotations

from typing import Any

from tracegraph.store.base import Store
from tracegraph.store.info import resolve_run
from tracegraph.store.read import load_trace

RUN_FIELDS = ("name", "framework", "model", "task_id", "outcome", "step_count", "fidelity", "triage", "triage_reason")
STAGE_FIELDS = ("ordinal", "label", "start_k", "end_k")
STEP_FIELDS = ("k", "tool", "action", "role", "kind", "kind_reason", "is_error", "exit_code", "is_noop", "intent",
               "stage", "stage_ordinal")


def load_tree(store: Store, run: str) -> dict[str, Any]:
    """The trace tree of a run (id, name or unique prefix) as plain data.

    {"run": {...}, "stages": [{ordinal, label, start_k, end_k, steps: [{k, tool, action, kind, kind_reason,
    is_error, is_noop, intent, depends_on: [{k, reason}], repeats: k | None, ...}]}], "unstaged": [steps]}.
    Raises RunNotFoundError when `run` matches no run or several.
    """
    trace = load_trace(store, resolve_run(store, run))
    run_props = trace.run.model_dump(mode="json")
    info = {"run_id": trace.run_id, **{f: run_props.get(f) for f in RUN_FIELDS}}
    depends: dict[int, list[dict[str, Any]]] = {}
    for dep in trace.dependencies:
        depends.setdefault(dep.src_k, []).append({"k": dep.dst_k, "reason": dep.reason})
    repeats = {r.src_k: r.dst_k for r in trace.repeats}
    stages = [{**{f: st.model_dump(mode="json")[f] for f in STAGE_FIELDS}, "steps": []} for st in trace.stages]
    by_ordinal = {st["ordinal"]: st for st in stages}
    unstaged: list[dict[str, Any]] = []
    for s in trace.steps:
        props = s.model_dump(mode="json")
        step = {**{f: props.get(f) for f in STEP_FIELDS}, "is_error": bool(s.is_error), "is_noop": bool(s.is_noop),
                "depends_on": depends.get(s.k, []), "repeats": repeats.get(s.k)}
        by_ordinal.get(s.stage_ordinal, {"steps": unstaged})["steps"].append(step)
    return {"run": info, "stages": stages, "unstaged": unstaged}
