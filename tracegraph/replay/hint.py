"""The replay hint: where the run went wrong, the evidence, what to do instead and what not to repeat.

Plain deterministic text made from the diagnosis and the run's steps; the same run and diagnosis always give the
same hint. Step numbers are the run's canonical ones (step k = its k-th tool call). Everything the run recorded
(commands, output, reasons naming its files and checks) is shown only through quoting.quoted_block: the next agent
reads the hint as instructions, and a tool's output must not become one.
"""

from __future__ import annotations

import re
from collections import defaultdict

from tracegraph.diagnose import DiagnosisResult, Evidence
from tracegraph.diagnose.rules import failing_tests
from tracegraph.replay.quoting import PREAMBLE, quoted_block, safe_name
from tracegraph.schema import Category, RunTrace, Step

MAX_EVIDENCE = 8
MAX_CHAIN = 5
MAX_REPEATS = 3
MAX_CHECKS = 5
MAX_ADVICE = 5
BLOCK_CHARS = 600
INLINE_CHARS = 160
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Terminal control bytes in logged output: noise in a prompt, and they force YAML into quoted strings."""

CATEGORY_TEXT: dict[Category, tuple[str, str]] = {
    Category.environment_setup: (
        "the environment the task needs was not set up correctly",
        "Check the environment before building on it: confirm that the tools, paths and services the task needs "
        "exist (`which`, `--version`, `ls`), and fix a setup error as soon as it appears."),
    Category.dependency_resolution: (
        "a dependency was missing or could not be installed",
        "Install what the task needs with the package manager the project already uses, read install errors in "
        "full, and confirm the import or binary works before relying on it."),
    Category.mislocalized_edit: (
        "a change went to the wrong place or never took effect",
        "Find the exact place to change before editing: reproduce the failure, trace it to the file and function "
        "involved, and confirm after each edit that the file really changed."),
    Category.incorrect_hypothesis: (
        "the approach rested on an assumption that did not hold",
        "Check the assumption before building on it: reproduce the problem, read the relevant code or data, and "
        "change course as soon as the evidence disagrees."),
    Category.verification_misinterpretation: (
        "a check was read as success when it was not",
        "Read check output literally: an error, a skip or a check of something else is not a pass. Run the task's "
        "own checks and compare with the exact expected result."),
    Category.unproductive_looping: (
        "the run repeated failing actions without changing course",
        "When an action fails twice the same way, stop retrying: read the error, inspect the state, and try a "
        "different approach."),
    Category.premature_stop: (
        "the run stopped before the deliverable was produced and checked",
        "Do not finish early: re-read every requirement, make sure each required output exists with the expected "
        "content, and verify it before stopping."),
    Category.not_agent_fault: (
        "the failure came from outside the agent",
        "Run the task again unchanged once the cause outside the agent is fixed; do not change a working approach "
        "to chase it."),
    Category.undiagnosable: (
        "the artifacts hold no agent actions to judge",
        "Re-run with the agent's actions recorded (a trajectory or the agent's own log), then diagnose again."),
}

RULE_ADVICE: dict[str, str] = {
    "silent_change": "Make that change for real: copy the exact current text before editing, and confirm the file "
                     "changed afterwards (view it or `git diff`).",
    "error_loop": "After two identical failures, stop: read the error, inspect the state, and change the approach "
                  "instead of retrying.",
    "wrote_checked_file": "Check that file against every requirement of the task before finishing.",
    "never_produced": "Produce that file early, and check that it exists with the expected content before finishing.",
    "unverified_end": "Verify every change (run the task's tests or a reproduction) before finishing.",
    "first_error": "Deal with an error when it appears instead of moving past it.",
    "first_change": "Before committing to an approach, reproduce the problem and confirm its cause.",
}
ONSET_ONLY_RULES = frozenset({"first_error", "first_change"})
"""Rules too common to advise on unless they mark the onset itself."""

OUTCOME_TEXT = {
    "failed": "did not pass",
    "incomplete": "did not finish",
    "infra_error": "failed outside the agent",
    "unknown": "has no record of passing",
}


def render_hint(trace: RunTrace, diagnosis: DiagnosisResult) -> str:
    """The hint as Markdown, ready to prepend or append to the task instruction.

    Text recorded from the run (commands, output, reasons naming its files and checks) appears only in fenced
    blocks labelled as quoted from the previous attempt, stripped of markup, after a preamble saying it is data.
    """
    steps = {s.k: s for s in trace.steps}
    evidence = ordered_evidence(diagnosis)
    sections = [
        _intro(trace, diagnosis),
        _what_went_wrong(trace, diagnosis, steps, evidence),
        _evidence(trace, evidence),
        _instead(diagnosis, evidence),
        _do_not_repeat(diagnosis, steps),
    ]
    text = _CONTROL.sub("", "\n\n".join(s for s in sections if s).expandtabs(4))
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def ordered_evidence(diagnosis: DiagnosisResult) -> list[Evidence]:
    """Evidence on the onset step first (as the method listed it), then the rest by first step; no duplicates."""
    seen: set[tuple[str, tuple[int, ...]]] = set()
    unique = []
    for e in diagnosis.evidence:
        key = (e.rule, tuple(e.steps))
        if key not in seen:
            seen.add(key)
            unique.append(e)
    onset = diagnosis.onset_k
    first = [e for e in unique if onset is not None and onset in e.steps]
    rest = sorted((e for e in unique if e not in first), key=lambda e: (min(e.steps, default=0), e.rule))
    return first + rest


def onset_reason(diagnosis: DiagnosisResult, evidence: list[Evidence]) -> str | None:
    """The main reason the onset step was chosen: its top candidate reason, else its first evidence."""
    for c in diagnosis.candidates:
        if c.k == diagnosis.onset_k and c.reasons:
            return c.reasons[0]
    on_onset = [e for e in evidence if diagnosis.onset_k in e.steps]
    return on_onset[0].reason if on_onset else None


def _intro(trace: RunTrace, diagnosis: DiagnosisResult) -> str:
    run = trace.run
    verb = OUTCOME_TEXT.get(run.outcome.value, "did not pass")
    out = [f"# Hint from a failed attempt at {safe_name(run.task_id or run.name)}", PREAMBLE,
           f"A previous attempt at this task {verb} ({run.outcome.value}). tracegraph diagnosed that attempt "
           f"({safe_name(diagnosis.method, 20)} method, confidence {diagnosis.confidence:.2f}); this note says where "
           f"it went wrong and what to do differently. \"Step k\" means the previous attempt's k-th tool call "
           f"({len(trace.steps)} in all)."]
    if run.outcome_reason:
        out.append(quoted_block("how its outcome was decided", run.outcome_reason, INLINE_CHARS * 2))
    return "\n\n".join(out)


def _what_went_wrong(trace: RunTrace, diagnosis: DiagnosisResult, steps: dict[int, Step],
                     evidence: list[Evidence]) -> str:
    phrase = CATEGORY_TEXT[diagnosis.category][0]
    k = diagnosis.onset_k
    if k is None:
        cause = next((e.reason for e in evidence if e.reason), None) or trace.run.outcome_reason or "not recorded"
        return (f"## What went wrong\n\nThe diagnosis found no error by the agent: {phrase}.\n\n"
                + quoted_block("the cause as recorded", cause, BLOCK_CHARS))
    step = steps.get(k)
    tool = f"`{safe_name(step.tool, 40)}`" if step else ""
    where = (f"in the {step.stage.value} stage, calling {tool}" if step and step.stage
             else f"calling {tool}" if step else "")
    out = [f"## What went wrong\n\nThe failure began at step {k} of {len(trace.steps)}{', ' + where if where else ''}: "
           f"{phrase}."]
    if len(diagnosis.chain_ks) > 1:
        out.append("The error carried on through steps " + " → ".join(map(str, diagnosis.chain_ks)) + ".")
    reason = onset_reason(diagnosis, evidence)
    if reason:
        out.append(quoted_block(f"why step {k} was chosen", reason, BLOCK_CHARS))
    if step:
        out.append(quoted_block(f"the command of step {k}", step.action, BLOCK_CHARS))
        seen = trace.observation_full.get(k) or step.observation
        if seen:
            out.append(quoted_block(f"what step {k} got back", seen, BLOCK_CHARS))
    if diagnosis.reasoning and not (reason and reason in diagnosis.reasoning):
        out.append(quoted_block("the diagnosis's reasoning", diagnosis.reasoning, 1200))
    return "\n\n".join(out)


def _evidence(trace: RunTrace, evidence: list[Evidence]) -> str:
    lines = [f"- {_steps_label(e.steps)}({e.rule}): {_one_line(e.reason, 300)}" for e in evidence[:MAX_EVIDENCE]]
    if len(evidence) > MAX_EVIDENCE:
        lines.append(f"- … and {len(evidence) - MAX_EVIDENCE} more of the same kinds")
    failing = failing_tests(trace)
    if failing:
        shown = "; ".join(_one_line(n, INLINE_CHARS) for n in failing[:MAX_CHECKS])
        more = f" (+{len(failing) - MAX_CHECKS} more)" if len(failing) > MAX_CHECKS else ""
        lines.append(f"- failing checks: {shown}{more}")
    if not lines:
        return ""
    return "## Evidence\n\n" + quoted_block("the evidence tracegraph found in it", "\n".join(lines), 4000)


def _instead(diagnosis: DiagnosisResult, evidence: list[Evidence]) -> str:
    lines = [f"- {CATEGORY_TEXT[diagnosis.category][1]}"]
    done: set[str] = set()
    for e in evidence:
        on_onset = diagnosis.onset_k in e.steps
        if e.rule in RULE_ADVICE and e.rule not in done and (on_onset or e.rule not in ONSET_ONLY_RULES):
            done.add(e.rule)
            lines.append(f"- {_steps_label(e.steps).capitalize()}({e.rule}, see the evidence): {RULE_ADVICE[e.rule]}")
    return "## What to do instead\n\n" + "\n".join(lines[:MAX_ADVICE])


def _do_not_repeat(diagnosis: DiagnosisResult, steps: dict[int, Step]) -> str:
    lines, quotes = [], []
    k = diagnosis.onset_k
    if k is not None and k in steps:
        why = ("the run stopped after it without finishing the deliverable"
               if diagnosis.category == Category.premature_stop else "where the failure began")
        lines.append(f"- step {k} — {why} (its command is quoted above)")
    for c in [c for c in diagnosis.chain_ks if c != k and c in steps][:MAX_CHAIN]:
        lines.append(f"- step {c} — carried the error on")
        quotes.append(quoted_block(f"the command of step {c}", steps[c].action, INLINE_CHARS))
    groups: dict[str, list[int]] = defaultdict(list)
    for u in diagnosis.unuseful_ks:
        if u in steps:
            groups[_one_line(steps[u].action, INLINE_CHARS)].append(u)
    repeated = sorted(((a, ks) for a, ks in groups.items() if len(ks) > 1), key=lambda x: (-len(x[1]), x[1][0]))
    for action, ks in repeated[:MAX_REPEATS]:
        label = f"steps {', '.join(map(str, ks))}"
        lines.append(f"- {label} — repeated without progress")
        quotes.append(quoted_block(f"the command repeated at {label}", action, INLINE_CHARS))
    return "\n\n".join(["## Do not repeat\n\n" + "\n".join(lines or ["- Nothing beyond the above."]), *quotes])


def _steps_label(ks: list[int]) -> str:
    if not ks:
        return ""
    ks = sorted(set(ks))
    if len(ks) == 1:
        return f"step {ks[0]} "
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"steps {ks[0]}-{ks[-1]} "
    return f"steps {', '.join(map(str, ks))} "


def _one_line(text: str | None, limit: int) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
