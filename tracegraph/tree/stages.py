"""Stage segmentation: score each step's evidence for every stage label, then pick contiguous stages by Viterbi.

Each step's activities (tree/semantics.py) give it additive scores per label; roles of multi-agent runs that
do one activity (Tester, Reproducer) decide their steps; bookkeeping steps (todo lists, plans, role hand-offs)
score nothing and join a neighbouring stage; the closing tail (a last todo update, the reads after it, a submit)
is finish. The best labelling maximises the summed scores minus SWITCH_PENALTY per stage change, so stages come
out as long blocks and a lone step of another activity inside a block is absorbed unless its evidence is strong.
No rule reads the agent's thought text.
"""

from __future__ import annotations

import functools
import re

from tracegraph.schema import RunTrace, Stage, StageLabel, Step
from tracegraph.semantics.activity import BUILDING, Act, Activity
from tracegraph.tree.semantics import trace_activities

E, X, I, V, F = (StageLabel.environment, StageLabel.exploration, StageLabel.implementation,
                 StageLabel.verification, StageLabel.finish)
LABELS = (E, X, I, V, F)

SWITCH_PENALTY = 1.0
"""Cost of starting a new stage, in the units of ACT_SCORES (a strong signal is 2)."""
PRIOR = {I: 0.02, X: 0.01}
"""Tie-breaker for steps with no evidence at all: the most frequent activities of coding runs."""
LEAN = 0.05
"""Score a step without evidence gets for its neighbour's activity (see _lean_empty_steps)."""

ACT_SCORES: dict[Act, dict[StageLabel, float]] = {
    Act.install: {E: 2.0},
    Act.env_probe: {E: 1.2, X: 0.4},
    Act.test: {V: 2.0},
    Act.write: {I: 2.0},
    Act.write_test: {V: 1.5, I: 0.6},
    Act.write_scratch: {V: 1.4, I: 0.6, X: 0.4},
    Act.write_intent: {I: 1.5},
    Act.service: {I: 1.5},
    Act.read: {X: 1.5},
    Act.search: {X: 1.5},
    Act.run: {X: 1.0, I: 0.3},
    Act.unknown: {X: 0.3, I: 0.3},
    Act.finish: {F: 3.0},
}
"""Evidence of each activity for each label; run_own, read_own and probe depend on context (see act_scores)."""

ROLE_LABELS: dict[str, StageLabel] = {
    "tester": V, "verifier": V, "verification": V, "validation": V, "validator": V, "reviewer": V, "qa": V,
    "reproducer": X, "debugger": X, "explorer": X, "researcher": X, "searcher": X, "localizer": X, "surfer": X,
    "browser": X, "retriever": X,
}
"""Multi-agent roles whose job is one activity whatever tool they use (CodeR's Tester, Reproducer, ...)."""
PLAN_ROLES = {"manager", "planner", "orchestrator"}
"""Roles that only hand work out: their steps join the stage around them."""
ROLE_SCORE = 2.5
"""Evidence a single-activity role gives each of its steps, above any one tool signal."""


@functools.lru_cache(maxsize=256)  # a run has a handful of role names, each asked about at every step
def role_label(role: str | None) -> StageLabel | None:
    """The activity a role name stands for, from its words (Verification_Expert → verification)."""
    if not role:
        return None
    for word in re.sub(r"([a-z])([A-Z])", r"\1_\2", role).replace("-", "_").lower().split("_"):
        if word in ROLE_LABELS:
            return ROLE_LABELS[word]
    return None


def act_scores(a: Activity, built: bool) -> dict[StageLabel, float]:
    """Scores of one activity; `built`: an earlier step wrote files or started a service."""
    if a.act == Act.run_own:
        return {V: 1.2, I: 0.8}
    if a.act == Act.read_own:
        # Reading back one's own work belongs to whatever the agent is doing around it.
        return {V: 0.7, X: 0.6, I: 0.5}
    if a.act == Act.probe:
        return {V: 1.5, I: 0.3} if built else {X: 1.0, E: 0.5}
    return ACT_SCORES.get(a.act, {})


def step_scores(step: Step, acts: list[Activity], built: bool) -> dict[StageLabel, float]:
    """Per-label evidence of one step: its activities' scores summed, scaled so the top equals its strongest one.

    Summing lets the main activity of a compound command win (`apt-get update && apt-get install && mkdir` is
    environment work); scaling keeps a long command line from outweighing its neighbours.
    """
    scores: dict[StageLabel, float] = {}
    strongest = 0.0
    for a in acts:
        for label, s in act_scores(a, built).items():
            scores[label] = scores.get(label, 0.0) + s
            strongest = max(strongest, s)
    if scores:
        scale = strongest / max(scores.values())
        scores = {lab: round(s * scale, 3) for lab, s in scores.items()}
    rl = role_label(step.role)
    if rl is not None and not any(a.act == Act.finish for a in acts):
        scores = {rl: ROLE_SCORE}
    elif (step.role or "").lower() in PLAN_ROLES and not scores.get(F):
        scores = {}
    return scores


