"""Triage before blame: from a run's artifacts, whose failure it was and whether its steps can be judged at all.

A run that did not pass is one of: the agent worked and failed, the agent timed out, the agent never ran (install
or launch failed), the agent ran but its actions were not recorded, or the verifier/infrastructure failed. Only
the first two are diagnosed down to a step; the verdict comes with one line quoting the evidence.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from tracegraph.ingest.verifier_fault import verifier_fault
from tracegraph.schema import Outcome, RunTrace, Triage

# What a shell prints when the command that should start the agent cannot run.
_LAUNCH_FAILED = re.compile(
    r"^.*(?:: command not found|: No such file or directory|: Permission denied|cannot execute binary file|"
    r"exec format error|ModuleNotFoundError: .*|ImportError: .*)$", re.MULTILINE)
# Lines an agent's session logs per action without the action itself (e.g. OpenHands' runtime server requests).
_ACTION_LINE = re.compile(r"\b(?:POST|GET) /(?:execute_action|run_action|step)\b|\bexecute_action\b|\baction_id\b")
# A launch that printed this many lines ran for a while: a session happened, whatever it recorded.
SESSION_MIN_LINES = 20


class SessionEvidence(BaseModel):
    """What the artifacts show of the agent's session besides its steps; parsers fill it, triage reads it."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    launch: str | None = None
    """The harness command that started the agent (terminal recordings)."""
    launch_output: str | None = None
    """What the session printed after the launch."""
    session_ms: int | None = None
    """How long the agent's session ran, from the harness's timestamps."""
    timeout: str | None = None
    """The harness's own words when it stopped the agent for running out of time."""
    sources: list[str] = []
    """Artifacts that were looked for the agent's steps, e.g. `agent/trajectory.json (missing)`."""


def triage_run(trace: RunTrace, session: SessionEvidence | None = None) -> tuple[Triage | None, str | None]:
    """The triage verdict of a run and its one-line reason; (None, None) for a solved run."""
    session = session or SessionEvidence()
    run = trace.run
    if run.outcome == Outcome.solved:
        return None, None
    if run.outcome == Outcome.infra_error:
        return Triage.infrastructure_failed, run.outcome_reason or "the harness reports an infrastructure error"
    if not trace.steps:
        return _without_steps(trace, session)
    # Before the timeout: a check that could never pass fails the run whether or not the agent ran out of time.
    fault = verifier_fault(trace)
    if fault:
        return Triage.infrastructure_failed, fault
    if session.timeout:
        return Triage.agent_timed_out, f"{session.timeout}, after {len(trace.steps)} recorded agent steps"
    return Triage.agent_failed, f"{len(trace.steps)} recorded agent steps; {run.outcome_reason or run.outcome.value}"


def _without_steps(trace: RunTrace, session: SessionEvidence) -> tuple[Triage, str]:
    run = trace.run
    output = [line for line in (session.launch_output or "").split("\n") if line.strip()]
    launch = f"the launch `{_short(session.launch)}`" if session.launch else "the agent"
    failed = _LAUNCH_FAILED.search("\n".join(output[:10]))
    if failed:
        return Triage.agent_never_ran, f"{launch} answered '{_short(failed.group(0).strip())}'"
    actions = [line for line in output if _ACTION_LINE.search(line)]
    ran = _duration(session.session_ms)
    tokens = (run.prompt_tokens or 0) + (run.completion_tokens or 0)
    if actions or tokens or len(output) >= SESSION_MIN_LINES:
        said = [f"ran {ran}" if ran else "ran"]
        if actions:
            said.append(f"logged {len(actions)} action lines such as '{_short(_action_text(actions[0]))}'")
        elif output:
            said.append(f"printed {len(output)} lines")
        if tokens:
            said.append(f"used {tokens} tokens")
        if session.timeout:
            said.append(f"was stopped ({session.timeout})")
        return Triage.actions_not_recorded, (f"after {launch} the session {', '.join(said)}, "
                                             "but no agent action's content was recorded")
    looked = f" (looked in {', '.join(session.sources)})" if session.sources else ""
    if session.launch:
        return Triage.agent_never_ran, f"{launch} printed nothing an agent would{looked}"
    return Triage.agent_never_ran, f"no agent step in any artifact{looked}"


def _action_text(line: str) -> str:
    m = _ACTION_LINE.search(line)
    return m.group(0) if m else line


def _duration(ms: int | None) -> str | None:
    if ms is None or ms < 0:
        return None
    seconds = ms // 1000
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _short(text: str | None, limit: int = 80) -> str:
    one = " ".join((text or "").split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
