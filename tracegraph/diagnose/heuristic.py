"""Deterministic onset localization: score evidence rules per step, pick the earliest strong one, trace the chain."""

from __future__ import annotations

from collections import defaultdict

from tracegraph.diagnose.chat import diagnose_chat, is_chat
from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.result import Candidate, DiagnosisResult, Evidence
from tracegraph.diagnose.rules import Firing, TraceFacts, facts_of, fire_all
from tracegraph.diagnose.rules.error_loop import ErrorLoop
from tracegraph.diagnose.rules.false_claim import FalseClaim
from tracegraph.diagnose.rules.silent_change import SilentChange
from tracegraph.schema import Category, DependencyKind, Outcome, RunTrace, StepKind
from tracegraph.semantics.tools import PLAN_TOOLS


def rank(signals: list[Firing], config: HeuristicConfig) -> list[Candidate]:
    """Candidates by combined score: the best rule per step plus a little for each further rule agreeing."""
    by_k: dict[int, list[Firing]] = defaultdict(list)
    for s in signals:
        by_k[s.k].append(s)
    out = []
    for k, sigs in by_k.items():
        scores = sorted((s.score for s in sigs), reverse=True)
        score = min(1.0, scores[0] + config.agreement_bonus * (len(scores) - 1))
        out.append(Candidate(k=k, score=round(score, 3), reasons=[s.reason for s in sigs]))
    return sorted(out, key=lambda c: (-c.score, c.k))[: config.top_candidates]


def choose_onset(candidates: list[Candidate], config: HeuristicConfig) -> Candidate | None:
    if not candidates:
        return None
    best = candidates[0]
    # Weak evidence (a lone tool error) never wins on earliness alone; it must be the best there is.
    close = [c for c in candidates if c.score >= best.score - config.earliness_window
             and c.score >= config.earliness_floor] or [best]
    return min(close, key=lambda c: c.k)


def downstream(trace: RunTrace, onset: int) -> list[int]:
    """Steps that transitively depend on the onset (DEPENDS_ON followed forward)."""
    children: dict[int, list[int]] = defaultdict(list)
    for d in trace.dependencies:
        children[d.dst_k].append(d.src_k)
    seen, frontier = {onset}, [onset]
    while frontier:
        k = frontier.pop()
        for c in children.get(k, []):
            if c not in seen:
                seen.add(c)
                frontier.append(c)
    return sorted(seen - {onset})


def build_chain(trace: RunTrace, onset: int, signals: list[Firing], config: HeuristicConfig) -> list[int]:
    """Onset, then later steps that build on it: dependent changes, runs of what it wrote, changes its own rule
    points at, and the false claim of success the run ends on. The chain ends where that evidence ends, not by
    default at the run's last step."""
    later = [k for k in downstream(trace, onset)]
    same_rule = {k for s in signals if s.k == onset for k in s.steps if k > onset}
    kinds = {s.k: s for s in trace.steps}
    # Running the file the onset wrote carries its mistake into what the run produces.
    runs = {d.src_k for d in trace.dependencies if d.dst_k == onset and d.kind == DependencyKind.runs}
    claims = {s.k for s in signals if s.rule == FalseClaim.name}
    chain = sorted({k for k in later if kinds[k].kind == StepKind.change} | runs | claims
                   | {k for k in same_rule if kinds[k].kind == StepKind.change})
    chain = [onset] + [k for k in chain if k > onset]
    if len(chain) > config.max_chain:
        chain = chain[: config.max_chain - 1] + chain[-1:]
    return chain


def only_looked(trace: RunTrace, k: int, signals: list[Firing]) -> bool:
    """A step that worked and changed nothing, claimed nothing: a read or probe, wrong neither as an action nor as a
    claim in the protocol's sense (at worst unuseful)."""
    step = trace.step(k)
    claims = {s.k for s in signals if s.rule == FalseClaim.name}
    return step.kind != StepKind.change and not step.is_error and not step.is_noop and k not in claims


def unuseful_steps(trace: RunTrace, incorrect: set[int]) -> list[int]:
    """Repeats, no-ops that intended nothing, and failed attempts retried as they were."""
    out: set[int] = set()
    # Updating a plan (a todo list) again explores nothing, so it is no redundant exploration.
    out |= {r.src_k for r in trace.repeats if trace.step(r.src_k).tool.lower() not in PLAN_TOOLS}
    # A failure the agent acted on (a change before the retry: an install, a fix) told it what was missing; one
    # retried with nothing changed in between did not advance the task.
    changed = {s.k for s in trace.steps if s.kind == StepKind.change and not s.is_error}
    out |= {d.dst_k for d in trace.dependencies if d.kind == DependencyKind.retries
            and not any(d.dst_k < k < d.src_k for k in changed)}
    for s in trace.steps:
        if s.is_noop and not s.intent:
            out.add(s.k)
    read_before: dict[str, int] = {}
    writes_since: set[str] = set()
    for s in trace.steps:
        for d in trace.deltas_of(s.k):
            if d.path and d.op.value == "read":
                # A listing of a directory changes when a file inside it is written.
                if d.path in read_before and not any(w == d.path or w.startswith(d.path + "/") for w in writes_since):
                    out.add(s.k)
                read_before[d.path] = s.k
                writes_since = {w for w in writes_since if w != d.path and not w.startswith(d.path + "/")}
            elif d.path:
                writes_since.add(d.path)
    return sorted(out - incorrect)


