"""Evidence rules over a run's trace: each finds steps that may start or carry the failure, with a reason."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field

from tracegraph.ingest.shell import command_effects
from tracegraph.schema import Category, DeltaOp, Outcome, RunTrace, StepKind
from tracegraph.tree.activity import BUILDING, is_test_path
from tracegraph.tree.semantics import is_finish_call, trace_activities

_WRITE_OPS = (DeltaOp.create, DeltaOp.modify, DeltaOp.delete)
_FAILED = {"failed", "error", "errored", "fail"}


@dataclass
class Signal:
    """One rule firing: the candidate onset step, its score, the category it implies, steps involved, reason."""

    rule: str
    k: int
    score: float
    category: Category
    reason: str
    steps: list[int] = field(default_factory=list)


def failing_tests(trace: RunTrace) -> list[str]:
    """Names of the checks that did not pass, sorted (the order a run read back from the graph has)."""
    return sorted(t.name for t in trace.tests if t.status.lower() in _FAILED)


def checked_files(trace: RunTrace) -> set[str]:
    """Files that failing verifier checks name, spelled as the deltas spell paths (a folder without its last `/`)."""
    out: set[str] = set()
    for name in failing_tests(trace):
        out.update(posixpath.normpath(p) for p in trace.test_files.get(name, []))
    return out


def writes_by_path(trace: RunTrace) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for d in trace.deltas:
        if d.path and d.op in _WRITE_OPS:
            out.setdefault(d.path, []).append(d.k)
    return out


def intended_changes(step) -> list[str]:
    """What a step that changed nothing meant to change: paths or effects from its intent."""
    if not step.intent:
        return []
    if step.is_noop:
        effects = command_effects(step.intent)
        return [e.path or e.effect or "" for e in effects if e.op in _WRITE_OPS or e.effect in {"install", "service"}]
    return [part.split(" ", 1)[1] for part in step.intent.split("; ") if " " in part]


def silent_changes(trace: RunTrace, checked: set[str]) -> list[Signal]:
    """A change the agent believed it made but that never happened: a `:`-prefixed no-op or a rejected edit."""
    out = []
    written = writes_by_path(trace)
    for step in trace.steps:
        targets = intended_changes(step)
        if not targets:
            continue
        missing_checked = [t for t in targets if t in checked and not written.get(t)]
        install = any(t == "install" for t in targets)
        score = 0.95 if missing_checked else (0.85 if install else 0.75)
        category = Category.dependency_resolution if install else (
            Category.mislocalized_edit if step.intent and not step.is_noop else Category.incorrect_hypothesis)
        how = "is a no-op (`:` prefix)" if step.is_noop else "was rejected by the tool"
        what = ", ".join(t for t in targets if t)[:120]
        reason = f"step {step.k} meant to change {what} but {how}"
        if missing_checked:
            reason += f"; failing checks need {missing_checked[0]}, which was never written"
        out.append(Signal("silent_change", step.k, score, category, reason, [step.k]))
    return out


def error_streaks(trace: RunTrace, min_len: int = 3) -> list[Signal]:
    """Runs of consecutive failing tool calls: the agent looped on an error instead of changing course."""
    out = []
    start = None
    for step in trace.steps + [None]:
        failing = step is not None and (step.is_error or step.is_noop)
        if failing and start is None:
            start = step.k
        elif not failing and start is not None:
            end = (step.k - 1) if step is not None else trace.steps[-1].k
            ks = list(range(start, end + 1))
            # Calls issued together (one message, same timestamp) are one attempt: the agent saw none of the
            # errors before making the others, so it did not loop on them.
            attempts = len({trace.step(k).timestamp_ms or -k for k in ks})
            if attempts >= min_len:
                # A loop the agent never recovered from (no real change after it) is the failure itself; one
                # followed by working changes was wasted effort, so it only weakly suggests an onset.
                recovered = any(s.kind == StepKind.change and not s.is_error for s in trace.steps[end:])
                score = 0.3 if recovered else 0.6 + min(0.3, 0.02 * len(ks))
                out.append(Signal("error_loop", start, score, Category.unproductive_looping,
                                  f"steps {start}-{end} fail or do nothing {len(ks)} times in a row", ks))
            start = None
    return out


def checked_file_writes(trace: RunTrace, checked: set[str]) -> list[Signal]:
    """The first write of each file a failing check names: the approach that produced the checked state."""
    out = []
    written = writes_by_path(trace)
    for path in sorted(checked):
        ks = written.get(path)
        if ks:
            out.append(Signal("wrote_checked_file", ks[0], 0.55, Category.incorrect_hypothesis,
                              f"step {ks[0]} first wrote {path}, which failing checks examine", ks))
    return out


def misplaced_writes(trace: RunTrace, checked: set[str]) -> list[Signal]:
    """Failing checks need a file the agent never wrote, but it wrote one of that name elsewhere, or one of that
    type beside it: the change went to the wrong place. Neither the verifier's own test files (the checks live
    there; nobody asked the agent to write them) nor the agent's scratch scripts count."""
    written = writes_by_path(trace)
    scratch = _scratch_paths(trace)
    out = []
    for path in sorted(p for p in checked if not written.get(p) and not is_test_path(p)):
        name, folder = posixpath.basename(path), posixpath.dirname(path)
        ext = posixpath.splitext(name)[1]
        near = [(ks[0], w) for w, ks in written.items() if w not in scratch and (posixpath.basename(w) == name or (
            ext and posixpath.dirname(w) == folder and posixpath.splitext(w)[1] == ext))]
        if near:
            k, w = min(near)
            out.append(Signal("misplaced_write", k, 0.8, Category.mislocalized_edit,
                              f"step {k} wrote {w}, but failing checks need {path}, which was never written", [k]))
    return out


