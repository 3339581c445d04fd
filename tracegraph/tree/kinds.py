"""explore vs change for each step, decided from its state deltas and command semantics (never from its thought).

A step is a change when it writes, edits, deletes or moves a file, installs something, starts/stops a service,
mutates git or the system (useradd, chpasswd, a tool told to write `-o FILE`). Everything else is explore: reads,
listings, searches, probes, and runs of programs or tests that write no file they name. Documented defaults:
a command whose effect we cannot read is explore (reason says "unknown command"); a no-op (`: cmd`) and a
rejected edit are explore because nothing changed, with the intended action in the reason.
"""

from __future__ import annotations

from tracegraph.schema import RunTrace, StateDelta, Step, StepKind
from tracegraph.semantics.activity import CHANGING, Act, Activity
from tracegraph.semantics.writes import is_write
from tracegraph.tree.semantics import shell_rejected, trace_activities

def deltas_by_step(trace: RunTrace) -> dict[int, list[StateDelta]]:
    """Step number → its deltas."""
    out: dict[int, list[StateDelta]] = {}
    for d in trace.deltas:
        out.setdefault(d.k, []).append(d)
    return out


def classify_steps(trace: RunTrace, acts: list[list[Activity]] | None = None) -> None:
    """Set `kind` and `kind_reason` on every step of the trace (`acts`: its trace_activities, when known)."""
    acts = acts if acts is not None else trace_activities(trace)
    by_k = deltas_by_step(trace)
    for step, step_acts in zip(trace.steps, acts):
        step.kind, step.kind_reason = classify_step(step, by_k.get(step.k, []), step_acts)


def classify_step(step: Step, deltas: list[StateDelta], acts: list[Activity]) -> tuple[StepKind, str]:
    """(kind, reason) of one step from its deltas and activities."""
    if step.is_noop:
        what = f"; intended: {step.intent[:120]}" if step.intent else ""
        return StepKind.explore, f"no-op: `:` runs nothing{what}"
    if shell_rejected(step):
        return StepKind.explore, "the shell rejected the line (syntax error): nothing ran"
    if step.command is not None and step.exit_code in (126, 127) and not deltas:
        return StepKind.explore, f"exit {step.exit_code} (command not found or not executable): no state change"
    writes = [d for d in deltas if is_write(d.op, d.path, d.effect)]
    if writes:
        d = writes[0]
        more = f" (+{len(writes) - 1} more)" if len(writes) > 1 else ""
        return StepKind.change, f"{d.op.value} {d.path or d.effect}{more}"
    changing = [a for a in acts if a.act in CHANGING]
    if changing:
        return StepKind.change, f"{changing[0].act.value}: {changing[0].detail}"
    if step.intent and step.is_error:
        return StepKind.explore, f"rejected, nothing changed; intended: {step.intent[:120]}"
    if any(a.act == Act.unknown for a in acts) and len({a.act for a in acts}) == 1:
        return StepKind.explore, f"unknown command {acts[0].detail!r}: default explore"
    if acts and not any(a.ran for a in acts):
        return StepKind.explore, f"`:` runs nothing; intended: {acts[0].act.value} {acts[0].detail}"[:200]
    if acts:
        a = acts[0]
        if a.act in (Act.run, Act.run_own, Act.test):
            return StepKind.explore, f"{a.act.value}: {a.detail} (writes no file it names)"
        return StepKind.explore, f"{a.act.value}: {a.detail}".rstrip(": ")
    if step.command is not None:
        return StepKind.explore, "only shell builtins or nothing readable: default explore"
    return StepKind.explore, f"{step.tool} call without state change"