def is_bookkeeping(acts: list[Activity]) -> bool:
    """Only plan/todo/hand-off activity: the step does nothing to the task itself."""
    return all(a.act == Act.plan for a in acts)


def score_steps(trace: RunTrace, acts: list[list[Activity]] | None = None) -> list[dict[StageLabel, float]]:
    """Evidence per step for each label, with finish evidence for the run's closing steps."""
    acts = acts if acts is not None else trace_activities(trace)
    built = False
    scores: list[dict[StageLabel, float]] = []
    for step, step_acts in zip(trace.steps, acts):
        scores.append(step_scores(step, step_acts, built))
        built = built or any(a.act in BUILDING for a in step_acts)
    _finish_evidence(acts, scores)
    _lean_empty_steps(trace.steps, scores)
    return scores


def _finish_evidence(acts: list[list[Activity]], scores: list[dict]) -> None:
    """The run's closing tail (only bookkeeping, reads or nothing readable after the last real work) wraps up.

    From the tail's first bookkeeping step on (a last todo update, a role's `succeed`), bookkeeping is finish,
    and so are the reads after the last bookkeeping step (a final look at the result before the summary).
    """
    def closing(a: list[Activity]) -> bool:
        return not a or all(x.act in (Act.plan, Act.finish, Act.read, Act.read_own, Act.search) for x in a)

    start = len(acts)
    while start > 0 and closing(acts[start - 1]):
        start -= 1
    marks = [i for i in range(start, len(acts)) if acts[i] and is_bookkeeping(acts[i])]
    if not marks:
        return
    for i in range(marks[0], len(acts)):
        if acts[i] and is_bookkeeping(acts[i]):
            scores[i][F] = max(scores[i].get(F, 0.0), 2.0)
        elif i > marks[-1] and acts[i]:
            scores[i][F] = max(scores[i].get(F, 0.0), 1.2)


def _lean_empty_steps(steps: list[Step], scores: list[dict]) -> None:
    """Steps with no evidence lean to a neighbour's activity: the next one (a todo update announces the next
    task), or the previous one when the same role acted just before (a role's `succeed` closes its own work)."""
    def best(i: int) -> StageLabel | None:
        if not scores[i] or max(scores[i].values()) <= LEAN:
            return None
        return max(scores[i], key=lambda lab: scores[i][lab])

    n = len(scores)
    nxt: list[StageLabel | None] = [None] * n
    for i in range(n - 2, -1, -1):
        nxt[i] = best(i + 1) or nxt[i + 1]
    prev: StageLabel | None = None
    for i in range(n):
        own = best(i)
        if own is None:
            same_role = i > 0 and steps[i].role is not None and steps[i].role == steps[i - 1].role
            lean = prev if same_role and prev is not None else nxt[i]
            if lean is not None:
                scores[i][lean] = scores[i].get(lean, 0.0) + LEAN
        prev = own or prev


def viterbi(scores: list[dict[StageLabel, float]], penalty: float | None = None) -> list[StageLabel]:
    """Labels maximising summed step scores minus `penalty` (default SWITCH_PENALTY) per label change."""
    penalty = SWITCH_PENALTY if penalty is None else penalty
    if not scores:
        return []
    total = [{lab: scores[0].get(lab, 0.0) + PRIOR.get(lab, 0.0) for lab in LABELS}]
    back: list[dict[StageLabel, StageLabel]] = []
    for s in scores[1:]:
        prev = total[-1]
        best_prev = max(LABELS, key=lambda lab: prev[lab])
        row, ptr = {}, {}
        for lab in LABELS:
            stay = prev[lab]
            switch = prev[best_prev] - penalty
            ptr[lab] = lab if stay >= switch else best_prev
            row[lab] = max(stay, switch) + s.get(lab, 0.0) + PRIOR.get(lab, 0.0)
        total.append(row)
        back.append(ptr)
    lab = max(LABELS, key=lambda x: total[-1][x])
    out = [lab]
    for ptr in reversed(back):
        lab = ptr[lab]
        out.append(lab)
    return out[::-1]


def label_steps(trace: RunTrace, acts: list[list[Activity]] | None = None,
                penalty: float | None = None) -> list[StageLabel]:
    """The stage label of every step, in order."""
    return viterbi(score_steps(trace, acts), penalty)


def segment_stages(trace: RunTrace, acts: list[list[Activity]] | None = None) -> None:
    """Fill trace.stages with contiguous stages and set each step's stage label and ordinal."""
    labels = label_steps(trace, acts)
    stages: list[Stage] = []
    for step, label in zip(trace.steps, labels):
        if stages and stages[-1].label == label:
            stages[-1].end_k = step.k
        else:
            ordinal = len(stages) + 1
            stages.append(Stage(id=f"{trace.run_id}/stage/{ordinal}", run_id=trace.run_id, ordinal=ordinal,
                                label=label, start_k=step.k, end_k=step.k))
        step.stage = label
        step.stage_ordinal = stages[-1].ordinal
    trace.stages = stages
