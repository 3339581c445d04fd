"""Gather what a run report shows from the store: the run, its steps with output, files, tests and diagnosis."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from tracegraph.diagnose.result import DiagnosisResult, Evidence
from tracegraph.errors import RunNotFoundError
from tracegraph.schema import Run, Stage, StateDelta, Step
from tracegraph.semantics.writes import WRITE_OPS
from tracegraph.store import Store
from tracegraph.store.info import list_runs

METHOD_PREFERENCE = ("heuristic", "hybrid", "llm")
"""Which diagnosis a report shows when a run has several and none was asked for."""

SUMMARY_KEYS = ("file_path", "path", "command", "pattern", "url", "query", "prompt", "description")
"""Arguments that best say what a JSON tool call did, in order of preference."""

RUN_Q = "MATCH (r:Run {id: $id}) RETURN properties(r) AS p"
STEPS_Q = """
MATCH (s:Step {run_id: $id}) OPTIONAL MATCH (s)-[:OBSERVES]->(o:Observation)
RETURN s.k AS k, properties(s) AS p, o.content AS output, o.truncated AS truncated ORDER BY k
"""
STAGES_Q = "MATCH (g:Stage {run_id: $id}) RETURN g.ordinal AS ordinal, properties(g) AS p ORDER BY ordinal"
DELTAS_Q = "MATCH (d:StateDelta {run_id: $id}) RETURN d.k AS k, d.id AS id, properties(d) AS p ORDER BY k, id"
DEPENDS_Q = "MATCH (a:Step {run_id: $id})-[:DEPENDS_ON]->(b:Step) RETURN a.k AS src, b.k AS dst ORDER BY src, dst"
TESTS_Q = """
MATCH (:Run {id: $id})-[:HAS_TEST]->(t:TestCase) OPTIONAL MATCH (t)-[:VERIFIES]->(f:File)
RETURN t.name AS name, t.status AS status, t.message AS message, collect(f.path) AS files ORDER BY name
"""
DIAGNOSES_Q = """
MATCH (:Run {id: $id})-[:HAS_DIAGNOSIS]->(d:Diagnosis) RETURN d.method AS method, properties(d) AS p ORDER BY method
"""


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


def _props(row_props: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    return {k: v for k, v in row_props.items() if k in model.model_fields and v is not None}


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
    """Read one run and its diagnoses from the store into a ReportData (read-only, parameterised Cypher)."""
    q = {"id": run_id}
    runs = store.query(RUN_Q, q)
    if not runs:
        raise RunNotFoundError(f"no run {run_id!r} in the store")
    deltas: dict[int, list[StateDelta]] = {}
    for r in store.query(DELTAS_Q, q):
        deltas.setdefault(r["k"], []).append(StateDelta(**_props(r["p"], StateDelta)))
    depends: dict[int, list[int]] = {}
    for r in store.query(DEPENDS_Q, q):
        depends.setdefault(r["src"], []).append(r["dst"])
    steps = [StepView(step=Step(**_props(r["p"], Step)), output=r["output"], output_truncated=bool(r["truncated"]),
                      deltas=deltas.get(r["k"], []), depends_on=depends.get(r["k"], []))
             for r in store.query(STEPS_Q, q)]
    tests = [TestView(name=r["name"], status=r["status"], message=r["message"], files=sorted(set(r["files"])))
             for r in store.query(TESTS_Q, q)]
    diagnoses = [DiagnosisView.from_properties(r["p"]) for r in store.query(DIAGNOSES_Q, q)]
    return ReportData(
        run=Run(**_props(runs[0]["p"], Run)), steps=steps,
        stages=[Stage(**_props(r["p"], Stage)) for r in store.query(STAGES_Q, q)],
        files=_files(steps, tests), tests=tests, diagnoses=diagnoses, diagnosis=choose_diagnosis(diagnoses, method))


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
