"""Limits that protect users: file size, steps per run, observation length; each reported in the ingest summary."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, fields

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph import Limits, ingest_paths
from tracegraph.store import open_store

HARBOR = FIXTURES / "harbor-atif"
OBSERVATIONS = "MATCH (o:Observation) RETURN o.id AS id, o.content AS content, o.size AS size, o.truncated AS cut"


def _ingest(tmp_path, name, paths, limits=None):
    store = open_store(str(tmp_path / name))
    try:
        report = ingest_paths(paths, store, limits=limits)
        return report, {r["id"]: r for r in store.query(OBSERVATIONS)}
    finally:
        store.close()


def test_observation_chars_clips_what_is_stored_and_keeps_the_full_size(tmp_path):
    _, default = _ingest(tmp_path, "default", [HARBOR])
    report, clipped = _ingest(tmp_path, "clipped", [HARBOR], Limits(observation_chars=100))
    assert report.limits["observation_chars"] == 100
    assert clipped.keys() == default.keys()
    assert any(o["cut"] for o in clipped.values())
    for oid, obs in clipped.items():
        assert obs["size"] == default[oid]["size"]
        assert obs["cut"] == (obs["size"] > 100)
        if obs["cut"]:
            assert obs["content"] == default[oid]["content"][:100] + f"… [{obs['size'] - 100} more chars]"
        else:
            assert obs["content"] == default[oid]["content"]


def test_observation_chars_above_the_parser_default_keeps_longer_results(tmp_path):
    _, default = _ingest(tmp_path, "default", [HARBOR])
    _, long = _ingest(tmp_path, "long", [HARBOR], Limits(observation_chars=1_000_000))
    big = [oid for oid, o in default.items() if 4000 < o["size"] <= 1_000_000]
    assert big, "the fixtures hold tool results over 4,000 characters"
    for oid in big:
        assert default[oid]["cut"] and not long[oid]["cut"]
        assert len(long[oid]["content"]) == long[oid]["size"]


def test_max_steps_cuts_runs_and_says_how_many_steps_were_dropped(tmp_path):
    _, _ = _ingest(tmp_path, "full", [HARBOR])
    store = open_store(str(tmp_path / "full"))
    full = {r["name"]: r["n"] for r in store.query("MATCH (r:Run) RETURN r.name AS name, r.step_count AS n")}
    store.close()
    store = open_store(str(tmp_path / "cut"))
    try:
        report = ingest_paths([HARBOR], store, limits=Limits(max_steps=3))
        assert report.limits["max_steps"] == 3
        assert {r.name: r.truncated_steps for r in report.runs} == {n: max(0, s - 3) for n, s in full.items()}
        assert {r.name: r.steps for r in report.runs} == {n: min(s, 3) for n, s in full.items()}
        rows = store.query("MATCH (r:Run) OPTIONAL MATCH (r)-[:HAS_STEP]->(s:Step) "
                           "RETURN r.name AS name, r.step_count AS n, count(s) AS held, max(s.k) AS last")
        for row in rows:
            assert row["n"] == row["held"] == min(full[row["name"]], 3)
        for label in ("Observation", "ToolCall", "StateDelta"):
            assert store.query(f"MATCH (n:{label}) WHERE n.k > 3 RETURN count(n) AS c") == [{"c": 0}]
    finally:
        store.close()


def test_max_file_size_refuses_the_run_with_a_hint(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copy(FIXTURES / "who-and-when" / "hand-crafted" / "1.json", runs / "small.json")
    with open(runs / "big.json", "w") as out:
        out.write((FIXTURES / "who-and-when" / "hand-crafted" / "2.json").read_text() + " " * (2 << 20))
    store = open_store(str(tmp_path / "store"))
    try:
        report = ingest_paths([runs], store, limits=Limits(max_file_bytes=1 << 20))
    finally:
        store.close()
    assert len(report.runs) == 1 and report.runs[0].source.endswith("small.json")
    assert len(report.errors) == 1 and report.errors[0].path.endswith("big.json")
    assert "over the 1 MB limit (raise it with --max-file-mb)" in report.errors[0].problem


def test_every_limit_is_in_the_cli_summary(tmp_path):
    result = CliRunner().invoke(cli, [
        "--store", str(tmp_path / "store"), "ingest", "--json", "--max-file-mb", "50", "--max-steps", "4",
        "--observation-chars", "300", str(HARBOR / "dna-assembly__BC7CeVz"),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["limits"] == asdict(Limits(max_file_bytes=50 << 20, max_steps=4, observation_chars=300))
    assert set(data["limits"]) == {f.name for f in fields(Limits)}
    (run,) = data["runs"]
    assert run["steps"] == 4 and run["truncated_steps"] == 10 - 4