def never_produced(trace: RunTrace, checked: set[str]) -> list[Signal]:
    """Failing checks name files the agent never wrote: it stopped before producing the deliverable. Only a write of
    that very path counts: making the folder a checked file belongs in is not writing the file."""
    written = writes_by_path(trace)
    missing = sorted(p for p in checked if not written.get(p))
    if not missing or not trace.steps:
        return []
    last = trace.steps[-1].k
    return [Signal("never_produced", last, 0.5, Category.premature_stop,
                   f"failing checks need {missing[0]}, never written; the run ended at step {last}", [last])]


def unverified_end(trace: RunTrace) -> list[Signal]:
    """The run ends right after a change to what the run builds that nothing checked. An install changes the
    environment, not the deliverable, so a run ending on one has nothing unverified."""
    changes = [s.k for s, acts in zip(trace.steps, trace_activities(trace))
               if s.kind == StepKind.change and any(a.act in BUILDING for a in acts)]
    if not changes or not trace.steps:
        return []
    last_change = changes[-1]
    checked_after = any(d.src_k > last_change and d.dst_k == last_change for d in trace.dependencies)
    if checked_after:
        return []
    last = trace.steps[-1].k
    return [Signal("unverified_end", last, 0.35, Category.premature_stop,
                   f"last change at step {last_change} was never verified before the run ended", [last_change, last])]


def first_error(trace: RunTrace) -> list[Signal]:
    for step in trace.steps:
        if step.is_error:
            return [Signal("first_error", step.k, 0.2, Category.incorrect_hypothesis,
                           f"step {step.k} is the first tool error", [step.k])]
    return []


