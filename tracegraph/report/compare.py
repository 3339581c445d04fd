"""Compare two runs stage by stage: align their stage sequences, find where they diverge, diff files and tests."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import BaseModel

from tracegraph.report.data import ReportData, StepView, report_data
from tracegraph.semantics.writes import is_file_write
from tracegraph.store import Store

ACTION_OVERLAP_MIN = 0.5
"""Aligned stages whose action kinds overlap less than this (Jaccard) count as doing different things."""
SHELL_SPLIT = re.compile(r"\n|;|&&|\|\||\|")
SHELL_TOOLS = {"bash", "shell", "terminal", "run", "execute_bash", "run_command"}
SKIPPED_WORDS = {"cd", "export", "set", "sudo", "time", "timeout", "env", "then", "do", "else", "{", "(", "!"}


class StepBrief(BaseModel):
    """A step in one line: number, tool, what it did."""

    k: int
    tool: str
    summary: str
    kind: str
    is_error: bool = False


class StageSide(BaseModel):
    """One run's stage in an aligned pair: its steps, the kinds of action, the files it wrote."""

    ordinal: int
    label: str
    start_k: int
    end_k: int
    steps: list[StepBrief] = []
    actions: list[str] = []
    """Distinct action kinds (tool plus program or file name), sorted."""
    writes: list[str] = []
    errors: int = 0


class StagePair(BaseModel):
    """Two aligned stages (one side is None when only one run has it) and how they differ."""

    a: StageSide | None = None
    b: StageSide | None = None
    differences: list[str] = []


class RunSide(BaseModel):
    """One compared run: identity, outcome, size and the onset of its shown diagnosis."""

    run_id: str
    name: str
    task_id: str | None = None
    framework: str
    model: str | None = None
    outcome: str
    steps: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    onset_k: int | None = None
    onset_stage: str | None = None
    category: str | None = None


class FileDiff(BaseModel):
    """A file either run wrote, with the writing steps on each side."""

    path: str
    a_steps: list[int] = []
    b_steps: list[int] = []


class TestDiff(BaseModel):
    """A verifier check with its status in each run (None: the run has no such check)."""

    __test__ = False  # not a pytest class

    name: str
    a: str | None = None
    b: str | None = None


class Comparison(BaseModel):
    """Two runs aligned by stage, where they diverge, and which files and tests differ."""

    a: RunSide
    b: RunSide
    same_task: bool
    pairs: list[StagePair] = []
    diverge_at: int | None = None
    """Index into pairs of the first pair that differs materially; None when none does."""
    files: list[FileDiff] = []
    tests: list[TestDiff] = []

    @property
    def divergence(self) -> StagePair | None:
        return None if self.diverge_at is None else self.pairs[self.diverge_at]


def action_key(view: StepView) -> str:
    """What kind of action a step is, comparable across runs: `bash:python3`, `read:config.py`, `edit`."""
    tool = view.step.tool.lower()
    shell = view.step.command
    if shell is None and tool in SHELL_TOOLS:
        shell = view.step.action
    if shell is not None:
        for segment in SHELL_SPLIT.split(shell):
            words = [w.lstrip("({") for w in segment.split() if "=" not in w]
            words = [w for w in words if w]
            while words and words[0] in SKIPPED_WORDS:
                words = words[2:] if words[0] in {"cd", "export", "timeout"} else words[1:]
            if words and not words[0].startswith((":", "#")):
                return f"{tool}:{words[0].rsplit('/', 1)[-1]}"
        return tool
    paths = [d.path for d in view.deltas if d.path]
    return f"{tool}:{paths[0].rsplit('/', 1)[-1]}" if paths else tool


def _brief(view: StepView) -> StepBrief:
    s = view.step
    return StepBrief(k=s.k, tool=s.tool, summary=view.summary(160), kind=s.kind.value, is_error=s.is_error)


