"""Score diagnoses against gold labels (CodeTraceBench-style), with baselines computed in the same run."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel

from tracegraph.diagnose.result import DiagnosisResult
from tracegraph.schema import Category, RunTrace

BASELINES = ("random_step", "last_step", "first_error_step")


class RunScore(BaseModel):
    run_id: str
    format: str
    method: str
    gold_onset: int | None
    pred_onset: int | None
    incorrect_tp: int
    incorrect_fp: int
    incorrect_fn: int
    incorrect_f1: float
    unuseful_tp: int
    unuseful_fp: int
    unuseful_fn: int
    unuseful_f1: float
    onset_exact: bool | None
    onset_within2: bool | None
    onset_stage_ok: bool | None
    category_ok: bool


def _f1(pred: set[int], gold: set[int]) -> tuple[int, int, int, float]:
    tp, fp, fn = len(pred & gold), len(pred - gold), len(gold - pred)
    if not pred and not gold:
        return 0, 0, 0, 1.0
    return tp, fp, fn, (2 * tp / (2 * tp + fp + fn))


def gold_stage_of(gold: dict, k: int | None) -> str | None:
    for st in gold.get("stages", []):
        if k is not None and st["start_step_id"] <= k <= st["end_step_id"]:
            return st["label"]
    return None


def score_run(gold: dict, result: DiagnosisResult, method: str) -> RunScore:
    it, ifp, ifn, if1 = _f1(set(result.incorrect_ks), set(gold["incorrect_step_ids"]))
    ut, ufp, ufn, uf1 = _f1(set(result.unuseful_ks), set(gold["unuseful_step_ids"]))
    g_onset = gold.get("onset_step_id")
    p_onset = result.onset_k
    charged = g_onset is not None
    return RunScore(
        run_id=gold["run_id"], format=gold.get("format", "?"), method=method, gold_onset=g_onset, pred_onset=p_onset,
        incorrect_tp=it, incorrect_fp=ifp, incorrect_fn=ifn, incorrect_f1=if1,
        unuseful_tp=ut, unuseful_fp=ufp, unuseful_fn=ufn, unuseful_f1=uf1,
        onset_exact=(p_onset == g_onset) if charged else None,
        onset_within2=(p_onset is not None and abs(p_onset - g_onset) <= 2) if charged else None,
        onset_stage_ok=(gold_stage_of(gold, p_onset) == gold_stage_of(gold, g_onset)
                        if p_onset is not None else False) if charged else None,
        category_ok=result.category.value == gold.get("category"),
    )


def aggregate(scores: list[RunScore]) -> dict[str, float | int]:
    """Micro and macro incorrect-step P/R/F1, unuseful F1, onset accuracies and category accuracy."""
    def ratio(a: float, b: float) -> float:
        return round(a / b, 4) if b else 0.0

    tp = sum(s.incorrect_tp for s in scores)
    fp = sum(s.incorrect_fp for s in scores)
    fn = sum(s.incorrect_fn for s in scores)
    utp = sum(s.unuseful_tp for s in scores)
    ufp = sum(s.unuseful_fp for s in scores)
    ufn = sum(s.unuseful_fn for s in scores)
    charged = [s for s in scores if s.onset_exact is not None]
    return {
        "runs": len(scores),
        "incorrect_precision": ratio(tp, tp + fp), "incorrect_recall": ratio(tp, tp + fn),
        "incorrect_f1_micro": ratio(2 * tp, 2 * tp + fp + fn),
        "incorrect_f1_macro": ratio(sum(s.incorrect_f1 for s in scores), len(scores)),
        "unuseful_f1_micro": ratio(2 * utp, 2 * utp + ufp + ufn),
        "unuseful_f1_macro": ratio(sum(s.unuseful_f1 for s in scores), len(scores)),
        "onset_exact": ratio(sum(bool(s.onset_exact) for s in charged), len(charged)),
        "onset_within2": ratio(sum(bool(s.onset_within2) for s in charged), len(charged)),
        "onset_stage": ratio(sum(bool(s.onset_stage_ok) for s in charged), len(charged)),
        "category": ratio(sum(s.category_ok for s in scores), len(scores)),
    }


def baseline_result(name: str, trace: RunTrace, seed: int = 0) -> DiagnosisResult:
    """A trivial diagnosis: random step, last step, or first tool-error step (last step when none errs)."""
    n = len(trace.steps)
    if n == 0:
        return DiagnosisResult(run_id=trace.run_id, method=name, category=Category.premature_stop)
    if name == "random_step":
        k = random.Random(f"{seed}:{trace.run_id}").randint(1, n)
    elif name == "last_step":
        k = n
    else:
        k = next((s.k for s in trace.steps if s.is_error), n)
    category = Category.premature_stop if name == "last_step" else Category.incorrect_hypothesis
    stage = trace.step(k).stage
    return DiagnosisResult(run_id=trace.run_id, method=name, onset_k=k, onset_stage=stage, category=category,
                           incorrect_ks=[k], chain_ks=[k])


class GoldTrace(NamedTuple):
    """A gold record and the trace of its run, as read back from the graph."""

    gold: dict
    trace: RunTrace


def load_gold_traces(gold_records: list[dict], root: Path, store,
                     progress: Callable[[str, int, int], None] | None = None) -> tuple[list[GoldTrace], list[str]]:
    """Ingest each gold record's source below `root` and read its trace back; one line per run that failed."""
    from tracegraph.store.read import load_trace
    from tracegraph.load import ingest_paths

    items: list[GoldTrace] = []
    errors: list[str] = []
    for i, gold in enumerate(gold_records, 1):
        if progress:
            progress(gold["run_id"], i, len(gold_records))
        report = ingest_paths([root / gold["source"]], store)
        if len(report.runs) != 1:
            problems = "; ".join(f"{e.path}: {e.problem}" for e in report.errors) or f"{len(report.runs)} runs found"
            errors.append(f"{gold['run_id']}: {problems}")
            continue
        run_id = report.runs[0].run_id
        items.append(GoldTrace(gold, load_trace(store, run_id)))
    return items, errors


