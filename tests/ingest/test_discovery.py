"""Discovery over every real fixture: each run unit is found exactly once, by the parser of its format, and parses
to the expected runs; `tracegraph formats` lists every parser."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES, gold_records
from tracegraph.cli import cli
from tracegraph.errors import UnknownNameError
from tracegraph.ingest.discover import discover
from tracegraph.ingest.registry import PARSERS

# (unit path relative to the fixtures, run name, framework, steps, outcome): one row per run. The values were read
# off discovery and then checked against the files themselves:
# - harbor-atif: steps = tool calls of the agent steps in agent/trajectory.json (feal-linear-cryptanalysis has
#   none, so its steps are read from agent/claude-code.txt, and its verifier could not reach github.com: infra_error); outcome from verifier/reward.txt (sqlite-db-truncate and query-optimize have 1,
#   the others 0) except regex-log, whose verifier could not reach github.com (infra_error).
# - mini-swe-agent .traj.json: assistant messages; no exit status in either file (unknown).
# - openhands: output.jsonl holds three records (23/34/50 actions; the last hit max_iterations: incomplete); the
#   runtime event lists hold edit+finish, run/edit/edit/run (+ a message), finish (+ two messages), read/run/read/
#   finish; none records an evaluation (unknown).
# - swe-agent: len(trajectory); CodeR outcomes from results.json's `resolved` (django-11001, pytest-5227); the
#   upstream trajectories have no results beside them (unknown).
# - claude-code (terminal-bench 0.2): tool_use blocks in sessions/agent.cast; results.json is_resolved.
# - terminal (terminal-bench 1, no structured log): OpenHands trials, and the mini-SWE-agent fix-permissions trials
#   whose agent never started (`mini: command not found`): every typed command (clear, setup-env, install-agent,
#   the launch) is the harness's, so 0 agent steps; results.json is_resolved false.
# - mini-swe-agent (terminal-bench 1): `mini-swe-agent (step N, $cost)` blocks in sessions/agent.log; the failed
#   ones agree with the gold step_count (test_gold_step_counts_agree); download-youtube's verifier failed on the
#   dpkg lock (is_resolved null, parse_error: infra_error).
# - who-and-when: history entries not spoken by Computer_terminal (a tool result) nor the human question.
TB_C4 = "tb-claude-code/c4/{0}/{0}.1-of-1.2025-11-08__13-10-33"
TB_CODER = "tb-claude-code/coder/{0}/{0}.1-of-1.2025-11-09__05-38-48"
TB_GPT5 = "tb-claude-code/gpt5/{0}/{0}.1-of-1.2025-11-09__14-07-43"
TB1_OH = "terminal-bench-1/20250711_openhands_claude-4-sonnet/{0}.1-of-1.openhands-sonnet"
TB1_MINI = "terminal-bench-1/20250825_swe-agent-mini_claude-4-sonnet/{0}.1-of-1.2025-08-07__20-46-16"
TB1_MINI_0814 = "terminal-bench-1/20250825_swe-agent-mini_claude-4-sonnet/{0}.1-of-1.2025-08-14__19-39-35"
UPSTREAM = "swe-agent/upstream/gpt4__{0}__t-0.00__p-0.95__c-3.00__install-1/{1}.traj"


def _trials(template: str, framework: str, rows: list[tuple[str, int, str]]) -> list[tuple[str, str, str, int, str]]:
    """Rows for trial folders `template.format(task)`, each run named after its folder."""
    return [(template.format(task), template.format(task).rsplit("/", 1)[1], framework, steps, outcome)
            for task, steps, outcome in rows]


EXPECTED: list[tuple[str, str, str, int, str]] = [
    ("harbor-atif/bn-fit-modify__AWvGVmB", "bn-fit-modify__AWvGVmB", "harbor-atif", 26, "failed"),
    ("harbor-atif/dna-assembly__BC7CeVz", "dna-assembly__BC7CeVz", "harbor-atif", 10, "failed"),
    ("harbor-atif/feal-linear-cryptanalysis__zkWNvqg", "feal-linear-cryptanalysis__zkWNvqg", "harbor-atif", 12,
     "infra_error"),
    ("harbor-atif/filter-js-from-html__ANAXTHK", "filter-js-from-html__ANAXTHK", "harbor-atif", 8, "failed"),
    ("harbor-atif/git-leak-recovery__CVQc9DD", "git-leak-recovery__CVQc9DD", "harbor-atif", 19, "failed"),
    ("harbor-atif/headless-terminal__bemYu3W", "headless-terminal__bemYu3W", "harbor-atif", 35, "failed"),
    ("harbor-atif/install-windows-3.11__sVtnj8d", "install-windows-3.11__sVtnj8d", "harbor-atif", 35, "failed"),
    ("harbor-atif/modernize-scientific-stack__gDr77c7", "modernize-scientific-stack__gDr77c7", "harbor-atif", 10,
     "failed"),
    ("harbor-atif/nginx-request-logging__KgTBE9j", "nginx-request-logging__KgTBE9j", "harbor-atif", 15, "failed"),
    ("harbor-atif/openssl-selfsigned-cert__6aDSXLS", "openssl-selfsigned-cert__6aDSXLS", "harbor-atif", 21, "failed"),
    ("harbor-atif/query-optimize__xcBWV57", "query-optimize__xcBWV57", "harbor-atif", 21, "solved"),
    ("harbor-atif/regex-log__XYfBZFy", "regex-log__XYfBZFy", "harbor-atif", 1, "infra_error"),
    ("harbor-atif/sanitize-git-repo__tVYCtFW", "sanitize-git-repo__tVYCtFW", "harbor-atif", 10, "failed"),
    ("harbor-atif/sqlite-db-truncate__kfqQYr3", "sqlite-db-truncate__kfqQYr3", "harbor-atif", 11, "solved"),
    ("mini-swe-agent/traj-json/github_issue.traj.json", "github_issue", "mini-swe-agent", 10, "unknown"),
    ("mini-swe-agent/traj-json/local.traj.json", "local", "mini-swe-agent", 2, "unknown"),
    ("openhands/multi-swe-bench/output.jsonl", "ponylang__ponyc-4595", "openhands", 23, "unknown"),
    ("openhands/multi-swe-bench/output.jsonl", "ponylang__ponyc-4593", "openhands", 34, "unknown"),
    ("openhands/multi-swe-bench/output.jsonl", "ponylang__ponyc-4588", "openhands", 50, "incomplete"),
    ("openhands/runtime-trajs/basic.json", "basic", "openhands", 2, "unknown"),
    ("openhands/runtime-trajs/basic_gui_mode.json", "basic_gui_mode", "openhands", 4, "unknown"),
    ("openhands/runtime-trajs/basic_interactions.json", "basic_interactions", "openhands", 1, "unknown"),
    ("openhands/runtime-trajs/wrong_initial_state.json", "wrong_initial_state", "openhands", 4, "unknown"),
    ("swe-agent/coder/trajs/astropy__astropy-6938.traj", "astropy__astropy-6938", "swe-agent", 7, "failed"),
    ("swe-agent/coder/trajs/django__django-11001.traj", "django__django-11001", "swe-agent", 33, "solved"),
    ("swe-agent/coder/trajs/psf__requests-2317.traj", "psf__requests-2317", "swe-agent", 96, "failed"),
    ("swe-agent/coder/trajs/pytest-dev__pytest-5227.traj", "pytest-dev__pytest-5227", "swe-agent", 5, "solved"),
    ("swe-agent/coder/trajs/sympy__sympy-20590.traj", "sympy__sympy-20590", "swe-agent", 56, "failed"),
    (UPSTREAM.format("swe-agent-test-repo__default_from_url", "6e44b9__sweagenttestrepo-1c2844"),
     "6e44b9__sweagenttestrepo-1c2844", "swe-agent", 5, "unknown"),
    (UPSTREAM.format("swe-agent__test-repo__default_from_url", "swe-agent__test-repo-i1"),
     "swe-agent__test-repo-i1", "swe-agent", 5, "unknown"),
    (UPSTREAM.format("swe-bench-dev-easy_first_only__default", "pydicom__pydicom-1458"),
     "pydicom__pydicom-1458", "swe-agent", 12, "unknown"),
    *_trials(TB_C4, "claude-code", [("cartpole-rl-training", 18, "solved"), ("git-multibranch", 61, "failed"),
                                    ("grid-pattern-transform", 10, "failed"),
                                    ("jupyter-notebook-server", 27, "failed"),
                                    ("security-vulhub-minio", 15, "failed"), ("train-fasttext", 34, "failed")]),
    *_trials(TB_CODER, "claude-code", [("build-initramfs-qemu", 23, "failed"), ("count-dataset-tokens", 36, "failed")]),
    *_trials(TB_GPT5, "claude-code", [("fibonacci-server", 15, "failed"), ("jupyter-notebook-server", 32, "failed"),
                                      ("reshard-c4-data", 12, "failed"), ("vim-terminal-task", 9, "failed")]),
    *_trials(TB1_OH, "terminal", [("blind-maze-explorer-5x5", 0, "failed"), ("download-youtube", 0, "failed"),
                                  ("intrusion-detection", 0, "failed")]),
    *_trials(TB1_MINI, "terminal", [("fix-permissions", 0, "failed")]),
    *_trials(TB1_MINI_0814, "terminal", [("fix-permissions", 0, "failed")]),
    *_trials(TB1_MINI, "mini-swe-agent", [("blind-maze-explorer-5x5", 19, "solved"),
                                          ("blind-maze-explorer-algorithm", 39, "failed"),
                                          ("download-youtube", 20, "infra_error"),
                                          ("incompatible-python-fasttext", 19, "failed"),
                                          ("new-encrypt-command", 9, "solved"),
                                          ("nginx-request-logging", 18, "failed")]),
    *_trials(TB1_MINI_0814, "mini-swe-agent", [("oom", 14, "failed")]),
    *[(f"who-and-when/algorithm-generated/{n}.json", f"algorithm-generated-{n}", "who-and-when", steps, "failed")
      for n, steps in [(1, 4), (10, 7), (2, 5), (3, 5), (4, 7), (5, 7), (6, 7), (7, 7), (8, 6), (9, 4)]],
    *[(f"who-and-when/hand-crafted/{n}.json", f"hand-crafted-{n}", "who-and-when", steps, "failed")
      for n, steps in [(1, 28), (2, 85), (3, 92), (4, 16), (5, 19)]],
    *[(f"unknown-formats/{path}", path.split("/")[1].rsplit(".", 1)[0], framework, steps, "unknown")
      for path, framework, steps in [
          ("codex-rollout-jsonl/agent-sessions__schema-coverage-small.jsonl", "codex", 8),
          ("codex-rollout-jsonl/vibecodingtracker__codex-vscode-0.39.jsonl", "codex", 18),
          ("gemini-cli-session/agent-sessions__schema-coverage-large.json", "gemini-cli", 2),
          ("gemini-cli-session/vibecodingtracker__session-legacy.json", "gemini-cli", 7),
          ("gemini-cli-session/vibecodingtracker__session.jsonl", "gemini-cli", 12)]],
]


@pytest.fixture(scope="module")
def found():
    return discover([FIXTURES])


def test_every_fixture_unit_is_found_once_by_its_parser(found):
    assert not found.errors
    units = [(str(u.path.relative_to(FIXTURES)), u.parser.name) for u in found.units]
    assert Counter(path for path, _ in units).most_common(1)[0][1] == 1  # no unit twice
    expected = sorted({(path, framework) for path, _, framework, _, _ in EXPECTED})
    assert sorted(units) == expected


def test_every_fixture_unit_parses_to_its_expected_runs(found):
    parsed = [(str(u.path.relative_to(FIXTURES)), t.run.name, t.run.framework, len(t.steps), t.run.outcome.value)
              for u in found.units for t in u.parser.parse(u.path)]
    assert sorted(parsed) == sorted(EXPECTED)


def test_gold_step_counts_agree(found):
    """Every gold run parses to the step count its labels number (step k = the k-th agent tool call)."""
    steps = {str(u.path.relative_to(FIXTURES)): [len(t.steps) for t in u.parser.parse(u.path)] for u in found.units
             if str(u.path.relative_to(FIXTURES)) in {r["source"] for r in gold_records()}}
    assert {r["source"]: [r["step_count"]] for r in gold_records()} == steps


def test_overlapping_roots_still_find_each_unit_once(found):
    again = discover([FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz", FIXTURES, FIXTURES / "swe-agent"])
    assert sorted(u.path for u in again.units) == sorted(u.path for u in found.units)


def test_format_forces_one_parser():
    forced = discover([FIXTURES / "swe-agent", FIXTURES / "who-and-when"], format="swe-agent")
    assert {u.parser.name for u in forced.units} == {"swe-agent"}
    assert len(forced.units) == 8
    with pytest.raises(UnknownNameError, match="unknown format 'nope'; valid: claude-code, codex, gemini-cli, harbor-atif"):
        discover([FIXTURES], format="nope")


def test_formats_json_lists_every_parser():
    result = CliRunner().invoke(cli, ["formats", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list(PARSERS)
    assert len(rows) == 11 and all(r["recognises"].strip() for r in rows)
