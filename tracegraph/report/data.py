"""Gather what a run report shows from the store: the run, its steps with output, files, tests and diagnosis."""

from __future__ import annotations

import json

from pydantic import BaseModel

from tracegraph.diagnose.result import DiagnosisResult, Evidence
from tracegraph.schema import Run, Stage, StateDelta, Step
from tracegraph.semantics.writes import WRITE_OPS
from tracegraph.store import Store
from tracegraph.store.read import load_trace, read_diagnoses
from tracegraph.store.info import list_runs

METHOD_PREFERENCE = ("heuristic", "hybrid", "llm")
"""Which diagnosis a report shows when a run has several and none was asked for."""

SUMMARY_KEYS = ("file_path", "path", "command", "pattern", "url", "query", "prompt", "description")
"""Arguments that best say what a JSON tool call did, in order of preference."""

class StepView(BaseModel):
    """One step as the report shows it: the stored step, its (ingest-truncated) output, deltas and dependencies."""

    step: Step
    output: str | None = None
    """Observation content as stored (cut at the ingest limit)."""
    output_truncated: bool = False
    deltas: list[StateDelta] = []
    depends_on: list[int] = []
    """Earlier steps this one depends on (DEPENDS_ON edges)."""

    def summary(self, limit: int = 140) -> str:
        """The step in one line: the command, else the main argument of a JSON tool call, else the action."""
        s = self.step
        text = s.command or s.action or s.intent or ""
        if s.command is None and text.lstrip().startswith("{"):
            try:
                args = json.loads(text)
            except ValueError:
                args = None
            if isinstance(args, dict):
                text = next((str(args[k]) for k in SUMMARY_KEYS if args.get(k)), text)
        lines = text.strip().splitlines() or [""]
        return lines[0] if len(lines[0]) <= limit and len(lines) == 1 else lines[0][:limit] + " …"


class FileTouch(BaseModel):
    """A file the run touched: which steps wrote it (with the op), which read it, which tests check it."""

    path: str
    writes: list[tuple[int, str]] = []
    reads: list[int] = []
    checked_by: list[str] = []


class TestView(BaseModel):
    """A verifier check with its status, failure message and the files it checks."""

    __test__ = False  # not a pytest class

    name: str
    status: str
    message: str | None = None
    files: list[str] = []


class DiagnosisView(DiagnosisResult):
    """A stored Diagnosis with its evidence and candidates parsed back from JSON."""

    created_at_ms: int = 0


class ReportData(BaseModel):
    """Everything one run report shows."""

    run: Run
    steps: list[StepView] = []
    stages: list[Stage] = []
    files: list[FileTouch] = []
    tests: list[TestView] = []
    diagnoses: list[DiagnosisView] = []
    diagnosis: DiagnosisView | None = None
    """The diagnosis the report is about (asked-for method, else by METHOD_PREFERENCE)."""

    @property
    def failing_tests(self) -> list[TestView]:
        return [t for t in self.tests if t.status not in ("passed", "skipped")]

    def step(self, k: int) -> StepView | None:
        return next((s for s in self.steps if s.step.k == k), None)

    def roles(self, k: int) -> list[str]:
        """onset / chain / incorrect / unuseful labels the shown diagnosis gives step k."""
        d = self.diagnosis
        if d is None:
            return []
        named = [("onset", [d.onset_k]), ("chain", d.chain_ks), ("incorrect", d.incorrect_ks),
                 ("unuseful", d.unuseful_ks)]
        return [role for role, ks in named if k in ks]

    def evidence_for(self, k: int) -> list[Evidence]:
        return [e for e in self.diagnosis.evidence if k in e.steps] if self.diagnosis else []


def choose_diagnosis(diagnoses: list[DiagnosisView], method: str | None) -> DiagnosisView | None:
    """The asked-for method's diagnosis, else the first present in METHOD_PREFERENCE order."""
    by_method = {d.method: d for d in diagnoses}
    if method:
        return by_method.get(method)
    return next((by_method[m] for m in METHOD_PREFERENCE if m in by_method), diagnoses[0] if diagnoses else None)


def _files(steps: list[StepView], tests: list[TestView]) -> list[FileTouch]:
    touched: dict[str, FileTouch] = {}
    for view in steps:
        for d in view.deltas:
            if not d.path:
                continue
            f = touched.setdefault(d.path, FileTouch(path=d.path))
            if d.op in WRITE_OPS:
                f.writes.append((d.k, d.op.value))
            elif d.k not in f.reads:
                f.reads.append(d.k)
    for t in tests:
        for path in t.files:
            touched.setdefault(path, FileTouch(path=path)).checked_by.append(t.name)
    return sorted(touched.values(), key=lambda f: (not f.writes, f.path))


def report_data(store: Store, run_id: str, method: str | None = None) -> ReportData:
    """Read one run and its diagnoses from the store into a ReportData (through the graph reader)."""
    trace = load_trace(store, run_id)
    deltas: dict[int, list[StateDelta]] = {}
    for d in trace.deltas:
        deltas.setdefault(d.k, []).append(d)
    depends: dict[int, list[int]] = {}
    for dep in trace.dependencies:
        depends.setdefault(dep.src_k, []).append(dep.dst_k)
    outputs = {o.k: o for o in trace.observations}
    steps = [StepView(step=s, output=outputs[s.k].content if s.k in outputs else None,
                      output_truncated=s.k in outputs and outputs[s.k].truncated,
                      deltas=deltas.get(s.k, []), depends_on=depends.get(s.k, [])) for s in trace.steps]
    tests = [TestView(name=t.name, status=t.status, message=t.message, files=trace.test_files.get(t.name, []))
             for t in trace.tests]
    diagnoses = [DiagnosisView.from_properties(p) for p in read_diagnoses(store, run_id)]
    return ReportData(run=trace.run, steps=steps, stages=trace.stages, files=_files(steps, tests), tests=tests,
                      diagnoses=diagnoses, diagnosis=choose_diagnosis(diagnoses, method))


class RunRow(BaseModel):
    """One line of the index page: a run, its outcome and the onset of its shown diagnosis."""

    run_id: str
    name: str
    task_id: str | None = None
    framework: str
    model: str | None = None
    outcome: str
    steps: int = 0
    fidelity: str | None = None
    """Where the steps were read from: structured, agent_log or terminal."""
    triage: str | None = None
    """Whose failure it was (agent_failed, agent_never_ran, ...); None for solved runs."""
    method: str | None = None
    """Method of the shown diagnosis; None when the run has none."""
    onset_k: int | None = None
    onset_stage: str | None = None
    category: str | None = None


def run_rows(store: Store, method: str | None = None) -> list[RunRow]:
    """Every loaded run with the onset and category of the diagnosis a report would show."""
    rows = []
    for r in list_runs(store):
        shown = {d["method"]: d for d in r["diagnoses"] if d.get("method")}
        pick = method if method else next((m for m in (*METHOD_PREFERENCE, *sorted(shown)) if m in shown), None)
        d = shown.get(pick or "", {})
        rows.append(RunRow(run_id=r["run_id"], name=r["name"], task_id=r["task_id"], framework=r["framework"],
                           model=r["model"], outcome=r["outcome"], steps=r["steps"] or 0, fidelity=r["fidelity"],
                           triage=r["triage"], method=d.get("method"),
                           onset_k=d.get("onset_k"), onset_stage=d.get("onset_stage"), category=d.get("category")))
    return rows
