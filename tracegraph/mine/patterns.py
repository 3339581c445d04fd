"""Patterns over step and run features, scored against solved runs, pruned, and ranked by failures explained.

Two shapes:
- a set: features that co-occur in a run (`cmd:: pip install & model:kimi-k2.5`), at least one of them a step's;
- a sequence: step features in order, each within `max_gap` steps after the one before (`noop > noop > noop`).

Each pattern gets the 2x2 table of mined runs (failed / solved × shows it / not): support, confidence
(P(failed | pattern)), lift (confidence over the failed share), Fisher's one-sided p-value and a Benjamini-Hochberg
q-value over every pattern tested. A pattern is dropped when a more specific one is shown by exactly the same
runs (it says less), and a more specific one is dropped when it is no likelier to fail than a pattern it extends.
Patterns are ranked by the failed runs whose onset step they touch ("failures explained"), then by p-value.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from tracegraph.mine.features import RUN_KINDS, MinedRun
from tracegraph.mine.stats import benjamini_hochberg, fisher_greater
from tracegraph.schema.nodes import BLAMEABLE

SET_RUN_KINDS = ("model", "agent", "task")
"""Run features sets may hold; the framework is the stratum runs are compared within (see `comparable`)."""
SET = "set"
SEQUENCE = "sequence"


class MineConfig(BaseModel):
    """Knobs of `tracegraph mine`."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    method: str = "heuristic"
    """Diagnosis method whose onsets say which steps a pattern must touch to explain a failure."""
    outcomes: list[str] = ["failed"]
    """Run outcomes mined as failures (solved runs are always the comparison)."""
    verdicts: list[str] = sorted(BLAMEABLE)
    """Triage verdicts of the failures mined: those under which the agent is blamed (runs without a verdict count
    as agent_failed)."""
    model: str | None = None
    """Only runs whose model contains this (case-insensitive)."""
    agent: str | None = None
    """Only runs whose agent contains this (case-insensitive)."""
    min_support: int = 3
    """Fewest failed runs a pattern must occur in."""
    max_length: int = 3
    """Most features in a sequence."""
    max_set_size: int = 2
    """Most features in a set (larger sets mostly restate smaller ones)."""
    max_gap: int = 2
    """Most steps allowed between two consecutive features of a sequence."""
    max_share: float = 0.8
    """Features shown by more than this share of the mined runs are too common to explain anything."""
    min_lift: float = 1.0
    """Patterns with lift at or below this are dropped: solved runs show them as often."""
    diagnose_missing: bool = True
    """Diagnose failed runs that have no diagnosis of `method` yet, before mining."""


class Holder(BaseModel):
    """How often a pattern shows among one model's (or agent's) runs."""

    kind: str
    """model or agent."""
    name: str
    failed: int
    """Its failed runs that show the pattern."""
    failed_runs: int
    """Its failed runs mined."""
    solved: int
    solved_runs: int


class MinedPattern(BaseModel):
    """A pattern, its statistics and where it occurs; written back as a Pattern node."""

    kind: str
    """set (co-occurrence in a run) or sequence (in order, with gaps)."""
    features: list[str]
    signature: str
    support: int
    """Failed runs that show it."""
    support_solved: int
    confidence: float
    """Share of the runs showing it that failed."""
    lift: float
    p_value: float
    """Fisher's exact test, one-sided: the pattern is over-represented in failed runs."""
    q_value: float = 1.0
    """Benjamini-Hochberg adjusted p-value over every pattern tested."""
    explained: int = 0
    """Failed runs in which the pattern touches the onset step."""
    statement: str = ""
    holders: list[Holder] = []
    run_ids: list[str]
    """Failed runs that show it, those where it touches the onset first."""
    solved_run_ids: list[str] = []
    steps: dict[str, list[int]] = {}
    """Run id → the steps the pattern matched there."""
    onset_run_ids: list[str] = []
    """Failed runs in which it touches the onset."""
    same_runs: list[str] = []
    """Signatures of patterns shown by exactly the same runs, which this one stands for."""

    @property
    def id(self) -> str:
        return pattern_id(self.kind, self.signature)

    @property
    def example_run_id(self) -> str:
        return self.run_ids[0]


def pattern_id(kind: str, signature: str) -> str:
    """Same kind and signature, same id: re-mining the same graph writes the same nodes."""
    return f"pattern/{kind}/{hashlib.sha1(signature.encode()).hexdigest()[:12]}"


def describe(kind: str, features: Iterable[str]) -> str:
    """The signature: a set's features sorted and joined by ` & `; a sequence's in order by ` > `, a feature
    repeated n times in a row written once as `feature xn`."""
    features = list(features)
    if kind == SET:
        return " & ".join(sorted(features))
    parts: list[list] = []
    for f in features:
        if parts and parts[-1][0] == f:
            parts[-1][1] += 1
        else:
            parts.append([f, 1])
    return " > ".join(f if n == 1 else f"{f} x{n}" for f, n in parts)


