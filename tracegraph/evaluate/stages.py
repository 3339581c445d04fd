"""Stage metrics against gold stages: per-step label accuracy and stage-boundary precision/recall/F1 (±1 step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracegraph.schema import RunTrace

BOUNDARY_TOLERANCE = 1
"""A predicted stage start within this many steps of a gold one counts as a match."""


def gold_labels(gold_stages: list[dict[str, Any]]) -> dict[int, str]:
    """Step number → gold stage label."""
    out: dict[int, str] = {}
    for st in gold_stages:
        for k in range(st["start_step_id"], st["end_step_id"] + 1):
            out[k] = st["label"]
    return out


def boundaries(labels: list[str]) -> list[int]:
    """Step numbers (1-based) where a new stage starts, the first stage excluded."""
    return [i + 1 for i in range(1, len(labels)) if labels[i] != labels[i - 1]]


def match_boundaries(pred: list[int], gold: list[int], tolerance: int = BOUNDARY_TOLERANCE) -> int:
    """Predicted boundaries matched one-to-one to gold ones within the tolerance, nearest first."""
    pairs = sorted((abs(p - g), p, g) for p in pred for g in gold if abs(p - g) <= tolerance)
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, p, g in pairs:
        if p not in used_p and g not in used_g:
            used_p.add(p)
            used_g.add(g)
    return len(used_p)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def stage_metrics(pred_labels: list[str], gold_stages: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy of predicted per-step labels (step k at index k-1) and boundary P/R/F1 against gold stages.

    Gold boundaries are the starts of every gold stage but the first; predicted ones are where the label changes.
    With no boundary on either side precision and recall are 1. Counts are returned so callers can micro-average.
    """
    gold = gold_labels(gold_stages)
    correct = sum(1 for k, lab in gold.items() if k <= len(pred_labels) and str(pred_labels[k - 1]) == lab)
    gold_b = [st["start_step_id"] for st in sorted(gold_stages, key=lambda s: s["start_step_id"])][1:]
    pred_b = boundaries([str(x) for x in pred_labels])
    matched = match_boundaries(pred_b, gold_b)
    precision, recall = _ratio(matched, len(pred_b)), _ratio(matched, len(gold_b))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"steps": len(gold), "correct": correct, "accuracy": _ratio(correct, len(gold)),
            "pred_boundaries": len(pred_b), "gold_boundaries": len(gold_b), "matched_boundaries": matched,
            "boundary_precision": precision, "boundary_recall": recall, "boundary_f1": f1}


def combine(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Micro-averaged accuracy and boundary P/R/F1 over several runs' stage_metrics."""
    steps = sum(m["steps"] for m in metrics)
    correct = sum(m["correct"] for m in metrics)
    matched = sum(m["matched_boundaries"] for m in metrics)
    pred_b = sum(m["pred_boundaries"] for m in metrics)
    gold_b = sum(m["gold_boundaries"] for m in metrics)
    precision, recall = _ratio(matched, pred_b), _ratio(matched, gold_b)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"runs": len(metrics), "steps": steps, "correct": correct, "accuracy": _ratio(correct, steps),
            "pred_boundaries": pred_b, "gold_boundaries": gold_b, "matched_boundaries": matched,
            "boundary_precision": precision, "boundary_recall": recall, "boundary_f1": f1}


def parse_source(path: Path) -> RunTrace | None:
    """The first run found at `path` (a run folder or file), parsed and with its tree built; None if none is."""
    from tracegraph.ingest.discover import discover
    from tracegraph.tree import build_tree

    found = discover([path])
    try:
        if not found.units:
            return None
        unit = found.units[0]
        return build_tree(next(iter(unit.parser.parse(unit.path))))
    finally:
        found.cleanup()


def evaluate_gold(records: list[dict[str, Any]], fixtures: Path) -> dict[str, Any]:
    """Stage metrics of every gold record whose source parses: per run, per format and overall; skips say why."""
    runs: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for rec in records:
        try:
            trace = parse_source(fixtures / rec["source"])
        except Exception as exc:  # a parser still in progress must not stop the measurement of the others
            skipped.append({"run_id": rec["run_id"], "reason": f"{type(exc).__name__}: {exc}"[:200]})
            continue
        if trace is None:
            skipped.append({"run_id": rec["run_id"], "reason": "no parser claims the source"})
            continue
        if len(trace.steps) != rec["step_count"]:
            skipped.append({"run_id": rec["run_id"],
                            "reason": f"parsed {len(trace.steps)} steps, gold has {rec['step_count']}"})
            continue
        pred = [s.stage.value if s.stage else "" for s in trace.steps]
        runs.append({"run_id": rec["run_id"], "format": rec["format"], "pred": pred,
                     **stage_metrics(pred, rec["stages"])})
    formats = sorted({r["format"] for r in runs})
    return {"runs": runs, "skipped": skipped, "overall": combine(runs),
            "per_format": {f: combine([r for r in runs if r["format"] == f]) for f in formats}}