def diagnose_trace(trace: RunTrace, config: HeuristicConfig | None = None,
                   facts: TraceFacts | None = None) -> DiagnosisResult:
    """Heuristic diagnosis of one run's trace (`facts`: the trace's facts when already computed)."""
    config = config or HeuristicConfig()
    run_id = trace.run_id
    if trace.run.outcome == Outcome.infra_error or not trace.steps:
        why = trace.run.outcome_reason or "no agent steps"
        return DiagnosisResult(
            run_id=run_id, method="heuristic", category=Category.not_agent_fault, confidence=0.9,
            unuseful_ks=unuseful_steps(trace, set()) if trace.steps else [],
            reasoning=f"The failure has no agent cause visible: {why}.",
            evidence=[Evidence(rule="not_agent_fault", steps=[], reason=why)])
    if is_chat(trace):
        # Agents talking, no tool calls: the conversation rules read what was said (diagnose/chat/).
        return diagnose_chat(trace)
    facts = facts or facts_of(trace)
    signals = fire_all(facts, config)
    candidates = rank(signals, config)
    onset = choose_onset(candidates, config)
    if onset is None:
        last = trace.steps[-1].k
        signals.append(Firing("fallback_last_step", last, config.fallback_last_step, Category.premature_stop,
                              f"no rule fired; the run stopped at step {last} without passing", [last]))
        candidates = rank(signals, config)
        onset = candidates[0]
    onset_signals = sorted((s for s in signals if s.k == onset.k), key=lambda s: -s.score)
    category = onset_signals[0].category
    # Loops, as the protocol has them: the first call that carries the mistake is incorrect (and may be the onset);
    # its repeats that change nothing are unuseful, however the run continues. A repeat that claims success is
    # incorrect. A loop the onset is in carries the onset's error on, so its repeats stay on the chain.
    loops = [s for s in signals if s.rule == ErrorLoop.name]
    claims = {s.k for s in signals if s.rule == FalseClaim.name}
    looped = {k for s in loops for k in s.steps if k > s.k} - claims - {onset.k}
    onset_loop = {k for s in loops if onset.k in s.steps for k in s.steps if k > onset.k}
    chain = sorted(set(build_chain(trace, onset.k, signals, config)) | onset_loop)
    # A chain step is wrong when it builds on the onset's mistake; the last one only when it claims success,
    # changes something or is a failed call, not when it only looked.
    incorrect = {k for k in chain if k == onset.k or k != chain[-1] or not only_looked(trace, k, signals)}
    incorrect |= {s.k for s in signals if s.rule == SilentChange.name and s.k > onset.k}
    # Declaring success in a run the verifier failed is a false claim acted upon (incorrect by the protocol).
    incorrect |= claims
    incorrect -= looped
    unuseful = sorted(set(unuseful_steps(trace, incorrect)) | looped)
    step = trace.step(onset.k)
    evidence = [Evidence(rule=s.rule, steps=s.steps or [s.k], reason=s.reason) for s in signals]
    tests = facts.failing
    reasoning = (f"Onset at step {onset.k} ({step.stage.value if step.stage else 'unstaged'}, {step.tool}): "
                 f"{onset_signals[0].reason}. The error propagates through steps "
                 f"{', '.join(map(str, chain[1:])) or 'none'}"
                 + (f"; failing checks: {', '.join(tests[:3])}." if tests else "."))
    return DiagnosisResult(
        run_id=run_id, method="heuristic", onset_k=onset.k, onset_stage=step.stage, category=category,
        confidence=onset.score, incorrect_ks=sorted(incorrect), unuseful_ks=unuseful, chain_ks=chain,
        reasoning=reasoning, evidence=evidence, candidates=candidates)


def diagnose_run_heuristic(store, run_id: str, config: HeuristicConfig | None = None) -> DiagnosisResult:
    """Load the run's trace from the graph and diagnose it."""
    from tracegraph.store.read import load_trace

    return diagnose_trace(load_trace(store, run_id), config)