# --- occurrences -------------------------------------------------------------------------------------------------

Occurrence = tuple[int, ...]
"""The steps (k) one match of a pattern covers in a run."""


def framework_of(run: MinedRun) -> str:
    return next((f.split(":", 1)[1] for f in run.run_features if f.startswith("framework:")), "")


def comparable(runs: list[MinedRun]) -> tuple[list[MinedRun], list[str]]:
    """The runs of frameworks with a solved run, and the failed runs left out because their framework has none.

    A framework whose runs all failed would make every habit of its agent look like a cause (its tools, its log
    format); failures are only compared with successes read the same way.
    """
    with_solved = {framework_of(r) for r in runs if r.outcome == "solved"}
    kept = [r for r in runs if framework_of(r) in with_solved]
    return kept, sorted(r.run_id for r in runs if framework_of(r) not in with_solved)


def _is_run_feature(feature: str) -> bool:
    return feature.split(":", 1)[0] in RUN_KINDS


def _common(runs: list[MinedRun], config: MineConfig) -> set[str]:
    """Step features too widespread to explain anything: in every framework that shows them at all, more than
    `max_share` of its runs do (Bash in Claude Code, str_replace_editor in SWE-agent), and stages (a whole run's
    stages say nothing; a pattern's onset stages are reported instead)."""
    frameworks: dict[str, list[MinedRun]] = defaultdict(list)
    for r in runs:
        frameworks[framework_of(r)].append(r)
    common: set[str] | None = None
    seen: set[str] = set()
    for members in frameworks.values():
        shown = Counter(f for r in members for f in {f for step in r.steps for f in step})
        seen |= set(shown)
        rare = {f for f, n in shown.items() if n <= config.max_share * len(members)}
        common = (common if common is not None else set(shown)) - rare
    return (common or set()) | {f for f in seen if f.startswith("stage:")}


def _sequences(runs: list[MinedRun], config: MineConfig, usable: set[str]) -> dict[tuple[str, ...], dict]:
    """Frequent gapped sequences, grown from frequent prefixes: pattern → run id → occurrences."""
    failed_ids = {r.run_id for r in runs if r.outcome == "failed"}
    positions = {r.run_id: {f: ks for f, ks in r.positions().items() if f in usable} for r in runs}
    level: dict[tuple[str, ...], dict[str, list[Occurrence]]] = {}
    for run_id, by_feature in positions.items():
        for f, ks in by_feature.items():
            level.setdefault((f,), {})[run_id] = [(k,) for k in ks]
    out: dict[tuple[str, ...], dict[str, list[Occurrence]]] = {}
    for _ in range(config.max_length - 1):
        grown: dict[tuple[str, ...], dict[str, list[Occurrence]]] = defaultdict(dict)
        for prefix, occurrences in level.items():
            if sum(rid in failed_ids for rid in occurrences) < config.min_support:
                continue
            for run_id, occs in occurrences.items():
                by_feature = positions[run_id]
                for f, ks in by_feature.items():
                    nxt = [(*o, k) for o in occs for k in ks if o[-1] < k <= o[-1] + config.max_gap + 1]
                    if nxt:
                        grown[(*prefix, f)][run_id] = nxt
        level = {p: o for p, o in grown.items() if sum(rid in failed_ids for rid in o) >= config.min_support}
        out.update(level)
    return out


def _sets(runs: list[MinedRun], config: MineConfig, usable: set[str]) -> dict[frozenset[str], set[str]]:
    """Frequent sets of features a run shows (level-wise), each holding a step feature: pattern → run ids."""
    failed_ids = {r.run_id for r in runs if r.outcome == "failed"}
    items = {r.run_id: {f for step in r.steps for f in step if f in usable}
             | {f for f in r.run_features if f.split(":", 1)[0] in SET_RUN_KINDS} for r in runs}

    def frequent(candidates: Iterable[frozenset[str]]) -> dict[frozenset[str], set[str]]:
        found = {}
        for c in candidates:
            ids = {rid for rid, have in items.items() if c <= have}
            if len(ids & failed_ids) >= config.min_support:
                found[c] = ids
        return found

    level = frequent({frozenset([f]) for have in items.values() for f in have})
    singles = sorted({f for s in level for f in s})
    out = {s: ids for s, ids in level.items() if not all(_is_run_feature(f) for f in s)}
    for _ in range(config.max_set_size - 1):
        candidates = {s | {f} for s in level for f in singles if f not in s and f > max(s)}
        level = frequent(c for c in candidates if all(c - {f} in level for f in c)
                         and sum(_is_run_feature(f) for f in c) <= 1)
        out.update({s: ids for s, ids in level.items() if not all(_is_run_feature(f) for f in s)})
    return out


