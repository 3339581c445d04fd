"""Harbor/ATIF ingest into each engine: counts, anchors, outcomes, idempotence, all-or-nothing per run."""

from __future__ import annotations

import shutil

from tests.support import FIXTURES, gold_records
from tracegraph import ingest_paths
from tracegraph.store.info import db_status

HARBOR = FIXTURES / "harbor-atif"


def _step_rows(store, name):
    return store.query("MATCH (r:Run {name: $n})-[:HAS_STEP]->(s:Step) RETURN s.k AS k, s.call_id AS call_id "
                       "ORDER BY k", {"n": name})


def test_every_trial_loads_with_gold_step_counts_and_anchors(store):
    report = ingest_paths([HARBOR], store)
    assert not report.errors
    assert len(report.runs) == 14
    for gold in (g for g in gold_records() if g["format"] == "harbor-atif"):
        name = gold["source"].split("/")[-1]
        rows = _step_rows(store, name)
        assert len(rows) == gold["step_count"], name
        assert [r["k"] for r in rows] == list(range(1, gold["step_count"] + 1))
        for k, call_id in gold["anchors"].items():
            assert rows[int(k) - 1]["call_id"] == call_id, (name, k)


def test_outcomes(store):
    ingest_paths([HARBOR], store)
    outcome = {r["name"].split("__")[0]: r["outcome"]
               for r in store.query("MATCH (r:Run) RETURN r.name AS name, r.outcome AS outcome")}
    assert outcome["sqlite-db-truncate"] == "solved"
    assert outcome["regex-log"] == "infra_error"
    assert outcome["feal-linear-cryptanalysis"] == "infra_error"  # its verifier could not reach github.com
    assert outcome["query-optimize"] == "solved"  # reward 1 although the verifier timed out
    assert outcome["dna-assembly"] == "failed"
    # No trajectory.json: the steps come from the agent's own log (12 distinct tool_use blocks).
    feal = store.query("MATCH (r:Run) WHERE r.name STARTS WITH 'feal' RETURN r.step_count AS n, "
                       "r.fidelity AS fidelity, r.triage AS triage")
    assert feal == [{"n": 12, "fidelity": "agent_log", "triage": "infrastructure_failed"}]


def test_tests_come_from_ctrf(store):
    ingest_paths([HARBOR / "dna-assembly__BC7CeVz"], store)
    rows = store.query("MATCH (:Run)-[:HAS_TEST]->(t:TestCase) OPTIONAL MATCH (t)-[:VERIFIES]->(f:File) "
                       "RETURN t.name AS name, t.status AS status, collect(f.path) AS files")
    assert rows == [{"name": "test_outputs.py::test_primers", "status": "failed", "files": ["/app/primers.fasta"]}]


def test_a_run_copied_twice_into_one_ingest_is_written_once(store, tmp_path):
    trial = HARBOR / "dna-assembly__BC7CeVz"
    for parent in ("job-a", "job-b"):
        shutil.copytree(trial, tmp_path / parent / trial.name)
    report = ingest_paths([tmp_path], store)
    assert not report.errors
    assert [r.source for r in report.runs] == [str(tmp_path / "job-a" / trial.name)]
    assert [(c.source, c.same_as) for c in report.copies] == [
        (str(tmp_path / "job-b" / trial.name), str(tmp_path / "job-a" / trial.name))]
    assert store.query("MATCH (r:Run) RETURN r.name AS name, count(*) AS copies") == [
        {"name": trial.name, "copies": 1}]
    steps = store.query("MATCH (s:Step) RETURN count(s) AS n, count(DISTINCT s.id) AS ids")
    assert steps[0]["n"] == steps[0]["ids"] == report.runs[0].steps > 0


def test_reingest_is_idempotent(store):
    ingest_paths([HARBOR], store)
    first = db_status(store)
    ingest_paths([HARBOR], store)
    assert db_status(store) == first
    assert first["nodes"]["Step"] == sum(g["step_count"] for g in gold_records() if g["format"] == "harbor-atif") \
        + 21 + 1 + 11 + 12  # the trials without gold: query-optimize, regex-log, sqlite-db-truncate, feal (agent log)


def test_next_chain_walk(store):
    ingest_paths([HARBOR / "dna-assembly__BC7CeVz"], store)
    rows = store.query("MATCH (r:Run)-[:HAS_STEP]->(a:Step {k: 1}) MATCH (a)-[:NEXT*]->(s:Step) "
                       "RETURN s.k AS k ORDER BY k")
    assert [r["k"] for r in rows] == list(range(2, 11))
    run_id = store.query("MATCH (r:Run) RETURN r.id AS id")[0]["id"]
    assert store.shortest_path_lengths(f"{run_id}#1", f"{run_id}#10", "NEXT") == 9


def test_schema_version_is_stored(store):
    from tracegraph.schema import SCHEMA_VERSION

    assert db_status(store)["schema_version"] == SCHEMA_VERSION


def _bad_copy(tmp_path, mangle):
    root = tmp_path / "runs"
    shutil.copytree(HARBOR / "dna-assembly__BC7CeVz", root / "good")
    shutil.copytree(HARBOR / "filter-js-from-html__ANAXTHK", root / "bad")
    traj = root / "bad" / "agent" / "trajectory.json"
    traj.write_bytes(mangle(traj.read_bytes()))
    return root


def test_truncated_trajectory_is_one_error_and_others_load(store, tmp_path):
    root = _bad_copy(tmp_path, lambda b: b[: len(b) // 2])
    report = ingest_paths([root], store)
    assert [r.name for r in report.runs] == ["good"]
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.path.endswith("bad/agent/trajectory.json")
    assert "not valid JSON" in error.problem and "\n" not in error.problem
    assert store.query("MATCH (r:Run {name: 'bad'}) RETURN count(r) AS c") == [{"c": 0}]
    assert store.query("MATCH (s:Step) WHERE s.run_id STARTS WITH 'bad@' RETURN count(s) AS c") == [{"c": 0}]


def test_non_json_trajectory_is_one_error(store, tmp_path):
    root = _bad_copy(tmp_path, lambda b: b"\x00\x01binary junk")
    report = ingest_paths([root], store)
    assert [r.name for r in report.runs] == ["good"]
    assert "bad/agent/trajectory.json" in report.errors[0].path


def test_failed_write_leaves_nothing_of_the_run(store):
    """A plan that fails part-way is undone: nothing of the run stays in the graph."""
    from tracegraph.errors import StoreError
    from tracegraph.ingest.atif import HarborAtifParser
    from tracegraph.store.plan import Statement, cleanup_runs_plan, write_runs_plan
    from tracegraph.tree import build_tree

    trace = build_tree(next(HarborAtifParser().parse(HARBOR / "dna-assembly__BC7CeVz")))
    plan = write_runs_plan([trace])
    loaded_at = next(i for i, s in enumerate(plan) if "SET r.status = 'loaded'" in s.cypher)
    broken = plan[:loaded_at] + [Statement("UNWIND $rows AS r MERGE (n:Step {id: r.id}) SET n.k = 1 / r.zero",
                                           {"rows": [{"id": "x", "zero": 0}]})] + plan[loaded_at:]
    try:
        store.execute(broken, cleanup_runs_plan([trace]))
    except StoreError:
        pass
    assert store.query("MATCH (s:Step {run_id: $r}) RETURN count(s) AS c", {"r": trace.run_id}) == [{"c": 0}]
    assert store.query("MATCH (r:Run {id: $r}) RETURN count(r) AS c", {"r": trace.run_id}) == [{"c": 0}]
