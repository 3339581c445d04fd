"""Replay packages for real runs of every framework: the hint names the onset and its evidence; files inject it."""

from __future__ import annotations

import json

import pytest

from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run
from tracegraph.errors import RunNotFoundError, UnknownNameError
from tracegraph.export import atif_problems
from tracegraph import ingest_paths
from tracegraph.replay import ReplayError, build_replay_package
from tracegraph.replay.diagnosis import stored_diagnosis
from tracegraph.replay.hint import onset_reason, ordered_evidence
from tracegraph.replay.quoting import PREAMBLE, QUOTE_LABEL, strip_markup

HARBOR = FIXTURES / "harbor-atif"
TB1 = FIXTURES / "terminal-bench-1"

# framework → (path to ingest, run name, files its own targets add)
CASES = {
    "harbor-atif": (HARBOR / "dna-assembly__BC7CeVz", "dna-assembly__BC7CeVz",
                    {"harbor-job.yaml", "harbor-job-resume.yaml"}),
    "claude-code": (FIXTURES / "tb-claude-code" / "coder" / "build-initramfs-qemu",
                    "build-initramfs-qemu.1-of-1.2025-11-09__05-38-48", set()),
    "swe-agent": (FIXTURES / "swe-agent" / "coder", "sympy__sympy-20590", {"swe-agent.yaml"}),
    "mini-swe-agent": (FIXTURES / "mini-swe-agent" / "traj-json" / "github_issue.traj.json", "github_issue",
                       {"mini-swe-agent.yaml"}),
    "openhands": (FIXTURES / "openhands" / "multi-swe-bench", "ponylang__ponyc-4588", set()),
    "who-and-when": (FIXTURES / "who-and-when" / "hand-crafted" / "1.json", "hand-crafted-1", set()),
}


def _load(store, framework):
    path, name, _ = CASES[framework]
    report = ingest_paths([path], store)
    run = next(r for r in report.runs if r.name == name)
    assert run.framework == framework
    return run


@pytest.mark.parametrize("framework", list(CASES))
def test_package_for_each_framework(store, tmp_path, framework):
    run = _load(store, framework)
    assert stored_diagnosis(store, run.run_id) is None
    package = build_replay_package(store, run.run_id, tmp_path / "pkg")

    diagnosis = stored_diagnosis(store, run.run_id)  # diagnosed on the way, and written to the graph
    assert diagnosis is not None and diagnosis.onset_k == package.onset_k is not None
    hint = (tmp_path / "pkg" / "hint.md").read_text()
    k = diagnosis.onset_k
    assert f"The failure began at step {k} of {run.steps}" in hint
    reason = onset_reason(diagnosis, ordered_evidence(diagnosis))
    assert reason and f"{QUOTE_LABEL}, why step {k} was chosen:\n\n```text\n{strip_markup(reason)}\n```" in hint
    for evidence in ordered_evidence(diagnosis)[:3]:
        assert f"({evidence.rule}): {' '.join(evidence.reason.split())[:100]}" in hint
    for heading in ("## What went wrong", "## Evidence", "## What to do instead", "## Do not repeat"):
        assert heading in hint
    assert f"- step {k} — " in hint and hint.split("\n\n")[1] == PREAMBLE

    names = {f.path for f in package.files}
    assert names == {"hint.md", "prefix.atif.json"} | CASES[framework][2]
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert manifest["onset_k"] == k and manifest["run_id"] == run.run_id and "directory" not in manifest
    assert {f["path"] for f in manifest["files"]} == names
    assert all((tmp_path / "pkg" / name).is_file() for name in names)

    prefix = json.loads((tmp_path / "pkg" / "prefix.atif.json").read_text())
    assert atif_problems(prefix) == []
    assert [s["extra"]["tracegraph"]["k"] for s in prefix["steps"] if s.get("tool_calls")] == list(range(1, k))