def _set_steps(run: MinedRun, features: frozenset[str]) -> list[int]:
    return [k for k, feats in enumerate(run.steps, start=1) if features & set(feats)]


# --- scoring, pruning, ranking -----------------------------------------------------------------------------------

def mine(runs: list[MinedRun], config: MineConfig) -> tuple[list[MinedPattern], int]:
    """Every pattern worth reading, best first (see the module docstring), and how many were tested."""
    failed = [r for r in runs if r.outcome == "failed"]
    solved = [r for r in runs if r.outcome == "solved"]
    if not failed:
        return [], 0
    by_id = {r.run_id: r for r in runs}
    usable = {f for r in runs for step in r.steps for f in step} - _common(runs, config)
    found: list[tuple[str, tuple[str, ...], dict[str, list[int]], set[int] | None]] = []
    for feats, ids in _sets(runs, config, usable).items():
        steps = {rid: _set_steps(by_id[rid], feats) for rid in ids}
        found.append((SET, tuple(sorted(feats)), steps, None))
    for seq, occurrences in _sequences(runs, config, usable).items():
        steps = {rid: sorted({k for o in occs for k in o}) for rid, occs in occurrences.items()}
        spans = {rid: [(o[0], o[-1]) for o in occs] for rid, occs in occurrences.items()}
        found.append((SEQUENCE, seq, steps, spans))
    patterns = [_score(kind, feats, steps, spans, by_id, len(failed), len(solved))
                for kind, feats, steps, spans in found]
    for p, q in zip(patterns, benjamini_hochberg([p.p_value for p in patterns]), strict=True):
        p.q_value = round(q, 6)
    kept = [p for p in _prune(patterns) if p.lift > config.min_lift]
    for p in kept:
        p.holders = _holders(p, runs)
        p.statement = statement(p, len(failed), len(solved))
    return sorted(kept, key=lambda p: (-p.explained, p.p_value, -p.support, p.signature)), len(patterns)


def _touches(run: MinedRun, steps: list[int], spans) -> bool:
    if run.onset_k is None:
        return False
    if spans is None:
        return run.onset_k in steps
    return any(lo <= run.onset_k <= hi for lo, hi in spans[run.run_id])


def _score(kind: str, feats: tuple[str, ...], steps: dict[str, list[int]], spans, by_id: dict[str, MinedRun],
           n_failed: int, n_solved: int) -> MinedPattern:
    failed_ids = sorted(rid for rid in steps if by_id[rid].outcome == "failed")
    solved_ids = sorted(rid for rid in steps if by_id[rid].outcome == "solved")
    onset_ids = [rid for rid in failed_ids if _touches(by_id[rid], steps[rid], spans)]
    a, b = len(failed_ids), len(solved_ids)
    confidence = a / (a + b)
    return MinedPattern(
        kind=kind, features=list(feats), signature=describe(kind, feats), support=a, support_solved=b,
        confidence=round(confidence, 4), lift=round(confidence / (n_failed / (n_failed + n_solved)), 3),
        p_value=round(fisher_greater(a, b, n_failed - a, n_solved - b), 6), explained=len(onset_ids),
        run_ids=onset_ids + [rid for rid in failed_ids if rid not in onset_ids], solved_run_ids=solved_ids,
        steps=steps, onset_run_ids=onset_ids)


def _key(p: MinedPattern) -> tuple:
    return p.kind, tuple(p.features) if p.kind == SEQUENCE else frozenset(p.features)


def _parents(p: MinedPattern) -> list[tuple]:
    """The patterns this one extends by one feature (a sequence also extends the set of its features)."""
    if len(p.features) < 2:
        return []
    if p.kind == SET:
        whole = frozenset(p.features)
        return [(SET, whole - {f}) for f in whole]
    out = [(SEQUENCE, tuple(p.features[:i] + p.features[i + 1:])) for i in (0, len(p.features) - 1)]
    return out + [(SET, frozenset(p.features))]


def _prune(patterns: list[MinedPattern]) -> list[MinedPattern]:
    by_key = {_key(p): p for p in patterns}
    dropped: set[tuple] = set()
    for p in patterns:
        for parent_key in _parents(p):
            parent = by_key.get(parent_key)
            if parent is None:
                continue
            if (set(parent.run_ids), parent.solved_run_ids) == (set(p.run_ids), p.solved_run_ids) and (
                    parent.explained <= p.explained):
                dropped.add(parent_key)  # the same runs: the more specific pattern says more
            elif parent.confidence >= p.confidence:
                dropped.add(_key(p))  # the extra feature makes failure no likelier
    kept = [p for p in patterns if _key(p) not in dropped]
    # Patterns shown by exactly the same runs cannot be told apart by the data: the shortest stands for them,
    # one naming a model first.
    twins: dict[tuple, MinedPattern] = {}
    for p in sorted(kept, key=lambda p: (len(p.features), not any(f.startswith("model:") for f in p.features),
                                          p.kind != SET, p.signature)):
        first = twins.setdefault((frozenset(p.run_ids), tuple(p.solved_run_ids), p.explained), p)
        if first is not p:
            first.same_runs.append(p.signature)
    return list(twins.values())


