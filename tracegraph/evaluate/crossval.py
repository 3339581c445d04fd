"""Cross-validated evaluation of the heuristic: weights chosen on training folds only, scored on the held-out fold.

Traces are loaded once; every candidate config is run on the facts in memory, so a whole CV takes seconds. The
search is a small grid: each tuned weight or threshold moved one at a time from its default, then the moves that
helped on the training runs combined. The objective is the mean of the headline metrics on the training runs.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from pydantic import BaseModel

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.evaluate.onsets import BASELINES, GoldTrace, RunScore, aggregate, baseline_result, score_run
from tracegraph.diagnose.gate import gated
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.diagnose.result import DiagnosisResult
from tracegraph.diagnose.rules import facts_of
from tracegraph.schema import Category, RunTrace

GRID: dict[str, tuple[float, ...]] = {
    "earliness_window": (0.0, 0.1, 0.3, 0.4),
    "earliness_floor": (0.2, 0.4, 0.5),
    "agreement_bonus": (0.0, 0.1),
    "silent_change": (0.5, 0.9),
    "error_loop": (0.4, 0.8),
    "error_loop_recovered": (0.15, 0.45),
    "wrote_checked_file": (0.4, 0.7),
    "misplaced_write": (0.6, 0.95),
    "never_produced": (0.35, 0.65),
    "unverified_end": (0.2, 0.5),
    "first_error": (0.1, 0.35),
    "first_change": (0.3, 0.6),
    "reverted_edit": (0.1, 0.4),
    "false_claim": (0.1, 0.4),
    "mode_not_set": (0.5,),
    "failed_end": (0.45, 0.9),
    "broke_working": (0.45, 0.9),
}
"""Config field → values tried besides its default."""
OBJECTIVE = ("incorrect_f1_macro", "onset_exact", "onset_within2", "onset_stage", "category")
"""Metrics whose mean the training folds maximise (the issue's targets)."""
MAJORITY = "majority_category"
SEED = 0


class Fold(BaseModel):
    held_out: list[str]
    """Run ids scored in this fold."""
    name: str
    changes: dict[str, float] = {}
    """Config fields moved from their defaults, chosen on the training runs."""
    train_objective: float
    majority: str
    """Most common gold category of the training runs."""


class CVReport(BaseModel):
    scheme: str
    """`5-fold` (runs shuffled with a fixed seed) or `format` (leave one format out)."""
    cv: dict[str, dict[str, float | int]]
    """Heuristic (held-out predictions) and baselines → metrics over all runs."""
    fit: dict[str, float | int]
    """The default config on all runs: the figure it was tuned on by eye."""
    by_format: dict[str, dict[str, dict[str, float | int]]]
    """Format → heuristic (CV), heuristic_fit and baselines → metrics."""
    folds: list[Fold]
    runs: list[RunScore]
    """Held-out score of each run."""
    errors: list[str] = []


def folds_of(golds: list[dict], scheme: str) -> list[tuple[str, list[int]]]:
    """(name, indexes held out) per fold: `format` groups by gold format, an integer K deals shuffled runs."""
    if scheme == "format":
        groups: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(golds):
            groups[g.get("format", "?")].append(i)
        return sorted(groups.items())
    k = int(scheme)
    if not 2 <= k <= len(golds):
        raise ValueError(f"--cv {k}: needs 2 to {len(golds)} folds for {len(golds)} runs")
    order = list(range(len(golds)))
    random.Random(SEED).shuffle(order)
    return [(f"fold {i + 1}", sorted(order[i::k])) for i in range(k)]


def candidate_changes() -> list[dict[str, float]]:
    """The default (no change) first, then each field of GRID moved to each of its values."""
    return [{}] + [{field: v} for field, values in GRID.items() for v in values]


class _Scorer:
    """Per-run scores of each candidate config, computed once and shared by every fold."""

    def __init__(self, items: list[GoldTrace]):
        self.items = items
        self.facts = [facts_of(it.trace) if it.trace.steps else None for it in items]
        self.cache: dict[tuple, list[RunScore]] = {}

    def scores(self, changes: dict[str, float]) -> list[RunScore]:
        key = tuple(sorted(changes.items()))
        if key not in self.cache:
            config = HeuristicConfig(**changes)
            self.cache[key] = [score_run(it.gold, gated_diagnosis(it.trace, config, facts), "heuristic")
                               for it, facts in zip(self.items, self.facts)]
        return self.cache[key]


def gated_diagnosis(trace: RunTrace, config: HeuristicConfig, facts) -> DiagnosisResult:
    """The heuristic behind the same triage gate diagnose_run applies, on a trace in memory."""
    return gated(trace.run, "heuristic", lambda: diagnose_trace(trace, config, facts))


def objective(scores: list[RunScore]) -> float:
    metrics = aggregate(scores)
    return sum(metrics[m] for m in OBJECTIVE) / len(OBJECTIVE)


def choose(scorer: _Scorer, train: list[int]) -> tuple[dict[str, float], float]:
    """The config changes that score best on the training runs (ties: fewer changes, then grid order)."""
    def on_train(changes):
        all_scores = scorer.scores(changes)
        return objective([all_scores[i] for i in train])

    base = on_train({})
    best_per_field: dict[str, tuple[float, float]] = {}
    for changes in candidate_changes()[1:]:
        (field, value), = changes.items()
        value_score = on_train(changes)
        if value_score > max(base, best_per_field.get(field, (None, base))[1]):
            best_per_field[field] = (value, value_score)
    options = [({}, base)] + [({f: v}, s) for f, (v, s) in best_per_field.items()]
    if len(best_per_field) > 1:
        combined = {f: v for f, (v, _) in best_per_field.items()}
        options.append((combined, on_train(combined)))
    return max(options, key=lambda o: (o[1], -len(o[0])))


def majority_result(trace_run_id: str, category: str) -> DiagnosisResult:
    return DiagnosisResult(run_id=trace_run_id, method=MAJORITY, category=Category(category))


def cross_validate(items: list[GoldTrace], scheme: str = "5", errors: list[str] | None = None) -> CVReport:
    """Cross-validate the heuristic over gold runs whose traces are loaded (`scheme`: K folds or `format`)."""
    scorer = _Scorer(items)
    golds = [it.gold for it in items]
    held: dict[int, RunScore] = {}
    majority_scores: dict[int, RunScore] = {}
    folds = []
    for name, test in folds_of(golds, scheme):
        train = [i for i in range(len(items)) if i not in set(test)]
        changes, train_score = choose(scorer, train)
        majority = Counter(golds[i]["category"] for i in train).most_common(1)[0][0]
        scores = scorer.scores(changes)
        for i in test:
            held[i] = scores[i]
            majority_scores[i] = score_run(golds[i], majority_result(items[i].trace.run_id, majority), MAJORITY)
        folds.append(Fold(held_out=[golds[i]["run_id"] for i in test], name=name, changes=changes,
                          train_objective=round(train_score, 4), majority=majority))
    runs = [held[i] for i in range(len(items))]
    fit = scorer.scores({})
    baselines = {b: [score_run(it.gold, baseline_result(b, it.trace), b) for it in items] for b in BASELINES}
    majority = [majority_scores[i] for i in range(len(items))]

    def table(idx: list[int]) -> dict[str, dict[str, float | int]]:
        out = {"heuristic": aggregate([runs[i] for i in idx]), "heuristic_fit": aggregate([fit[i] for i in idx])}
        out |= {b: aggregate([ss[i] for i in idx]) for b, ss in baselines.items()}
        out[MAJORITY] = {"runs": len(idx), "category": aggregate([majority[i] for i in idx])["category"]}
        return out

    everything = table(list(range(len(items))))
    by_format: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(golds):
        by_format[g.get("format", "?")].append(i)
    return CVReport(
        scheme="format" if scheme == "format" else f"{scheme}-fold",
        cv={m: v for m, v in everything.items() if m != "heuristic_fit"}, fit=everything["heuristic_fit"],
        by_format={f: table(idx) for f, idx in sorted(by_format.items())}, folds=folds, runs=runs,
        errors=errors or [])
