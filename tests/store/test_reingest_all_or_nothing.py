"""Re-ingesting a run replaces it whole or not at all: a write that fails, or stops at any statement (a kill), leaves
the old copy exactly as it was, or the new copy whole; never neither, never a mix. On both engines."""

from __future__ import annotations

import pytest

from tests.support import graph_rows
from tracegraph.errors import StoreError
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.load.prepare import prepare_trace
from tracegraph.store.base import open_existing_schema
from tracegraph.store.plan import Statement, cleanup_runs_plan, write_runs_plan

FAILS = Statement("THIS IS NOT CYPHER", {})


def _run(version: int):
    """The same run (same id) as two ingests would make it: version 2 has another thought and one more step."""
    b = TraceBuilder(framework="synthetic", source="/runs/r1", name="r1", content_hash="h1")
    b.set(task_id="fix-the-app", model=f"model-v{version}")
    b.add_step("bash", {"command": "cat app/main.py"}, thought=f"look first (v{version})", observation="print(1)")
    b.add_step("bash", {"command": "echo 2 > app/main.py"}, observation="")
    if version == 2:
        b.add_step("bash", {"command": "python app/main.py"}, observation="2")
    b.add_test("test_main", "failed" if version == 1 else "passed", message="expected 2", files=["app/main.py"])
    trace, _ = prepare_trace(b.build(), 0, redact=True)
    return trace


def _loaded(store, trace) -> list[str]:
    store.reset()
    store.init_schema()
    store.execute(write_runs_plan([trace]), cleanup_runs_plan([trace]))
    return graph_rows(store)


def test_the_two_copies_differ(store):
    new = _loaded(store, _run(2))
    old = _loaded(store, _run(1))
    assert old != new and len(new) > len(old)
    assert _run(1).run_id == _run(2).run_id


def test_a_failed_rewrite_leaves_the_old_copy_or_the_new_one_whole(store):
    new = _loaded(store, _run(2))
    plan = write_runs_plan([_run(2)])
    loaded_at = next(i for i, s in enumerate(plan) if "SET r.status = 'loaded'" in s.cypher)
    for at in sorted({1, 9, loaded_at // 2, loaded_at, loaded_at + 1, len(plan)}):
        old = _loaded(store, _run(1))
        with pytest.raises(StoreError):
            store.execute([*plan[:at], FAILS, *plan[at:]], cleanup_runs_plan([_run(2)]))
        # Neo4j rolls the transaction back; FalkorDB's cleanup puts the old copy back, unless the new one was whole.
        assert graph_rows(store) == (new if store.engine == "falkordb" and at > loaded_at else old), at


def test_a_rewrite_stopped_at_any_statement_settles_to_one_whole_copy_at_the_next_open(store):
    new = _loaded(store, _run(2))
    plan = write_runs_plan([_run(2)])
    loaded_at = next(i for i, s in enumerate(plan) if "SET r.status = 'loaded'" in s.cypher)
    for at in sorted({*range(0, len(plan) + 1, 2), loaded_at, loaded_at + 1, len(plan)}):
        old = _loaded(store, _run(1))
        if plan[:at]:
            store.execute(plan[:at])  # what a killed process (or a server that died) had written
        assert open_existing_schema(store, "test store")
        assert graph_rows(store) == (new if at > loaded_at else old), at
        assert open_existing_schema(store, "test store")  # settling again changes nothing
        assert graph_rows(store) == (new if at > loaded_at else old), at
