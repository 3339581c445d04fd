"""CodexRolloutParser on the real and hand-written rollouts in ../shared/fixtures/unknown-formats/codex-rollout-jsonl."""

from __future__ import annotations

import json

import pytest

from tests.support import FIXTURES
from tracegraph.errors import IngestError
from tracegraph.ingest.codex import CodexRolloutParser
from tracegraph.ingest.registry import all_parsers
from tracegraph.schema import DeltaOp

CODEX = FIXTURES / "unknown-formats" / "codex-rollout-jsonl"
REAL = CODEX / "vibecodingtracker__codex-vscode-0.39.jsonl"
COVERAGE = CODEX / "agent-sessions__schema-coverage-small.jsonl"
PARSER = CodexRolloutParser()


def one(path):
    [trace] = PARSER.parse(path)
    return trace


def test_claimed_by_codex_first():
    for path in (REAL, COVERAGE):
        assert next(p.name for p in all_parsers() if p.detect(path)) == "codex"


def test_real_rollout_has_its_18_function_calls_with_outputs():
    trace = one(REAL)
    assert trace.run.step_count == 18
    assert [s.k for s in trace.steps] == list(range(1, 19))
    tools = [s.tool for s in trace.steps]
    assert tools.count("shell") == 14 and tools.count("update_plan") == 4
    assert trace.run.model == "aide-gpt-5" and trace.run.agent == "codex 0.39.0"
    assert "go.mod" in trace.run.task_text
    ls = trace.steps[1]
    # `bash -lc SCRIPT` is read as the script; the output JSON gives the text and the exit code.
    assert ls.command == "ls -la" and ls.exit_code == 0 and not ls.is_error
    assert trace.observation_full[2].startswith("total 124\n")
    assert all(trace.observation_full[k] for k in range(1, 19))


def test_exit_code_decides_failure_not_the_text_shown():
    trace = one(REAL)
    shown = [s for s in trace.steps if s.command and s.command.startswith("sed -n '1,160p' README.zh")]
    assert shown and all(s.exit_code == 0 and not s.is_error for s in shown)


def test_delete_command_is_a_delta():
    trace = one(REAL)
    step = next(s for s in trace.steps if s.command and s.command.startswith("rm -f TODO.md"))
    assert any(d.op == DeltaOp.delete and d.path.endswith("/TODO.md") for d in trace.deltas_of(step.k))


def test_schema_coverage_file_has_8_response_item_calls_and_no_event_duplicates():
    trace = one(COVERAGE)
    assert [s.tool for s in trace.steps[:6]] == ["shell", "shell", "tool_search", "web_search", "tool_search",
                                                  "image_generation"]
    assert trace.run.step_count == 8
    assert trace.observation_full[1] == "a.txt\nb.txt\n"  # custom_tool_call_output paired by call_id
    assert trace.observation_full[2] == "a.txt\n"


def test_not_a_rollout_is_not_claimed_and_bad_lines_name_the_file(tmp_path):
    other = tmp_path / "x.jsonl"
    other.write_text(json.dumps({"type": "user", "payload": {}}) + "\n")
    assert not PARSER.detect(other)
    broken = tmp_path / "rollout.jsonl"
    broken.write_text(REAL.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(IngestError, match="rollout.jsonl: line 2 is not JSON"):
        one(broken)
