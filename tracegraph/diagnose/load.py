"""Read a run's trace back from the graph, for diagnosis methods that work on the whole run at once."""

from __future__ import annotations

import json

from tracegraph.errors import RunNotFoundError
from tracegraph.schema import Dependency, Repeat, Run, RunTrace, Stage, StateDelta, Step, TestCase, ToolCall
from tracegraph.store import Store


def _clean(row: dict, model) -> dict:
    return {k: v for k, v in row.items() if k in model.model_fields and v is not None}


def read_run(store: Store, run_id: str) -> Run:
    """The Run node's properties; RunNotFoundError when there is none."""
    runs = store.query("MATCH (r:Run {id: $id}) RETURN properties(r) AS p", {"id": run_id})
    if not runs:
        raise RunNotFoundError(f"no run {run_id!r} in the store")
    return Run(**_clean(runs[0]["p"], Run))


def load_trace(store: Store, run_id: str) -> RunTrace:
    """The run's steps, tool calls, deltas, stages, tests and causal edges as a RunTrace (observations as stored)."""
    run = read_run(store, run_id)
    q = {"id": run_id}
    steps = [Step(**_clean(r["p"], Step)) for r in store.query(
        "MATCH (s:Step {run_id: $id}) RETURN properties(s) AS p ORDER BY s.k", q)]
    calls = [ToolCall(**_clean(r["p"], ToolCall)) for r in store.query(
        "MATCH (c:ToolCall {run_id: $id}) RETURN properties(c) AS p ORDER BY c.k", q)]
    deltas = [StateDelta(**_clean(r["p"], StateDelta)) for r in store.query(
        "MATCH (d:StateDelta {run_id: $id}) RETURN properties(d) AS p ORDER BY d.k, d.id", q)]
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
        "MATCH (a:Step {run_id: $id})-[e:DEPENDS_ON]->(b:Step) RETURN a.k AS src_k, b.k AS dst_k, "
        "e.kind AS kind, e.reason AS reason ORDER BY src_k, dst_k", q)]
    reps = [Repeat(**r) for r in store.query(
        "MATCH (a:Step {run_id: $id})-[e:REPEATS]->(b:Step) RETURN a.k AS src_k, b.k AS dst_k, "
        "e.similarity AS similarity ORDER BY src_k", q)]
    obs = {r["k"]: r["content"] for r in store.query(
        "MATCH (o:Observation {run_id: $id}) RETURN o.k AS k, o.content AS content", q)}
    return RunTrace(run=run, steps=steps, tool_calls=calls, deltas=deltas, stages=stages, tests=tests,
                    test_files=test_files, dependencies=deps, repeats=reps, observation_full=obs)


def parse_list(value) -> list:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])
