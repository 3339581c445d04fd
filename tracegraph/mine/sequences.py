"""Frequent step-signal sequences of failed runs, with lift against solved runs, and onset-signature clusters.

Each step becomes a token `stage/kind/signal`; signal is the first of noop, error, repeat, test, change, ok that
fits the step. A failed run contributes the tokens of its failure span: `before` steps leading to the onset, the
onset, and the steps after it up to the end of its error chain or of the unuseful steps that follow the onset (a
loop after the onset is wasted, not propagated, so the chain no longer runs through it). A solved run has no onset
and contributes all its tokens. A sequence pattern is a contiguous run of tokens found in at least `min_support`
failed spans; lift = P(failed | pattern) / P(failed) over the mined failed and solved runs, so a sequence every run
shows scores 1 and is dropped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from pydantic import BaseModel, ConfigDict

from tracegraph.store import Store

CHECK_REASON = "verification of the change"
"""DEPENDS_ON reason tree/causal.py gives a step that checks an earlier change: the `test` signal."""

SEQUENCE = "sequence"
SIGNATURE = "signature"


class MineConfig(BaseModel):
    """Knobs of `tracegraph mine`."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    method: str = "heuristic"
    """Diagnosis method whose onsets are mined."""
    min_support: int = 3
    """Fewest failed runs a pattern must occur in."""
    max_length: int = 3
    """Longest token sequence mined."""
    before: int = 5
    """Steps before the onset that belong to a failed run's span."""
    min_lift: float = 1.0
    """Sequence patterns with lift at or below this are dropped: solved runs show them as often."""
    diagnose_missing: bool = True
    """Diagnose failed runs that have no diagnosis of `method` yet, before mining."""


class RunTokens(BaseModel):
    """One run as the miner sees it: outcome, one token per step, and its onset when failed."""

    run_id: str
    outcome: str
    tokens: list[str]
    """tokens[k - 1] is step k's `stage/kind/signal`."""
    onset_k: int | None = None
    chain_end_k: int | None = None
    """Last step of the error chain or of the unuseful steps after the onset (the onset when there are none)."""
    category: str | None = None

    def span(self, before: int) -> list[str]:
        """Tokens mined for this run: the failure span of a failed run, every token of a solved one."""
        if self.onset_k is None:
            return self.tokens
        end = max(self.onset_k, self.chain_end_k or self.onset_k)
        return self.tokens[max(0, self.onset_k - 1 - before):end]


class MinedPattern(BaseModel):
    """A pattern with the runs that show it; written back as a Pattern node with EXHIBITS edges."""

    kind: str
    """sequence or signature."""
    signature: str
    support: int
    support_solved: int = 0
    lift: float | None = None
    run_ids: list[str]
    """Failed runs that show it."""
    solved_run_ids: list[str] = []
    """Solved runs that show it."""

    @property
    def id(self) -> str:
        return pattern_id(self.kind, self.signature)

    @property
    def example_run_id(self) -> str:
        return self.run_ids[0]


def pattern_id(kind: str, signature: str) -> str:
    """Same kind and signature, same id: re-mining the same graph writes the same nodes."""
    return f"pattern/{kind}/{hashlib.sha1(signature.encode()).hexdigest()[:12]}"


def signal(step: dict) -> str:
    for name in ("noop", "error", "repeat", "test"):
        if step[name]:
            return name
    return "change" if step["kind"] == "change" else "ok"


def token(step: dict) -> str:
    return f"{step['stage'] or 'none'}/{step['kind']}/{signal(step)}"


STEPS_QUERY = """
MATCH (r:Run)-[:HAS_STEP]->(s:Step)
WHERE r.status = 'loaded' AND r.outcome IN $outcomes
OPTIONAL MATCH (s)-[rep:REPEATS]->(:Step)
OPTIONAL MATCH (s)-[chk:DEPENDS_ON {reason: $check_reason}]->(:Step)
RETURN r.id AS run_id, r.outcome AS outcome, s.k AS k, s.stage AS stage, s.kind AS kind, s.is_noop AS noop,
       s.is_error AS error, count(DISTINCT rep) AS repeats, count(DISTINCT chk) AS checks
ORDER BY run_id, k
"""

ONSETS_QUERY = """
MATCH (r:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})
WHERE r.status = 'loaded' AND r.outcome = 'failed'
RETURN r.id AS run_id, d.onset_k AS onset_k, d.chain_ks AS chain_ks, d.unuseful_ks AS unuseful_ks,
       d.category AS category
"""


