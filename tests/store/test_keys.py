"""Keys reach the engines clean: the one-row FalkorDB crash (`CREATE (:T {id:'a '})` under a UNIQUE constraint)
can never be sent by tracegraph, and what was cleaned stays readable in a property that is not a key."""

from __future__ import annotations

import pytest

from tracegraph.load.pipeline import ingest_traces
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.schema import Task
from tracegraph.schema.keys import MAX_INDEXED_BYTES, MAX_KEY_CHARS, graph_key, indexed_text, is_clean_key
from tracegraph.store.plan import nodes_statements, write_runs_plan

# Each of these crashed FalkorDB 4.16.3 as a UNIQUE-constrained value (measured one by one).
CRASHING_KEYS = ["a ", " a", "a\t", "a\n", "a\x01b", "x" * 5000]


def _trace(name: str, test_name: str, path: str):
    b = TraceBuilder(framework="synthetic", source=f"/tmp/{name}", name=name, content_hash="0123456789abcdef")
    b.add_step("write_file", {"path": path, "content": "x"}, observation="ok")
    b.add_step("bash", {"command": "pytest"}, observation="1 failed")
    b.add_test(test_name, "failed", files=[path])
    b.set(task_id=name + " ")
    return b.build()


@pytest.mark.parametrize("text", CRASHING_KEYS + ["é\u2028", "\ud800tool"])
def test_graph_key_is_clean_distinct_and_stable(text):
    key = graph_key(text)
    assert is_clean_key(key) and len(key) <= MAX_KEY_CHARS
    assert graph_key(key) == key
    assert key != text and graph_key(text + " ") != key  # cleaned keys that differ stay distinct


def test_write_plan_sends_only_clean_keys():
    trace = _trace(" run\x01", "XPASS test_x.py::test_3 ", "/repo/a.py ")
    for stmt in write_runs_plan([trace]):
        for row in stmt.params.get("rows", []):
            for field in ("id", "run_id", "src", "dst"):
                if field in row:
                    assert is_clean_key(row[field]), (stmt.cypher, field, row[field])
        for key in stmt.params.get("ids", []):
            assert is_clean_key(key)


def test_one_row_reproduction_through_tracegraph(store):
    """The upstream reproduction, `(:Task {id: 'a '})` under its constraint, written through the plan."""
    store.execute(nodes_statements([Task(id="a ", name="a ")]))
    store.execute(nodes_statements([Task(id="a", name="a")]))
    rows = store.query("MATCH (t:Task) RETURN t.id AS id, t.name AS name ORDER BY t.name")
    assert [r["name"] for r in rows] == ["a", "a "]
    assert rows[0]["id"] == "a" and rows[1]["id"] == graph_key("a ") != "a"
    assert store.query("RETURN 1 AS ok") == [{"ok": 1}]  # the server is still there


def test_whitespace_keyed_run_loads_beside_a_clean_one(store):
    bad = _trace(" run\x01", "XPASS test_x.py::test_3 ", "/repo/a.py ")
    good = _trace("run", "test_x.py::test_3", "/repo/a.py")
    report = ingest_traces([bad, good], store, quality=False)
    assert report.errors == [] and len(report.runs) == 2
    names = store.query("MATCH (t:TestCase) RETURN t.name AS name ORDER BY name")
    assert [r["name"] for r in names] == ["XPASS test_x.py::test_3 ", "test_x.py::test_3"]
    paths = store.query("MATCH (:TestCase)-[:VERIFIES]->(f:File) RETURN f.path AS path ORDER BY path")
    assert [r["path"] for r in paths] == ["/repo/a.py", "/repo/a.py "]
    runs = store.query("MATCH (r:Run)-[:HAS_STEP]->(s:Step) RETURN r.name AS name, count(s) AS steps ORDER BY name")
    assert runs == [{"name": " run\x01", "steps": 2}, {"name": "run", "steps": 2}]
    ids = store.query("MATCH (n) RETURN n.id AS id")
    assert ids and all(is_clean_key(r["id"]) for r in ids)


def test_server_dying_mid_batch_is_restarted_and_the_killing_run_set_aside(tmp_path):
    """A run whose key slipped past the schema (assigned after validation) crashes FalkorDB: the ingest restarts
    the server, writes the other runs of the batch, names the bad run's file, and leaves nothing of it behind."""
    from tracegraph.store import open_store

    first = _trace("first", "t1", "/repo/shared.py")
    bad = _trace("bad", "t2", "/repo/only-bad.py")
    bad.tests[0].id = "crash "  # validate_assignment is off: this reaches the engine raw, as an unknown bug would
    bad.task = Task(id="bad-task", name="bad-task")
    last = _trace("last", "t3", "/repo/shared.py")
    with open_store(str(tmp_path / "store")) as store:
        report = ingest_traces([first, bad, last], store, quality=False)
        assert sorted(r.name for r in report.runs) == ["first", "last"]
        assert [e.path for e in report.errors] == ["/tmp/bad"]
        assert "crashed" in report.errors[0].problem and "\n" not in report.errors[0].problem
        assert store.query("MATCH (r:Run) RETURN r.name AS name, r.status AS status ORDER BY name") == [
            {"name": "first", "status": "loaded"}, {"name": "last", "status": "loaded"}]
        assert store.query("MATCH (n) WHERE n.run_id = $id RETURN count(n) AS n", {"id": bad.run_id}) == [{"n": 0}]
        files = store.query("MATCH (f:File) RETURN f.path AS path ORDER BY path")
        assert [f["path"] for f in files] == ["/repo/shared.py"]
        tasks = store.query("MATCH (t:Task) RETURN t.name AS name ORDER BY name")
        assert [t["name"] for t in tasks] == ["first ", "last "]


def test_indexed_text_is_bounded_distinct_and_kept_when_short():
    assert indexed_text("é" * MAX_INDEXED_BYTES) != "é" * MAX_INDEXED_BYTES
    for text in ("x" * 9000, "🙂" * 3000, "é" * 2049 + "\ud800"):
        cut = indexed_text(text)
        assert len(cut.encode("utf-8", "surrogatepass")) <= MAX_INDEXED_BYTES and cut.startswith(text[:100])
        assert indexed_text(text + "y") != cut
    assert indexed_text("x" * MAX_INDEXED_BYTES) == "x" * MAX_INDEXED_BYTES


def test_indexed_values_over_the_neo4j_limit_load_on_both_engines(store):
    """Neo4j 5.26 refused a whole run whose test name, file path or task id was over 8 KB (its index key limit);
    they are stored cut with a hash, the same on both engines, and the full task name stays readable."""
    long_test, long_path, long_task = "T" * 3000 + "🙂" * 2000, "/p/" + "é" * 9000, "k" * 9000
    b = TraceBuilder(framework="synthetic", source="/tmp/long", name="long", content_hash="0123456789abcdef")
    b.add_step("bash", {"command": "pytest"}, observation="1 failed")
    b.add_test(long_test, "failed", files=[long_path])
    b.set(task_id=long_task)
    trace = b.build()
    report = ingest_traces([trace], store, quality=False)
    assert report.errors == [] and len(report.runs) == 1
    assert store.query("MATCH (t:TestCase) RETURN t.name AS name") == [{"name": indexed_text(long_test)}]
    assert store.query("MATCH (f:File) RETURN f.path AS path") == [{"path": indexed_text(long_path)}]
    assert store.query("MATCH (r:Run)-[:OF_TASK]->(t:Task) RETURN r.task_id AS id, t.name AS name") == [
        {"id": indexed_text(long_task), "name": long_task}]
