"""Score diagnoses against the labels a source ships itself (Who&When's `mistake_step` / `mistake_agent`), with
trivial baselines computed on the same runs.

Who&When's `mistake_step` indexes history[] from 0; the parser turns it into the step number k that holds that
entry (a terminal's reply maps to the step it answers), so predicted and gold steps are compared as step numbers.
Baselines: random (its exact expected accuracy, 1/n per run), the first step, the last step, and "always step k"
with the best k for these very runs (an optimistic baseline: k is chosen on the runs it is scored on).
"""

from __future__ import annotations

import json
from collections import defaultdict

from pydantic import BaseModel

from tracegraph.schema import RunTrace

METRICS = ("step_accuracy", "agent_accuracy", "step_within1")


class SourceScore(BaseModel):
    run_id: str
    subset: str
    steps: int
    gold_step: int
    gold_agent: str
    pred_step: int | None
    pred_agent: str | None


class SourceLabelReport(BaseModel):
    method: str
    subsets: dict[str, dict[str, dict[str, float | int]]]
    """Subset → method or baseline → step_accuracy, agent_accuracy, step_within1, runs (best_k names its k)."""
    runs: list[SourceScore]
    errors: list[str] = []


def source_labels(trace: RunTrace) -> tuple[int, str] | None:
    """(gold step, gold agent) the run ships, or None when it has no usable labels."""
    try:
        gold = json.loads(trace.run.gold_json or "null")
    except ValueError:
        return None
    if not isinstance(gold, dict) or gold.get("mistake_step") is None or not gold.get("mistake_agent"):
        return None
    return int(gold["mistake_step"]), str(gold["mistake_agent"])


def subset_of(trace: RunTrace) -> str:
    """The benchmark subset a run comes from (Who&When: algorithm-generated or hand-crafted), else its framework."""
    try:
        extra = json.loads(trace.run.extra_json or "{}")
    except ValueError:
        extra = {}
    return str(extra.get("subset") or trace.run.framework or "?")


def agent_of(trace: RunTrace, k: int | None) -> str | None:
    if k is None or not 1 <= k <= len(trace.steps):
        return None
    step = trace.step(k)
    return step.role or step.tool


def same_agent(a: str | None, b: str) -> bool:
    return a is not None and a.strip().lower() == b.strip().lower()


def _fixed(traces: list[RunTrace], golds: list[tuple[int, str]], pick) -> dict[str, float]:
    hits = agents = near = 0
    for trace, (g_step, g_agent) in zip(traces, golds):
        k = pick(len(trace.steps))
        hits += k == g_step
        near += abs(k - g_step) <= 1
        agents += same_agent(agent_of(trace, k), g_agent)
    n = len(traces)
    return {"runs": n, "step_accuracy": round(hits / n, 4), "agent_accuracy": round(agents / n, 4),
            "step_within1": round(near / n, 4)}


def baselines(traces: list[RunTrace], golds: list[tuple[int, str]]) -> dict[str, dict[str, float | int]]:
    """random (expected), first_step, last_step and best_k over runs with labels."""
    n = len(traces)
    rand = {"runs": n, "step_accuracy": 0.0, "agent_accuracy": 0.0, "step_within1": 0.0}
    for trace, (g_step, g_agent) in zip(traces, golds):
        size = len(trace.steps)
        rand["step_accuracy"] += (1 <= g_step <= size) / size / n
        rand["agent_accuracy"] += sum(same_agent(agent_of(trace, k), g_agent) for k in range(1, size + 1)) / size / n
        rand["step_within1"] += len([k for k in range(1, size + 1) if abs(k - g_step) <= 1]) / size / n
    out: dict[str, dict[str, float | int]] = {"random": {m: round(v, 4) for m, v in rand.items()}}
    out["first_step"] = _fixed(traces, golds, lambda size: 1)
    out["last_step"] = _fixed(traces, golds, lambda size: size)
    longest = max(len(t.steps) for t in traces)
    # Best k by step accuracy, then agent accuracy; the smallest such k.
    best = max(range(1, longest + 1), key=lambda k: (
        (scores := _fixed(traces, golds, lambda size: min(k, size)))["step_accuracy"], scores["agent_accuracy"], -k))
    out["best_k"] = _fixed(traces, golds, lambda size: min(best, size)) | {"k": best}
    return out


def score_source_labels(diagnosed: list[tuple[RunTrace, int | None]], method: str,
                        errors: list[str] | None = None) -> SourceLabelReport:
    """Score (trace, predicted onset step) pairs against the labels the runs ship, per subset, with baselines."""
    by_subset: dict[str, list[tuple[RunTrace, tuple[int, str], int | None]]] = defaultdict(list)
    runs = []
    for trace, pred in diagnosed:
        labels = source_labels(trace)
        if labels is None:
            continue
        by_subset[subset_of(trace)].append((trace, labels, pred))
        runs.append(SourceScore(run_id=trace.run_id, subset=subset_of(trace), steps=len(trace.steps),
                                gold_step=labels[0], gold_agent=labels[1], pred_step=pred,
                                pred_agent=agent_of(trace, pred)))
    subsets = {}
    for subset, rows in sorted(by_subset.items()):
        traces, golds, preds = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        n = len(rows)
        ours = {"runs": n,
                "step_accuracy": round(sum(p == g[0] for p, g in zip(preds, golds)) / n, 4),
                "agent_accuracy": round(sum(same_agent(agent_of(t, p), g[1])
                                            for t, p, g in zip(traces, preds, golds)) / n, 4),
                "step_within1": round(sum(p is not None and abs(p - g[0]) <= 1 for p, g in zip(preds, golds)) / n, 4)}
        subsets[subset] = {method: ours} | baselines(traces, golds)
    return SourceLabelReport(method=method, subsets=subsets, runs=runs, errors=errors or [])