def load_runs(store: Store, method: str) -> list[RunTokens]:
    """Solved runs and the failed runs diagnosed by `method`, as tokens (failed runs without a diagnosis left out)."""
    steps: dict[str, list[dict]] = defaultdict(list)
    outcome: dict[str, str] = {}
    for row in store.query(STEPS_QUERY, {"outcomes": ["failed", "solved"], "check_reason": CHECK_REASON}):
        row["repeat"], row["test"] = row["repeats"] > 0, row["checks"] > 0
        steps[row["run_id"]].append(row)
        outcome[row["run_id"]] = row["outcome"]
    onsets = {r["run_id"]: r for r in store.query(ONSETS_QUERY, {"method": method})}
    out = []
    for run_id, rows in steps.items():
        tokens = [token(s) for s in rows]
        if outcome[run_id] == "solved":
            out.append(RunTokens(run_id=run_id, outcome="solved", tokens=tokens))
        elif run_id in onsets:
            d = onsets[run_id]
            after = [k for k in d["unuseful_ks"] or [] if d["onset_k"] is not None and k > d["onset_k"]]
            ends = list(d["chain_ks"] or [])[-1:] + after
            out.append(RunTokens(run_id=run_id, outcome="failed", tokens=tokens, onset_k=d["onset_k"],
                                 chain_end_k=max(ends) if ends else None, category=d["category"]))
    return sorted(out, key=lambda r: r.run_id)


def describe(gram: tuple[str, ...]) -> str:
    """Readable signature: tokens joined by ` > `, a token repeated n times in a row written once as `token xn`."""
    parts: list[list] = []
    for tok in gram:
        if parts and parts[-1][0] == tok:
            parts[-1][1] += 1
        else:
            parts.append([tok, 1])
    return " > ".join(tok if n == 1 else f"{tok} x{n}" for tok, n in parts)


def ngrams(tokens: list[str], max_length: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for n in range(1, max_length + 1) for i in range(len(tokens) - n + 1)}


def without_stage(gram: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(tok.split("/", 1)[1] for tok in gram)


def sequences(tokens: list[str], max_length: int) -> set[tuple[str, ...]]:
    """Every run of 1..max_length tokens, with stages and without: a loop often crosses a stage boundary."""
    return ngrams(tokens, max_length) | {without_stage(g) for g in ngrams(tokens, max_length)}


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return len(longer) > n and any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def mine_sequences(runs: list[RunTokens], config: MineConfig) -> list[MinedPattern]:
    """Token sequences frequent in failed spans and rarer in solved runs, best lift first.

    Of sequences shown by exactly the same runs only the most telling is kept: a longer sequence over one it
    contains, and one without stages over the same with stages.
    """
    failed = [r for r in runs if r.onset_k is not None]
    solved = [r for r in runs if r.outcome == "solved"]
    if not failed:
        return []
    base_rate = len(failed) / (len(failed) + len(solved))
    in_failed: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for run in failed:
        for gram in sequences(run.span(config.before), config.max_length):
            in_failed[gram].append(run.run_id)
    frequent = {g: ids for g, ids in in_failed.items() if len(ids) >= config.min_support}
    solved_grams = {r.run_id: sequences(r.tokens, config.max_length) for r in solved}
    runs_of = {g: (tuple(ids), tuple(rid for rid, grams in solved_grams.items() if g in grams))
               for g, ids in frequent.items()}
    same_runs: dict[tuple, set[tuple[str, ...]]] = defaultdict(set)
    for g, key in runs_of.items():
        same_runs[key].add(g)

    def redundant(g: tuple[str, ...]) -> bool:
        twins = same_runs[runs_of[g]]
        return (without_stage(g) != g and without_stage(g) in twins) or any(_contains(h, g) for h in twins)

    out = []
    for gram in (g for g in frequent if not redundant(g)):
        failed_ids, solved_ids = runs_of[gram]
        lift = round(len(failed_ids) / (len(failed_ids) + len(solved_ids)) / base_rate, 3)
        if lift > config.min_lift:
            out.append(MinedPattern(kind=SEQUENCE, signature=describe(gram), support=len(failed_ids),
                                    support_solved=len(solved_ids), lift=lift, run_ids=list(failed_ids),
                                    solved_run_ids=list(solved_ids)))
    return sorted(out, key=lambda p: (-p.lift, -p.support, p.signature))


def onset_signatures(runs: list[RunTokens], config: MineConfig) -> list[MinedPattern]:
    """Clusters of failed runs whose onsets share category, stage, step kind and signal."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        if run.onset_k is not None:
            clusters[f"{run.category} @ {run.tokens[run.onset_k - 1]}"].append(run.run_id)
    return sorted((MinedPattern(kind=SIGNATURE, signature=sig, support=len(ids), run_ids=ids)
                   for sig, ids in clusters.items() if len(ids) >= config.min_support),
                  key=lambda p: (-p.support, p.signature))
