"""The ingest summary tells the truth: degraded runs (terminal fidelity, 0 steps, never started) and run-like folders
that were skipped are each said with a reason and counted in the closing line; --strict fails on them."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.store import open_store

GOOD = FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz"
NO_STEPS_NAME = "no-tool-calls__synthetic"
TERMINAL = (FIXTURES / "terminal-bench-1" / "20250711_openhands_claude-4-sonnet"
            / "download-youtube.1-of-1.openhands-sonnet")


@pytest.fixture()
def corpus(tmp_path):
    runs = tmp_path / "runs"
    for src in (GOOD, TERMINAL):
        shutil.copytree(src, runs / src.name)
    # The good trial with every tool call taken out: an agent that only talked is a 0-step run.
    shutil.copytree(GOOD, runs / NO_STEPS_NAME)
    trajectory = runs / NO_STEPS_NAME / "agent" / "trajectory.json"
    data = json.loads(trajectory.read_text())
    data["steps"] = [s for s in data["steps"] if not s.get("tool_calls")]
    trajectory.write_text(json.dumps(data))
    mystery = runs / "mystery-trial"
    (mystery / "agent").mkdir(parents=True)
    (mystery / "agent" / "trajectory.json").write_text('{"format": "nobody knows"}')
    return runs


def test_summary_names_and_counts_degraded_runs_and_skipped_folders(corpus, tmp_path):
    store = str(tmp_path / "store")
    shown = CliRunner().invoke(cli, ["--store", store, "ingest", str(corpus), "--workers", "0"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(CliRunner().invoke(cli, ["--store", store, "--json", "ingest", str(corpus),
                                               "--workers", "0"]).output)
    degraded = {r["name"]: r["degraded"] for r in data["runs"]}
    assert degraded[GOOD.name] == [] and degraded[NO_STEPS_NAME] == ["no_steps"]
    assert "terminal_fidelity" in degraded[TERMINAL.name]  # read from a recording (it may also hold 0 steps)
    counts = data["quality_counts"]
    assert counts == {"terminal_fidelity": 1, "never_started": 0, "skipped_folders": 1,
                      "no_steps": sum("no_steps" in kinds for kinds in degraded.values())}
    closing = shown.output.strip().splitlines()[-1]
    assert closing.startswith("loaded 3 runs")
    assert closing.endswith(f"1 at terminal fidelity, {counts['no_steps']} with 0 agent steps, 0 never started, "
                            "1 run-like folders skipped, 0 errors")
    assert f"skipped {corpus / 'mystery-trial'}: looks like a run (holds agent) but no format recognises it" \
        in shown.output
    issues = {r["name"]: r["quality_issues"] for r in data["runs"]}
    assert "0 agent steps" in issues[NO_STEPS_NAME]
    assert any(i.startswith("terminal fidelity") for i in issues[TERMINAL.name])


def test_strict_refuses_degraded_runs_and_fails(corpus, tmp_path):
    store = str(tmp_path / "store")
    done = CliRunner().invoke(cli, ["--store", store, "--json", "ingest", str(corpus), "--strict",
                                    "--workers", "0"])
    assert done.exit_code == 1
    data = json.loads(done.output)
    assert sorted(r["name"] for r in data["refused"]) == sorted([NO_STEPS_NAME, TERMINAL.name])
    with open_store(store) as s:
        assert s.query("MATCH (r:Run) RETURN r.name AS name") == [{"name": GOOD.name}]


def test_commands_other_than_ingest_and_init_do_not_make_a_store(tmp_path):
    missing = tmp_path / "nowhere"
    done = CliRunner().invoke(cli, ["--store", str(missing), "runs"])
    assert done.exit_code == 1
    assert done.output.strip() == f"error: no store at {missing} (`tracegraph ingest` or `tracegraph db init` " \
                                  "makes one)"
    assert not missing.exists()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    done = CliRunner().invoke(cli, ["--store", str(a_file), "db", "status"])
    assert done.exit_code == 1 and done.output.strip() == f"error: store path {a_file} is a file, not a store folder"
    assert CliRunner().invoke(cli, ["--store", str(missing), "db", "init"]).exit_code == 0
    assert CliRunner().invoke(cli, ["--store", str(missing), "runs"]).exit_code == 0
