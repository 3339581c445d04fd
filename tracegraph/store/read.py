"""One reader of the graph, the inverse of the write plan: a run back as a RunTrace, and its stored diagnoses.

Diagnosis, show, report, export, replay, mining and evaluation read runs through here; none writes its own Cypher
to read a run back.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tracegraph.errors import RunNotFoundError
from tracegraph.schema import (
    Dependency, Observation, Repeat, Run, RunTrace, Stage, StateDelta, Step, TestCase, ToolCall,
)
from tracegraph.store.base import Store

DIAGNOSES_QUERY = """
MATCH (:Run {id: $id})-[:HAS_DIAGNOSIS]->(d:Diagnosis) WHERE $method IS NULL OR d.method = $method
RETURN properties(d) AS p ORDER BY d.method
"""


def _clean(row: dict, model: type[BaseModel]) -> dict:
    return {k: v for k, v in row.items() if k in model.model_fields and v is not None}


def read_run(store: Store, run_id: str) -> Run:
    """The Run node's properties; RunNotFoundError when there is none."""
    runs = store.query("MATCH (r:Run {id: $id}) RETURN properties(r) AS p", {"id": run_id})
    if not runs:
        raise RunNotFoundError(f"no run {run_id!r} in the store")
    return Run(**_clean(runs[0]["p"], Run))


def load_trace(store: Store, run_id: str, *, upto_k: int | None = None) -> RunTrace:
    """The run's steps, tool calls, observations (as stored: cut at the ingest limit), deltas, stages, tests and
    causal edges as a RunTrace; with `upto_k`, only what belongs to steps 1..upto_k."""
    run = read_run(store, run_id)
    q = {"id": run_id, "upto": upto_k}
    upto = " WHERE $upto IS NULL OR n.k <= $upto"

    def nodes(label: str, model: type[BaseModel], order: str) -> list:
        return [model(**_clean(r["p"], model)) for r in store.query(
            f"MATCH (n:{label} {{run_id: $id}}){upto} RETURN properties(n) AS p ORDER BY {order}", q)]

    steps = nodes("Step", Step, "n.k")
    calls = nodes("ToolCall", ToolCall, "n.k")
    observations = nodes("Observation", Observation, "n.k")
    deltas = nodes("StateDelta", StateDelta, "n.k, n.id")
    stages = [Stage(**_clean(r["p"], Stage)) for r in store.query(
        "MATCH (s:Stage {run_id: $id}) RETURN properties(s) AS p ORDER BY s.ordinal", q)]
    tests, test_files = [], {}
    for r in store.query("MATCH (t:TestCase {run_id: $id}) OPTIONAL MATCH (t)-[:VERIFIES]->(f:File) "
                         "RETURN t.name AS name, properties(t) AS p, collect(f.path) AS files ORDER BY name", q):
        test = TestCase(**_clean(r["p"], TestCase))
        tests.append(test)
        if r["files"]:
            test_files[test.name] = sorted(r["files"])
    deps = [Dependency(**r) for r in store.query(
        "MATCH (a:Step {run_id: $id})-[e:DEPENDS_ON]->(b:Step) WHERE $upto IS NULL OR a.k <= $upto "
        "RETURN a.k AS src_k, b.k AS dst_k, e.kind AS kind, e.reason AS reason ORDER BY src_k, dst_k", q)]
    reps = [Repeat(**r) for r in store.query(
        "MATCH (a:Step {run_id: $id})-[e:REPEATS]->(b:Step) WHERE $upto IS NULL OR a.k <= $upto "
        "RETURN a.k AS src_k, b.k AS dst_k, e.similarity AS similarity ORDER BY src_k", q)]
    return RunTrace(run=run, steps=steps, tool_calls=calls, observations=observations, deltas=deltas, stages=stages,
                    tests=tests, test_files=test_files, dependencies=deps, repeats=reps,
                    observation_full={o.k: o.content for o in observations})


def read_diagnoses(store: Store, run_id: str, method: str | None = None) -> list[dict[str, Any]]:
    """The stored Diagnosis nodes' properties of a run (of `method` when given), by method."""
    return [r["p"] for r in store.query(DIAGNOSES_QUERY, {"id": run_id, "method": method})]
