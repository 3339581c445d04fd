"""The triage gate every diagnosis method passes: runs that are not the agent's failure get no onset."""

from __future__ import annotations

from collections.abc import Callable

from tracegraph.diagnose.result import DiagnosisResult, Evidence
from tracegraph.schema import BLAMEABLE, Category, Run, Triage

# Whose fault it was, when it was not the agent's, or that nobody can tell from what was recorded.
UNBLAMED_CATEGORY = {
    Triage.agent_never_ran: Category.not_agent_fault,
    Triage.infrastructure_failed: Category.not_agent_fault,
    Triage.actions_not_recorded: Category.undiagnosable,
}


def blameable(run: Run) -> bool:
    """True when the run's steps may be diagnosed down to an onset (untriaged runs from older stores may)."""
    return run.triage is None or run.triage in BLAMEABLE


def unblamed_result(run: Run, method: str) -> DiagnosisResult:
    """The diagnosis of a run triage kept from blame: no onset, no step labelled, the triage reason as evidence."""
    assert run.triage is not None and run.triage not in BLAMEABLE
    category = UNBLAMED_CATEGORY[run.triage]
    why = run.triage_reason or run.triage.value
    return DiagnosisResult(
        run_id=run.id, method=method, category=category, confidence=1.0,
        reasoning=f"Triage: {run.triage.value}: {why}. No agent step is blamed.",
        evidence=[Evidence(rule=f"triage_{run.triage.value}", steps=[], reason=why)])


def after_timeout(run: Run, result: DiagnosisResult) -> DiagnosisResult:
    """A run the harness stopped for time: the agent did not stop early, it ran out of time without finishing."""
    if run.triage != Triage.agent_timed_out or result.onset_k is None:
        return result
    category = Category.unproductive_looping if result.category == Category.premature_stop else result.category
    return result.model_copy(update={
        "category": category, "notes": [*result.notes, f"the agent timed out: {run.triage_reason}"]})


def gated(run: Run, method: str, diagnose: Callable[[], DiagnosisResult]) -> DiagnosisResult:
    """`diagnose()` for a run triage lets be blamed (with the timeout adjustment), else the unblamed result."""
    if not blameable(run):
        return unblamed_result(run, method)
    return after_timeout(run, diagnose())