def reverted_edits(trace: RunTrace, arguments: dict[int, str]) -> list[Signal]:
    """Edits the agent undid itself (the file deleted, or written back with the arguments of an earlier write):
    it judged them wrong. The definition of the `reverted_edits` query, except that scratch scripts the agent
    created, ran and cleaned up are not counted: removing them is tidying, not undoing a mistake."""
    scratch = _scratch_paths(trace)
    writes: dict[str, list] = {}
    for d in trace.deltas:
        if d.path and d.op in _WRITE_OPS and d.path not in scratch:
            writes.setdefault(d.path, []).append(d)
    out = []
    for path, deltas in writes.items():
        for i, edit in enumerate(deltas):
            if edit.op == DeltaOp.delete:
                continue
            earlier = {arguments.get(d.k) for d in deltas[:i] if d.op != DeltaOp.delete} - {arguments.get(edit.k)}
            undo = next((d for d in deltas[i + 1:] if d.k > edit.k and (
                d.op == DeltaOp.delete or arguments.get(d.k) in earlier)), None)
            if undo is not None:
                how = "deleted" if undo.op == DeltaOp.delete else "restored to an earlier version"
                out.append(Signal("reverted_edit", edit.k, 0.25, Category.mislocalized_edit,
                                  f"step {edit.k}'s edit of {path} was undone at step {undo.k} ({how})",
                                  [edit.k, undo.k]))
    return out


def _declares_done(step, arguments_json: str) -> bool:
    """A submit/finish call or a todo list with every item completed (a multi-role run's `succeed` only ends one
    role's part, not the task)."""
    if is_finish_call(step):
        return True
    if step.tool.lower() != "todowrite":
        return False
    try:
        todos = json.loads(arguments_json or "{}").get("todos") or []
    except (ValueError, AttributeError):
        return False
    return bool(todos) and all(isinstance(t, dict) and t.get("status") == "completed" for t in todos)


def false_claims(trace: RunTrace, arguments: dict[int, str]) -> list[Signal]:
    """The last step that declares the task done in a run the verifier failed: the claim the run ends on, acted upon
    by stopping, and false. An earlier "all done" the agent went on working after is not the one it acted on."""
    if trace.run.outcome != Outcome.failed:
        return []
    tests = failing_tests(trace)
    against = f"failing checks: {', '.join(tests[:2])}" if tests else "the verifier did not pass the run"
    for step in reversed(trace.steps):
        if _declares_done(step, arguments.get(step.k, "{}")):
            return [Signal("false_claim", step.k, 0.25, Category.verification_misinterpretation,
                           f"step {step.k} declares the task done, but {against}", [step.k])]
    return []


def collect(trace: RunTrace) -> list[Signal]:
    """Every rule's signals for one run."""
    checked = checked_files(trace)
    arguments = {c.k: c.arguments_json for c in trace.tool_calls}
    return (silent_changes(trace, checked) + error_streaks(trace) + checked_file_writes(trace, checked)
            + never_produced(trace, checked) + misplaced_writes(trace, checked)
            + unverified_end(trace) + first_error(trace) + first_change(trace)
            + reverted_edits(trace, arguments) + false_claims(trace, arguments))


def _scratch_paths(trace: RunTrace) -> set[str]:
    """Files the agent created and then ran itself (reproduction and test scripts), not the deliverable. A file failing
    checks name is the deliverable however the agent used it."""
    created = {d.path for d in trace.deltas if d.path and d.op == DeltaOp.create}
    executed = {d.path for d in trace.deltas if d.path and d.op == DeltaOp.execute}
    return created & executed - checked_files(trace)


def first_change(trace: RunTrace) -> list[Signal]:
    """The first file write to the deliverable (not an install, not a scratch script): the approach the run takes."""
    scratch = _scratch_paths(trace)
    plain = None
    for step in trace.steps:
        if step.kind != StepKind.change or step.kind_reason.startswith(("install", "service")):
            continue
        deltas = trace.deltas_of(step.k)
        written = [d.path for d in deltas if d.path and d.op in _WRITE_OPS]
        if not written:
            continue  # a change read from command semantics alone (users, certificates, ...) is weaker evidence
        plain = plain or step.k
        if any(p not in scratch for p in written):
            return [Signal("first_change", step.k, 0.45, Category.incorrect_hypothesis,
                           f"step {step.k} is the first change to the deliverable ({step.kind_reason})", [step.k])]
    if plain:
        return [Signal("first_change", plain, 0.4, Category.incorrect_hypothesis,
                       f"step {plain} is the first change of the run", [plain])]
    return []
