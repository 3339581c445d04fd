"""Neo4j writes a plan's edges by element id (store/neo4j.py run_plan, from the statements' `Writes`): the graph is
the one the key statements write, re-ingests and edges to nodes of an earlier plan included."""

from __future__ import annotations

from tests.support import graph_rows
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.load.prepare import prepare_trace
from tracegraph.schema import Edge, RelType, Task
from tracegraph.store.plan import Statement, edges_statements, nodes_statements, write_runs_plan


def _trace(name: str):
    b = TraceBuilder(framework="synthetic", source=f"/runs/{name}", name=name, content_hash=name * 10)
    b.set(task_id="fix-the-app")
    b.add_step("write_file", {"path": "app/main.py", "content": "x"}, thought="write it", observation="ok")
    b.add_step("bash", {"command": "cat app/main.py"}, observation="x")
    b.add_step("bash", {"command": "pytest"}, observation="1 failed")
    b.add_test("test_main", "failed", message="expected 2", files=["app/main.py"])
    trace, _ = prepare_trace(b.build(), 0, redact=True)
    return trace


def _without_twins(plan: list[Statement]) -> list[Statement]:
    return [stmt._replace(writes=None) for stmt in plan]


def _write_both_ways(store, plans: list[list[Statement]]) -> tuple[list[str], list[str]]:
    graphs = []
    for strip in (False, True):
        store.reset()
        store.init_schema()
        for plan in plans:
            store.execute(_without_twins(plan) if strip else plan)
        graphs.append(graph_rows(store))
    return graphs[0], graphs[1]


def test_every_node_and_edge_statement_of_a_run_says_what_it_writes():
    plan = write_runs_plan([_trace("a")])
    writes = [s for s in plan if " CREATE (" in s.cypher or "MERGE (n:" in s.cypher]
    assert writes and all(s.writes is not None for s in writes)
    assert {s.writes.label for s in writes if s.writes.label} >= {"Run", "Step", "File", "Task"}
    assert all(s.writes.create for s in writes if s.writes.rel)


def test_runs_written_by_id_equal_runs_written_by_key(store):
    by_id, by_key = _write_both_ways(store, [write_runs_plan([_trace("a"), _trace("b")]),
                                             write_runs_plan([_trace("a")])])  # a re-ingest: set aside, delete
    assert by_id == by_key
    assert any('"CALLS"' in row for row in by_id) and any('"ON_FILE"' in row for row in by_id)


def test_edges_to_nodes_of_an_earlier_plan_go_by_key(store):
    """The ids a plan knows are those of nodes it wrote itself; an edge to any other node is written by key."""
    trace = _trace("a")
    task = Task(id="other-task", name="other-task")
    later = nodes_statements([task]) + edges_statements([Edge(RelType.OF_TASK, trace.run_id, task.id, {})])
    by_id, by_key = _write_both_ways(store, [write_runs_plan([trace]), later])
    assert by_id == by_key
    assert sum('"OF_TASK"' in row for row in by_id) == 2
