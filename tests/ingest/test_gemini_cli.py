"""GeminiCliParser on the real and hand-written recordings in ../shared/fixtures/unknown-formats/gemini-cli-session."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES
from tracegraph.errors import IngestError
from tracegraph.ingest.gemini_cli import GeminiCliParser
from tracegraph.ingest.registry import all_parsers
from tracegraph.schema import DeltaOp

GEMINI = FIXTURES / "unknown-formats" / "gemini-cli-session"
LEGACY = GEMINI / "vibecodingtracker__session-legacy.json"
JSONL = GEMINI / "vibecodingtracker__session.jsonl"
SHELL = GEMINI / "agent-sessions__schema-coverage-large.json"
PARSER = GeminiCliParser()


def one(path):
    [trace] = PARSER.parse(path)
    return trace


@pytest.mark.parametrize("path, count", [(LEGACY, 7), (JSONL, 12), (SHELL, 2)])
def test_tool_call_counts_of_the_readme(path, count):
    assert next(p.name for p in all_parsers() if p.detect(path)) == "gemini-cli"
    trace = one(path)
    assert trace.run.step_count == count
    assert [s.k for s in trace.steps] == list(range(1, count + 1))
    assert all(trace.observation_full[k] for k in range(1, count + 1))


def test_legacy_reads_then_writes_with_deltas():
    trace = one(LEGACY)
    assert [s.tool for s in trace.steps] == ["read_file"] * 3 + ["write_file"] * 4
    assert trace.run.model == "gemini-3.1-pro-preview-customtools"
    ops = [d.op for d in trace.deltas]
    assert ops.count(DeltaOp.read) == 3 and ops.count(DeltaOp.create) + ops.count(DeltaOp.modify) == 4


def test_jsonl_last_copy_of_a_message_wins_in_first_position():
    trace = one(JSONL)
    tools = [s.tool for s in trace.steps]
    assert tools.count("read_file") == 7 and tools.count("update_topic") == 3
    assert tools[-1] == "replace" and tools[-4] == "write_file"
    replace = trace.steps[-1]
    assert [d.op for d in trace.deltas_of(replace.k)] == [DeltaOp.modify]
    assert "Successfully modified file" in trace.observation_full[replace.k]
    assert not any(s.is_error for s in trace.steps)  # every call's status is success


def test_shell_exit_code_from_the_output_text():
    first, second = one(SHELL).steps
    assert first.command == "printf 'line1\\nline2\\nline3\\n'" and first.exit_code == 0 and not first.is_error
    assert second.command == "ls /non-existent-directory" and second.exit_code == 1 and second.is_error


def test_jsonl_without_header_names_the_file(tmp_path):
    bad = tmp_path / "chat.jsonl"
    bad.write_text('{"id": "m1", "type": "user", "content": "hi", "sessionId": "s", "projectHash": "p"}\n{oops\n')
    with pytest.raises(IngestError, match="chat.jsonl: line 2 is not JSON"):
        one(bad)
