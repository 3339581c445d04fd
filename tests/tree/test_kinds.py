"""explore vs change on real runs: reads explore, installs and writes change, no-ops and unknowns say why."""

from __future__ import annotations

import json

from tests.support import FIXTURES
from tracegraph.schema import StepKind
from tracegraph.evaluate.stages import parse_source

HARBOR = FIXTURES / "harbor-atif"
GRID = FIXTURES / "tb-claude-code/c4/grid-pattern-transform/grid-pattern-transform.1-of-1.2025-11-08__13-10-33"


def test_cat_is_explore():
    trace = parse_source(HARBOR / "query-optimize__xcBWV57")
    step = trace.step(9)
    assert step.command.startswith("cat /tmp/original_output.txt")
    assert step.kind == StepKind.explore
    assert "original_output.txt" in step.kind_reason


def test_pip_install_is_change_and_its_colon_twin_is_a_noop():
    trace = parse_source(HARBOR / "bn-fit-modify__AWvGVmB")
    install, noop = trace.step(2), trace.step(3)
    assert install.command.startswith("pip install pgmpy")
    assert install.kind == StepKind.change and "install" in install.kind_reason
    assert noop.command.startswith(": pip install pgmpy")
    assert noop.is_noop and noop.kind == StepKind.explore
    assert "runs nothing" in noop.kind_reason and "pip install pgmpy" in noop.kind_reason


def test_write_and_edit_tools_are_change_read_and_search_are_explore():
    trace = parse_source(GRID)
    kinds = {s.tool: set() for s in trace.steps}
    for s in trace.steps:
        kinds[s.tool].add(s.kind)
    assert kinds["Write"] == {StepKind.change} and kinds["Edit"] == {StepKind.change}
    assert kinds["TodoWrite"] == {StepKind.explore}
    assert trace.step(7).kind == StepKind.explore  # running the test script writes no file it names


def test_system_changes_without_a_file_are_change():
    trace = parse_source(FIXTURES / "tb-claude-code/c4/git-multibranch/git-multibranch.1-of-1.2025-11-08__13-10-33")
    by_command = {s.command: s for s in trace.steps if s.command}
    assert by_command["useradd -m -s /bin/bash git"].kind == StepKind.change
    assert by_command['echo "git:password" | chpasswd'].kind == StepKind.change
    openssl = next(s for c, s in by_command.items() if c.startswith("openssl req"))
    assert openssl.kind == StepKind.change and "writes" in openssl.kind_reason  # -keyout/-out name the files


def test_unknown_command_defaults_to_explore_with_a_reason(tmp_path):
    # A terminal recording with one command no rule knows (no real fixture run types one).
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "agent.cast").write_text(
        json.dumps({"version": 2, "width": 80, "height": 24}) + "\n" + json.dumps([0.1, "i", "frobnicate --all\r"])
        + "\n")
    [step] = parse_source(tmp_path).steps
    assert step.kind == StepKind.explore
    assert step.kind_reason == "unknown command 'frobnicate': default explore"


def test_lines_that_never_ran_are_explore():
    trace = parse_source(HARBOR / "openssl-selfsigned-cert__6aDSXLS")
    assert trace.step(1).kind_reason == "exit 127 (command not found or not executable): no state change"
    assert all(s.kind == StepKind.explore for s in trace.steps)
    assert sum(s.is_noop for s in trace.steps) >= 12