def _sides(data: ReportData) -> list[StageSide]:
    sides = []
    for g in data.stages:
        views = [v for v in data.steps if g.start_k <= v.step.k <= g.end_k]
        writes = sorted({d.path for v in views for d in v.deltas if is_file_write(d.op, d.path)})
        sides.append(StageSide(ordinal=g.ordinal, label=g.label.value, start_k=g.start_k, end_k=g.end_k,
                               steps=[_brief(v) for v in views], actions=sorted({action_key(v) for v in views}),
                               writes=writes, errors=sum(v.step.is_error for v in views)))
    return sides


def align_stages(a: list[StageSide], b: list[StageSide]) -> list[StagePair]:
    """Pair the stages of two runs by their label sequence (longest matching blocks; the rest side by side)."""
    pairs: list[StagePair] = []
    matcher = SequenceMatcher(None, [s.label for s in a], [s.label for s in b], autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        for n in range(max(i2 - i1, j2 - j1)):
            pairs.append(StagePair(a=a[i1 + n] if i1 + n < i2 else None, b=b[j1 + n] if j1 + n < j2 else None))
    return pairs


def differences(pair: StagePair) -> list[str]:
    """The material differences of an aligned pair, one line each; empty when the two did the same kind of work."""
    a, b = pair.a, pair.b
    if a is None or b is None:
        only, side = ("A", a) if b is None else ("B", b)
        return [f"only {only} has this {side.label} stage (steps {side.start_k}-{side.end_k})"]
    out = []
    if a.label != b.label:
        out.append(f"A is in {a.label}, B in {b.label}")
    for name, mine, theirs in (("A", a.writes, b.writes), ("B", b.writes, a.writes)):
        only = [p for p in mine if p not in theirs]
        if only:
            out.append(f"only {name} wrote {', '.join(only[:5])}" + (" ..." if len(only) > 5 else ""))
    union = set(a.actions) | set(b.actions)
    overlap = len(set(a.actions) & set(b.actions)) / len(union) if union else 1.0
    if overlap < ACTION_OVERLAP_MIN:
        out.append(f"actions overlap {overlap:.0%}")
    return out


def _run_side(data: ReportData) -> RunSide:
    r, d = data.run, data.diagnosis
    return RunSide(run_id=r.id, name=r.name, task_id=r.task_id, framework=r.framework, model=r.model,
                   outcome=r.outcome.value, steps=len(data.steps), prompt_tokens=r.prompt_tokens,
                   completion_tokens=r.completion_tokens, onset_k=d.onset_k if d else None,
                   onset_stage=d.onset_stage if d else None, category=d.category if d else None)


def _file_diffs(a: ReportData, b: ReportData) -> list[FileDiff]:
    written = {side: {f.path: sorted({k for k, _ in f.writes}) for f in data.files if f.writes}
               for side, data in (("a", a), ("b", b))}
    paths = sorted(set(written["a"]) | set(written["b"]))
    return [FileDiff(path=p, a_steps=written["a"].get(p, []), b_steps=written["b"].get(p, [])) for p in paths]


def _test_diffs(a: ReportData, b: ReportData) -> list[TestDiff]:
    status_a, status_b = {t.name: t.status for t in a.tests}, {t.name: t.status for t in b.tests}
    return [TestDiff(name=n, a=status_a.get(n), b=status_b.get(n)) for n in sorted(set(status_a) | set(status_b))]


def compare_data(a: ReportData, b: ReportData) -> Comparison:
    """Compare two gathered runs (see compare_runs)."""
    pairs = align_stages(_sides(a), _sides(b))
    for pair in pairs:
        pair.differences = differences(pair)
    diverge = next((i for i, p in enumerate(pairs) if p.differences), None)
    same_task = a.run.task_id is not None and a.run.task_id == b.run.task_id
    return Comparison(a=_run_side(a), b=_run_side(b), same_task=same_task, pairs=pairs, diverge_at=diverge,
                      files=_file_diffs(a, b), tests=_test_diffs(a, b))


def compare_runs(store: Store, run_a: str, run_b: str, method: str | None = None) -> Comparison:
    """Align two runs by stage and report where they diverge, what each did there, and which files/tests differ."""
    return compare_data(report_data(store, run_a, method), report_data(store, run_b, method))