def test_hint_is_deterministic_and_uses_the_stored_diagnosis(store, tmp_path):
    run = _load(store, "swe-agent")
    first = build_replay_package(store, run.run_id, tmp_path / "a")
    second = build_replay_package(store, run.run_id, tmp_path / "b")
    assert (tmp_path / "a" / "hint.md").read_text() == (tmp_path / "b" / "hint.md").read_text()
    assert (tmp_path / "a" / "prefix.atif.json").read_text() == (tmp_path / "b" / "prefix.atif.json").read_text()
    assert first.onset_k == second.onset_k == 40
    assert len(store.query("MATCH (d:Diagnosis {run_id: $id}) RETURN d.id AS id", {"id": run.run_id})) == 1


def test_not_agent_fault_gives_no_onset_and_no_prefix(store, tmp_path):
    run = ingest_paths([HARBOR / "regex-log__XYfBZFy"], store).runs[0]
    package = build_replay_package(store, run.run_id, tmp_path)
    hint = (tmp_path / "hint.md").read_text()
    assert package.onset_k is None and package.category == "not_agent_fault"
    assert "found no error by the agent" in hint and "Failed to connect to github.com" in hint
    assert {f.path for f in package.files} == {"hint.md", "harbor-job.yaml"}


def test_actions_not_recorded_gives_no_onset_and_no_prefix(store, tmp_path):
    # terminal-bench 1 OpenHands: the recording holds only the harness's commands, the agent's actions are lost.
    path = TB1 / "20250711_openhands_claude-4-sonnet" / "download-youtube.1-of-1.openhands-sonnet"
    run = ingest_paths([path], store).runs[0]
    package = build_replay_package(store, run.run_id, tmp_path)
    hint = (tmp_path / "hint.md").read_text()
    assert (run.framework, run.steps) == ("terminal", 0)
    assert package.onset_k is None and package.category == "undiagnosable"
    assert "the artifacts hold no agent actions to judge" in hint and "POST /execute_action" in hint
    assert "prefix.atif.json" not in {f.path for f in package.files}


def test_targets_and_prefix_options(store, tmp_path):
    run = _load(store, "openhands")
    package = build_replay_package(store, run.run_id, tmp_path, targets=["all"], prefix=False)
    assert package.targets == ["harbor", "mini-swe-agent", "swe-agent"]
    assert {f.path for f in package.files} == {"hint.md", "harbor-job.yaml", "mini-swe-agent.yaml",
                                                "swe-agent.yaml"}
    harbor = next(f for f in package.files if f.path == "harbor-job.yaml")
    assert "guessed from the run" in harbor.purpose
    # The hint quotes tool output with tabs; it is cleaned so the YAML keeps the template as a readable block.
    for name in ("mini-swe-agent.yaml", "swe-agent.yaml"):
        assert "instance_template: |" in (tmp_path / name).read_text()
    with pytest.raises(UnknownNameError, match="unknown replay target 'aider'; valid: all, harbor"):
        build_replay_package(store, run.run_id, tmp_path / "x", targets=["aider"])
    assert not (tmp_path / "x").exists()


def test_chosen_method_is_used(store, tmp_path):
    run = _load(store, "mini-swe-agent")
    result = diagnose_run(store, run.run_id)
    result.method, result.onset_k, result.chain_ks = "llm", 3, [3, 4]
    from tracegraph.diagnose import write_diagnosis

    write_diagnosis(store, result)
    assert build_replay_package(store, run.run_id, tmp_path / "llm", method="llm").onset_k == 3
    assert build_replay_package(store, run.run_id, tmp_path / "h", method="heuristic").onset_k == 5


def test_refusals(store, tmp_path):
    solved = ingest_paths([HARBOR / "sqlite-db-truncate__kfqQYr3"], store).runs[0]
    with pytest.raises(ReplayError, match="solved its task"):
        build_replay_package(store, solved.run_id, tmp_path)
    with pytest.raises(RunNotFoundError):
        build_replay_package(store, "no-such-run", tmp_path)