class EvalReport(BaseModel):
    method: str
    overall: dict[str, dict[str, float | int]]
    """Method and each baseline → metrics over all runs."""
    by_format: dict[str, dict[str, dict[str, float | int]]]
    """Format → method/baseline → metrics."""
    runs: list[RunScore]
    errors: list[str] = []


def evaluate(gold_records: list[dict], root: Path, store, method: str = "heuristic",
             progress: Callable[[str, int, int], None] | None = None, **options) -> EvalReport:
    """Ingest each gold record's source below `root`, diagnose it with `method`, and score it and the baselines."""
    from tracegraph.diagnose import diagnose_run

    items, errors = load_gold_traces(gold_records, root, store, progress)
    scores: list[RunScore] = []
    for gold, trace in items:
        result = diagnose_run(store, trace.run_id, method, **options)
        scores.append(score_run(gold, result, method))
        scores += [score_run(gold, baseline_result(b, trace), b) for b in BASELINES]
    groups: dict[str, list[RunScore]] = defaultdict(list)
    by_format: dict[str, dict[str, list[RunScore]]] = defaultdict(lambda: defaultdict(list))
    for s in scores:
        groups[s.method].append(s)
        by_format[s.format][s.method].append(s)
    return EvalReport(
        method=method,
        overall={m: aggregate(ss) for m, ss in groups.items()},
        by_format={f: {m: aggregate(ss) for m, ss in ms.items()} for f, ms in sorted(by_format.items())},
        runs=[s for s in scores if s.method == method], errors=errors)


def read_gold(path: Path) -> list[dict]:
    from tracegraph.errors import IngestError

    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise IngestError(path, f"line {n} is not JSON ({exc.msg})") from None
    return records
