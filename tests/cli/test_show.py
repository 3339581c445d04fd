"""`tracegraph show` through the CLI on a real ingested run, checked against the Python API on each engine."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph import ingest_paths
from tracegraph.store import open_store
from tracegraph.evaluate.stages import parse_source
from tracegraph.tree.view import load_tree

HEADLESS = FIXTURES / "harbor-atif" / "headless-terminal__bemYu3W"
STEP_KEYS = {"k", "tool", "action", "role", "kind", "kind_reason", "is_error", "exit_code", "is_noop", "intent",
             "stage", "stage_ordinal", "depends_on", "repeats"}


def _ingested(tmp_path):
    store_dir = tmp_path / "store"
    store = open_store(str(store_dir))
    try:
        report = ingest_paths([HEADLESS], store)
    finally:
        store.close()
    assert not report.errors and len(report.runs) == 1
    return store_dir


def _show(store_dir, *args):
    return CliRunner().invoke(cli, ["--store", str(store_dir), "show", *args], catch_exceptions=False)


def test_show_prints_stages_steps_and_marks(tmp_path):
    r = _show(_ingested(tmp_path), "headless-terminal")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.startswith("headless-terminal__bemYu3W  harbor-atif · failed · 35 steps (structured)")
    assert "triage: agent_failed: 35 recorded agent steps; reward 0" in out
    assert "1. exploration  steps 1–6" in out
    assert "implementation  steps 7–7" in out
    assert "Δ    7 Write" in out  # the change step is marked
    assert "∅    8 Bash : pip install pexpect (no-op)" in out
    assert "↻ 16" in out  # step 17 repeats the no-op before it
    assert "← 7, 31" in out  # step 32 reads the file written at 7 and retries the failed read at 31
    assert "Glob /app/**/*.py ✗" in out  # a failed step is flagged


def test_show_json_is_the_same_tree_as_data(tmp_path):
    store_dir = _ingested(tmp_path)
    r = _show(store_dir, "--json", "headless-terminal__bemYu3W")
    assert r.exit_code == 0, r.output
    tree = json.loads(r.output)
    assert tree["run"]["name"] == "headless-terminal__bemYu3W" and tree["run"]["step_count"] == 35
    assert tree["unstaged"] == []
    steps = [s for st in tree["stages"] for s in st["steps"]]
    assert [s["k"] for s in steps] == list(range(1, 36))
    assert all(set(s) == STEP_KEYS for s in steps)
    for st in tree["stages"]:
        assert [s["k"] for s in st["steps"]] == list(range(st["start_k"], st["end_k"] + 1))
        assert {s["stage"] for s in st["steps"]} == {st["label"]}
    by_k = {s["k"]: s for s in steps}
    assert by_k[8]["is_noop"] and by_k[8]["intent"] == "pip install pexpect"
    assert by_k[7]["kind"] == "change" and by_k[2]["is_error"]
    assert {"k": 7, "reason": "reads /app/headless_terminal.py written at step 7"} in by_k[32]["depends_on"]
    assert by_k[17]["repeats"] == 16
    store = open_store(str(store_dir))
    try:
        assert load_tree(store, "headless") == tree
    finally:
        store.close()


def test_show_unknown_run_is_one_line_and_exit_1(tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(_ingested(tmp_path)), "show", "no-such-run"])
    assert r.exit_code == 1
    assert r.output.strip() == "error: no run matches 'no-such-run'"


def test_load_tree_matches_the_built_trace_on_each_engine(store):
    ingest_paths([HEADLESS], store)
    tree = load_tree(store, "headless-terminal__bemYu3W")
    trace = parse_source(HEADLESS)
    assert [(st["label"], st["start_k"], st["end_k"]) for st in tree["stages"]] == \
        [(st.label.value, st.start_k, st.end_k) for st in trace.stages]
    stored = {(s["k"], d["k"], d["reason"]) for st in tree["stages"] for s in st["steps"] for d in s["depends_on"]}
    assert stored == {(d.src_k, d.dst_k, d.reason) for d in trace.dependencies}
