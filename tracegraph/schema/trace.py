"""RunTrace: one run's whole subgraph in memory, as parsers produce it and the store writes it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tracegraph.schema.edges import Edge, RelType
from tracegraph.schema.nodes import (
    DeltaOp, File, Node, Observation, Run, Stage, StateDelta, Step, Task, TestCase, ToolCall,
)


class DependencyKind(StrEnum):
    """Why a later step depends on an earlier one (the DEPENDS_ON edge's `kind`)."""

    reads = "reads"
    """Reads a file the earlier step wrote."""
    runs = "runs"
    """Runs a file the earlier step wrote."""
    changes_again = "changes_again"
    """Modifies or deletes a file the earlier step wrote."""
    checks = "checks"
    """A test, run or probe that checks the change the earlier step made."""
    retries = "retries"
    """Retries the earlier step's failed action."""


class Dependency(BaseModel):
    """A DEPENDS_ON edge between two steps of one run (later step → earlier step)."""

    src_k: int
    dst_k: int
    kind: DependencyKind
    reason: str


class Repeat(BaseModel):
    """A REPEATS edge: step src_k repeats the action of step dst_k."""

    src_k: int
    dst_k: int
    similarity: float


class RunTrace(BaseModel):
    """Everything tracegraph knows about one run before it is written to the graph."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run: Run
    task: Task | None = None
    steps: list[Step] = []
    tool_calls: list[ToolCall] = []
    observations: list[Observation] = []
    deltas: list[StateDelta] = []
    tests: list[TestCase] = []
    stages: list[Stage] = []
    dependencies: list[Dependency] = []
    repeats: list[Repeat] = []
    test_files: dict[str, list[str]] = {}
    """Test name → file paths the test checks (from names and verifier output)."""
    observation_full: dict[int, str] = {}
    """Full observation text per step before truncation (kept in memory for analysis, never stored)."""
    clipped_full: dict[tuple[str, str], str] = Field(default_factory=dict, exclude=True)
    """(node id, field) → the whole text of a string the builder cut to its limit (in memory, never stored): what
    redaction reads, so a secret the cut splits is masked before it is cut."""

    @property
    def run_id(self) -> str:
        return self.run.id

    def step(self, k: int) -> Step:
        return self.steps[k - 1]

    def deltas_of(self, k: int) -> list[StateDelta]:
        return [d for d in self.deltas if d.k == k]

    def files(self) -> list[File]:
        paths = {d.path for d in self.deltas if d.path}
        for checked in self.test_files.values():
            paths.update(checked)
        return [File(id=p, path=p) for p in sorted(paths)]

    def nodes(self) -> list[Node]:
        """Every node of the run's subgraph, the run first."""
        out: list[Node] = [self.run]
        if self.task:
            out.append(self.task)
        out += self.stages + self.steps + self.tool_calls + self.observations + self.deltas + self.tests
        out += self.files()
        return out

    def edges(self) -> list[Edge]:
        """Every relationship of the run's subgraph, derived from the nodes and dependency lists."""
        rid = self.run.id
        sid = {s.k: s.id for s in self.steps}
        out: list[Edge] = []
        if self.task:
            out.append(Edge(RelType.OF_TASK, rid, self.task.id, {}))
        for s in self.steps:
            out.append(Edge(RelType.HAS_STEP, rid, s.id, {}))
            if s.k > 1:
                out.append(Edge(RelType.NEXT, sid[s.k - 1], s.id, {}))
        for st in self.stages:
            out.append(Edge(RelType.HAS_STAGE, rid, st.id, {}))
            for k in range(st.start_k, st.end_k + 1):
                out.append(Edge(RelType.IN_STAGE, sid[k], st.id, {}))
        for c in self.tool_calls:
            out.append(Edge(RelType.CALLS, sid[c.k], c.id, {}))
        for o in self.observations:
            out.append(Edge(RelType.OBSERVES, sid[o.k], o.id, {}))
        for d in self.deltas:
            out.append(Edge(RelType.HAS_DELTA, sid[d.k], d.id, {}))
            if d.path:
                out.append(Edge(RelType.ON_FILE, d.id, d.path, {}))
                if d.op == DeltaOp.read or d.op == DeltaOp.execute:
                    out.append(Edge(RelType.READS, sid[d.k], d.path, {}))
                else:
                    out.append(Edge(RelType.WRITES, sid[d.k], d.path, {"op": d.op.value}))
        for dep in self.dependencies:
            out.append(Edge(RelType.DEPENDS_ON, sid[dep.src_k], sid[dep.dst_k], {"kind": dep.kind.value,
                                                                                   "reason": dep.reason}))
        for rep in self.repeats:
            out.append(Edge(RelType.REPEATS, sid[rep.src_k], sid[rep.dst_k], {"similarity": rep.similarity}))
        for t in self.tests:
            out.append(Edge(RelType.HAS_TEST, rid, t.id, {}))
            for path in self.test_files.get(t.name, []):
                out.append(Edge(RelType.VERIFIES, t.id, path, {}))
        return _dedupe(out)


def _dedupe(edges: list[Edge]) -> list[Edge]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in edges:
        key = (e.type, e.src, e.dst)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out
