"""Cross-validated scoring against the labels a source ships (Who&When): chat rule weights and the fallback step
chosen on training folds only, scored on the held-out runs, beside baselines whose choices are also made on the
training folds ("always step k" with k chosen there, the agent most often blamed there).

Folds are dealt per subset (runs shuffled with a fixed seed), so every fold holds runs of each subset and each
subset is tuned on its own training runs: a subset with fewer runs than folds is scored leave-one-out. A fold
chooses one chat rule or none, with the fallback step set to the training runs' best k; no rule is "always step k"
itself, so training falls back to the baseline when no rule helps there. Ties go to no rule, then to rule order.
One rule, not a weighted mix: with a handful of training runs a mix of rules fits them all and loses held out
(the full grid of weights 0/1/2 scored 0.60 held out on algorithm-generated at 3 folds, one rule 0.80 at 3, 5 and
10 folds).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import replace

from pydantic import BaseModel

from tracegraph.diagnose.chat import ChatConfig, chat_facts, fire_chat, is_chat, pick_onset
from tracegraph.diagnose.gate import gated
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.evaluate.source_labels import SourceScore, agent_of, baselines, same_agent, source_labels, subset_of
from tracegraph.schema import RunTrace

TUNED = ("answer_origin", "answer_completion", "unfounded_assumption", "judged_unproductive", "repeated_message")
"""ChatConfig weights the training folds choose."""
SEED = 0


class SourceFold(BaseModel):
    name: str
    subset: str
    held_out: list[str]
    """Run names scored in this fold."""
    weights: dict[str, float]
    """The chat rule chosen on the training runs ({}: none, always step k)."""
    best_k: int
    """"Always step k" chosen on the training runs (also the chat fallback step)."""
    majority_agent: str
    """The agent most often blamed in the training runs."""
    train_step_accuracy: float


class SourceCVReport(BaseModel):
    scheme: str
    subsets: dict[str, dict[str, dict[str, float | int | None]]]
    """Subset → method (CV), method_fit, random, first_step, last_step, best_k (CV), best_k_fit, majority_agent
    (CV) → step_accuracy, agent_accuracy, step_within1, runs (None: the baseline names no step)."""
    folds: list[SourceFold]
    runs: list[SourceScore]
    """Held-out prediction of each run."""
    errors: list[str] = []


class _Labelled:
    """One run with its labels and, for a conversation, each rule's firings under unit weights (computed once)."""

    def __init__(self, trace: RunTrace):
        self.trace = trace
        self.gold_step, self.gold_agent = source_labels(trace)
        self.subset = subset_of(trace)
        self.size = len(trace.steps)
        self.chat = is_chat(trace)
        unit = ChatConfig(**{w: 1.0 for w in TUNED})
        self.firings = fire_chat(chat_facts(trace), unit) if self.chat else []
        self.default = None if self.chat else gated(trace.run, "heuristic", lambda: diagnose_trace(trace)).onset_k

    def predict(self, config: ChatConfig) -> int | None:
        if not self.chat:
            return self.default
        weighted = [replace(f, score=getattr(config, f.rule)) for f in self.firings]
        return pick_onset(weighted, self.size, config)[0]

    def speakers(self) -> Counter:
        return Counter(s.role or s.tool for s in self.trace.steps)


def _metrics(rows: list[_Labelled], steps: list[int | None], agents: list[str | None]) -> dict[str, float | int]:
    n = len(rows)
    return {"runs": n,
            "step_accuracy": round(sum(s == r.gold_step for r, s in zip(rows, steps)) / n, 4),
            "agent_accuracy": round(sum(same_agent(a, r.gold_agent) for r, a in zip(rows, agents)) / n, 4),
            "step_within1": round(sum(s is not None and abs(s - r.gold_step) <= 1 for r, s in zip(rows, steps)) / n, 4)}


def _score(rows: list[_Labelled], steps: list[int | None]) -> dict[str, float | int]:
    return _metrics(rows, steps, [agent_of(r.trace, s) for r, s in zip(rows, steps)])


def best_k(rows: list[_Labelled]) -> int:
    """The k for which "always step k" (clipped to a run's length) is right most often; then by agent; smallest k."""
    longest = max(r.size for r in rows)

    def key(k: int):
        m = _score(rows, [min(k, r.size) for r in rows])
        return m["step_accuracy"], m["agent_accuracy"], -k
    return max(range(1, longest + 1), key=key)


def majority_agent(rows: list[_Labelled]) -> str:
    return Counter(r.gold_agent.strip() for r in rows).most_common(1)[0][0]