def _holders(p: MinedPattern, runs: list[MinedRun]) -> list[Holder]:
    """Per model and per agent with a failed run showing the pattern: how often it shows in failed and solved runs."""
    shown = set(p.run_ids) | set(p.solved_run_ids)
    out = []
    for kind in ("model", "agent"):
        groups: dict[str, list[MinedRun]] = defaultdict(list)
        for r in runs:
            if getattr(r, kind):
                groups[getattr(r, kind)].append(r)
        for name, members in groups.items():
            failed = [r for r in members if r.outcome == "failed"]
            solved = [r for r in members if r.outcome == "solved"]
            hits = sum(r.run_id in shown for r in failed)
            if hits:
                out.append(Holder(kind=kind, name=name, failed=hits, failed_runs=len(failed),
                                  solved=sum(r.run_id in shown for r in solved), solved_runs=len(solved)))
    return sorted(out, key=lambda h: (h.kind, -h.failed, h.name))


# --- words -------------------------------------------------------------------------------------------------------

_ACTS = {"install": "installs packages", "env_probe": "probes the environment", "test": "runs tests",
         "run_own": "runs its own code", "run": "runs a program", "probe": "probes a running service",
         "service": "starts or stops a service", "write": "writes a file", "write_test": "writes a test file",
         "write_scratch": "writes a scratch file", "write_intent": "tries a change that never happens",
         "read": "reads a file", "read_own": "reads back its own file", "search": "searches the web",
         "plan": "updates its plan", "finish": "declares the task done"}


def phrase(feature: str) -> str:
    """A feature in words: `cmd:pip install` → runs `pip install`."""
    if feature == "noop":
        return "sends a `:`-prefixed no-op command"
    if feature == "repeat":
        return "repeats its previous action"
    kind, _, value = feature.partition(":")
    if kind == "cmd":
        return f"sends `{value}` (a no-op)" if value.startswith(": ") else f"runs `{value}`"
    return {"tool": f"calls {value}", "act": _ACTS.get(value, value), "writes": _file_phrase("writes", value),
            "reads": _file_phrase("reads", value), "error": f"meets a '{value}' error", "stage": f"is in {value}",
            "model": f"is {value}", "agent": f"runs as {value}", "framework": f"is read from {value}",
            "task": f"works on {value}"}.get(kind, feature)


def _file_phrase(verb: str, value: str) -> str:
    return f"{verb} a {value} file" if value.startswith(".") else f"{verb} a file with no suffix" if (
        value == "no suffix") else f"{verb} a folder"


def _pct(n: int, of: int) -> str:
    return f"{round(100 * n / of)}% ({n}/{of})" if of else "- (0 runs)"


def statement(p: MinedPattern, n_failed: int, n_solved: int) -> str:
    """One sentence a person can act on: who, what, how often in failed and solved runs, how often at the onset."""
    who = next((f.split(":", 1)[1] for f in p.features if f.startswith("model:")), None)
    models = [h for h in p.holders if h.kind == "model"]
    if who is None and len(models) == 1 and models[0].failed == p.support:
        who = models[0].name
    holder = next((h for h in models if h.name == who), None)
    words = [phrase(f) for f in p.features if not f.startswith("model:")]
    if p.kind == SEQUENCE:
        what = ", then ".join(_collapse(words))
    else:
        what = " and ".join(words)
    if holder is not None:
        freq = (f"in {_pct(holder.failed, holder.failed_runs)} of its failed runs and "
                f"{_pct(holder.solved, holder.solved_runs)} of its solved ones")
    else:
        who = "a run"
        freq = f"in {_pct(p.support, n_failed)} of failed runs and {_pct(p.support_solved, n_solved)} of solved ones"
    onset = f"; the onset sits in it in {p.explained} run{'s' if p.explained != 1 else ''}" if p.explained else ""
    return f"{who} {what} {freq}{onset} (p={p.p_value:.3g}, q={p.q_value:.3g})"


def _collapse(words: list[str]) -> list[str]:
    out: list[list] = []
    for w in words:
        if out and out[-1][0] == w:
            out[-1][1] += 1
        else:
            out.append([w, 1])
    return [w if n == 1 else f"{w} ({n} times)" for w, n in out]