def agent_guess(run: _Labelled, agent: str) -> str:
    """The training runs' most blamed agent when it speaks in this run, else this run's most frequent speaker."""
    speakers = run.speakers()
    return agent if any(same_agent(s, agent) for s in speakers) else speakers.most_common(1)[0][0]


def grid() -> list[dict[str, float]]:
    """The choices a fold makes among: no rule (always step k), then each tuned rule alone."""
    return [dict.fromkeys(TUNED, 0.0)] + [dict.fromkeys(TUNED, 0.0) | {rule: 1.0} for rule in TUNED]


def choose(rows: list[_Labelled]) -> tuple[ChatConfig, int]:
    """The chat config that scores best on `rows` (step, then agent, then within-1 accuracy) and its best k."""
    k = best_k(rows)
    best, best_key = None, None
    for point in grid():
        config = ChatConfig(**point, fallback_step=k)
        m = _score(rows, [r.predict(config) for r in rows])
        key = (m["step_accuracy"], m["agent_accuracy"], m["step_within1"])
        if best_key is None or key > best_key:
            best, best_key = config, key
    return best, k


def folds_of(rows: list[_Labelled], k: int) -> list[list[int]]:
    """Indexes held out per fold: each subset's runs shuffled with a fixed seed and dealt into k folds."""
    if k < 2:
        raise ValueError(f"--cv {k}: needs at least 2 folds")
    folds: list[list[int]] = [[] for _ in range(k)]
    by_subset: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_subset[r.subset].append(i)
    for subset in sorted(by_subset):
        order = list(by_subset[subset])
        random.Random(SEED).shuffle(order)
        for j, i in enumerate(order):
            folds[j % k].append(i)
    return folds


def cross_validate_source(traces: list[RunTrace], k: int = 5, method: str = "heuristic",
                          errors: list[str] | None = None) -> SourceCVReport:
    """K-fold CV of the chat diagnosis against the runs' own labels, with baselines chosen on the same folds."""
    rows = [_Labelled(t) for t in traces if source_labels(t) is not None]
    if not rows:
        raise ValueError("no run ships labels (mistake_step / mistake_agent)")
    pred: dict[int, int | None] = {}
    base_k: dict[int, int] = {}
    base_agent: dict[int, str] = {}
    folds = []
    for f, held in enumerate(folds_of(rows, k)):
        for subset in sorted({rows[i].subset for i in held}):
            test = [i for i in held if rows[i].subset == subset]
            train = [rows[i] for i in range(len(rows)) if rows[i].subset == subset and i not in held]
            if not train:
                raise ValueError(f"--cv {k}: subset {subset} has a fold with no training runs")
            config, kk = choose(train)
            agent = majority_agent(train)
            for i in test:
                pred[i], base_k[i], base_agent[i] = rows[i].predict(config), kk, agent_guess(rows[i], agent)
            weights = {w: getattr(config, w) for w in TUNED if getattr(config, w)}
            m = _score(train, [r.predict(config) for r in train])
            folds.append(SourceFold(name=f"fold {f + 1}", subset=subset, held_out=[rows[i].trace.run.name
                                                                               for i in test],
                                    weights=weights, best_k=kk, majority_agent=agent,
                                    train_step_accuracy=m["step_accuracy"]))
    subsets: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for subset in sorted({r.subset for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.subset == subset]
        sub = [rows[i] for i in idx]
        fixed = baselines([r.trace for r in sub], [(r.gold_step, r.gold_agent) for r in sub])
        table: dict[str, dict[str, float | int | None]] = {
            method: _score(sub, [pred[i] for i in idx]),
            f"{method}_fit": _score(sub, [r.predict(ChatConfig()) for r in sub]),
            "random": fixed["random"], "first_step": fixed["first_step"], "last_step": fixed["last_step"],
            "best_k": _score(sub, [min(base_k[i], rows[i].size) for i in idx]),
            "best_k_fit": fixed["best_k"],
        }
        table["majority_agent"] = _metrics(sub, [None] * len(sub), [base_agent[i] for i in idx]) | {
            "step_accuracy": None, "step_within1": None}
        subsets[subset] = table
    runs = [SourceScore(run_id=r.trace.run_id, subset=r.subset, steps=r.size, gold_step=r.gold_step,
                        gold_agent=r.gold_agent, pred_step=pred[i], pred_agent=agent_of(r.trace, pred[i]))
            for i, r in enumerate(rows)]
    return SourceCVReport(scheme=f"{k}-fold", subsets=subsets, folds=folds, runs=runs, errors=errors or [])

