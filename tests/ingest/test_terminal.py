"""TerminalRecordingParser on the real terminal-bench 1 OpenHands trials, and the shared cast helpers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracegraph.errors import IngestError
from tracegraph.ingest.terminal import TerminalRecordingParser, parse_terminal_trial, typed_commands
from tracegraph.ingest.terminal_bench import CastEvent, has_mini_swe_agent_steps, read_cast, terminal_text
from tracegraph.schema import DeltaOp, Outcome, Triage

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
TB1_OPENHANDS = FIXTURES / "terminal-bench-1" / "20250711_openhands_claude-4-sonnet"
TB1_MINI = FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet"
MAZE = TB1_OPENHANDS / "blind-maze-explorer-5x5.1-of-1.openhands-sonnet"
YOUTUBE = TB1_OPENHANDS / "download-youtube.1-of-1.openhands-sonnet"
INTRUSION = TB1_OPENHANDS / "intrusion-detection.1-of-1.openhands-sonnet"
CLAUDE_TRIAL = FIXTURES / "tb-claude-code" / "gpt5" / "fibonacci-server" \
    / "fibonacci-server.1-of-1.2025-11-09__14-07-43"

_cache: dict[Path, object] = {}


def trial(path: Path):
    if path not in _cache:
        _cache[path] = parse_terminal_trial(path)
    return _cache[path]


@pytest.mark.parametrize("path", [MAZE, YOUTUBE, INTRUSION], ids=lambda p: p.name.split(".")[0])
def test_an_installed_agents_session_holds_only_harness_commands(path):
    trace = trial(path)
    # OpenHands runs inside its own process: the recording shows only the harness's setup (clear, setup-env,
    # install-agent) and its launch, none of which is an agent step.
    assert trace.run.step_count == len(trace.steps) == 0
    assert (trace.run.fidelity, trace.run.framework) == ("terminal", "terminal")
    # The session ran and logged its actions without their content: not recorded, not blamed.
    assert trace.run.triage == Triage.actions_not_recorded
    assert trace.run.triage_reason.startswith("after the launch `openhands --max-budget-per-task 10 ")
    assert "action lines such as 'POST /execute_action'" in trace.run.triage_reason


def test_the_launch_output_and_session_length_are_the_evidence():
    reason = trial(YOUTUBE).run.triage_reason
    # launch keystrokes at 1752270345.4 s, last event of the session 103 s later; 9 runtime action requests.
    assert "the session ran 1m43s, logged 9 action lines" in reason
    assert "was stopped (results.json failure_mode agent_timeout)" in trial(MAZE).run.triage_reason


def test_a_launch_the_shell_cannot_run_means_the_agent_never_ran():
    never = [trial(p) for p in sorted(TB1_MINI.iterdir()) if TerminalRecordingParser().detect(p)]
    assert never and all(t.run.step_count == 0 for t in never)
    assert {(t.run.triage, t.run.triage_reason.rsplit("answered ", 1)[1]) for t in never} == {
        (Triage.agent_never_ran, "'bash: mini: command not found'")}
    assert all(t.run.triage_reason.startswith("the launch `mini -m anthropic/claude-sonnet-4") for t in never)


def test_timestamps_come_from_the_cast(tmp_path):
    folder = _tiny_trial(tmp_path, [HEADER, json.dumps([0.25, "i", "ls\r"]), json.dumps([0.5, "o", "a.txt\r\n"]),
                                    json.dumps([1.5, "i", "cat a.txt\r"])])
    [trace] = TerminalRecordingParser().parse(folder)
    # header timestamp 1700000000 + each command's first keystroke
    assert [s.timestamp_ms for s in trace.steps] == [1700000000250, 1700000001500]


def test_source_of_a_script_is_a_read_delta(tmp_path):
    folder = _tiny_trial(tmp_path, [HEADER, json.dumps([0.1, "i", "source /app/env.sh\r"])])
    [trace] = TerminalRecordingParser().parse(folder)
    assert [(d.op, d.path) for d in trace.deltas_of(1)] == [(DeltaOp.read, "/app/env.sh")]


def test_outcomes_and_tests_from_results_json():
    maze, youtube, intrusion = trial(MAZE), trial(YOUTUBE), trial(INTRUSION)
    assert (maze.run.outcome, maze.run.outcome_reason) == (Outcome.failed,
                                                           "is_resolved false (failure_mode agent_timeout)")
    assert (youtube.run.outcome, youtube.run.outcome_reason, youtube.run.reward) == (
        Outcome.failed, "is_resolved false", 0.0)
    assert [(t.name, t.status, t.message) for t in youtube.tests] == [
        ("test_output_file_exists", "passed", None),
        ("test_correct_video", "failed", '>           assert is_similar, "Video content should be similar"\n'
         "E           AssertionError: Video content should be similar\nE           assert np.False_\n"
         "/tests/test_outputs.py:137: AssertionError")]
    assert len(intrusion.tests) == 7 and sum(t.status == "failed" for t in intrusion.tests) == 2
    assert youtube.run.task_id == "download-youtube"
    assert youtube.run.verifier_output.endswith("1 failed, 1 passed in 0.33s " + "=" * 66)


def test_detect_leaves_structured_trials_to_their_parsers():
    parser = TerminalRecordingParser()
    assert all(parser.detect(p) for p in (MAZE, YOUTUBE, INTRUSION))
    # mini-swe-agent trials with step blocks in agent.log are its parser's; the ones whose agent never started
    # (no step block) have only the recording.
    mini = sorted(TB1_MINI.iterdir())
    assert [p for p in mini if parser.detect(p)] == [p for p in mini if not has_mini_swe_agent_steps(p)]
    assert not parser.detect(CLAUDE_TRIAL)  # Claude Code stream-json inside the cast
    assert not parser.detect(TB1_OPENHANDS)
    assert not parser.detect(MAZE / "results.json")


def test_terminal_text_applies_carriage_returns_and_drops_escapes():
    assert terminal_text("0%\r50%\r100%\r\nDone \x1b[1;32mok\x1b[0m\x1b]0;title\x07") == "100%\nDone ok"


def test_typed_commands_handle_backspace_control_keys_and_split_input():
    events = [CastEvent(0.1, "i", "ls -lx\x7fa\r"), CastEvent(0.2, "o", "..."), CastEvent(0.3, "i", "python3 -c 'a"),
              CastEvent(0.4, "i", "\nb'\r"), CastEvent(0.5, "i", "sleep 9"), CastEvent(0.6, "i", "\x03"),
              CastEvent(0.7, "i", "\x04")]
    assert [(c.text, c.first, c.last) for c in typed_commands(events)] == [
        ("ls -la", 0, 0), ("python3 -c 'a\nb'", 2, 3), ("sleep 9", 4, 5), ("C-c", 5, 5)]


def _tiny_trial(tmp_path: Path, cast_lines: list[str], commands: list[list[str]] | None = None) -> Path:
    folder = tmp_path / "task.1-of-1.run"
    (folder / "sessions").mkdir(parents=True)
    (folder / "sessions" / "agent.cast").write_text("\n".join(cast_lines) + "\n")
    shutil.copy(YOUTUBE / "results.json", folder / "results.json")
    if commands is not None:
        (folder / "commands.txt").write_text("\n".join(repr(c) for c in commands) + "\n")
    return folder


HEADER = json.dumps({"version": 2, "width": 80, "height": 24, "timestamp": 1700000000})


def test_recording_without_input_falls_back_to_commands_txt(tmp_path):
    folder = _tiny_trial(tmp_path, [HEADER, json.dumps([0.5, "o", "root@x:/app# "])], [
        ["asciinema rec --stdin /logs/agent.cast", "Enter"], ["clear", "Enter"], ["bash ", "/app/run.sh", "Enter"],
        ["asciinema rec --stdin /logs/tests.cast", "Enter"], ["bash ", "/tests/run-tests.sh", "Enter"], ["C-d"]])
    assert TerminalRecordingParser().detect(folder)
    [trace] = TerminalRecordingParser().parse(folder)
    assert [s.action for s in trace.steps] == ["clear", "bash /app/run.sh"]
    assert [(d.op, d.path) for d in trace.deltas_of(2)] == [(DeltaOp.execute, "/app/run.sh")]


def test_commands_txt_of_an_installed_agent_is_the_harness(tmp_path):
    folder = _tiny_trial(tmp_path, [HEADER, json.dumps([0.5, "o", "root@x:/app# "])], [
        ["asciinema rec --stdin /logs/agent.cast", "Enter"], ["clear", "Enter"],
        ["source /installed-agent/install-agent.sh", "Enter"], ["agent --task 'fix it'", "Enter"], ["C-d"]])
    [trace] = TerminalRecordingParser().parse(folder)
    assert trace.steps == []
    assert (trace.run.triage, trace.run.triage_reason) == (
        Triage.agent_never_ran, "the launch `agent --task 'fix it'` printed nothing an agent would "
                                "(looked in sessions/agent.cast)")


def test_partial_last_line_is_tolerated_but_a_bad_line_is_not(tmp_path):
    good = [HEADER, json.dumps([0.1, "i", "ls\r"]), json.dumps([0.2, "o", "ls\r\na.txt\r\nroot@x:/app# "])]
    folder = _tiny_trial(tmp_path, good + ['[0.3, "o", "trunc'])
    [trace] = TerminalRecordingParser().parse(folder)
    assert [(s.action, trace.observation_full[s.k]) for s in trace.steps] == [("ls", "a.txt")]
    (folder / "sessions" / "agent.cast").write_text("\n".join([good[0], "not json", *good[1:]]) + "\n")
    with pytest.raises(IngestError) as exc:
        list(TerminalRecordingParser().parse(folder))
    assert exc.value.path == str(folder / "sessions" / "agent.cast") and exc.value.problem.startswith("line 2:")


def test_a_cast_without_header_is_refused(tmp_path):
    path = tmp_path / "agent.cast"
    path.write_text('[0.1, "o", "hello"]\n')
    with pytest.raises(IngestError, match="not an asciinema v2/v3 recording"):
        read_cast(path)


@pytest.mark.parametrize("results, problem", [
    ({"is_resolved": "yes"}, "'is_resolved' is 'yes', not true, false or null"),
    ({"is_resolved": False, "parser_results": ["test_a"]}, "'parser_results' is list, not an object"),
    ({"is_resolved": False, "task_id": 7}, "'task_id' is int, not text"),
])
def test_wrong_types_in_results_json_name_the_file(tmp_path, results, problem):
    folder = _tiny_trial(tmp_path, [HEADER, json.dumps([0.1, "i", "ls\r"])])
    (folder / "results.json").write_text(json.dumps(results))
    with pytest.raises(IngestError) as exc:
        list(TerminalRecordingParser().parse(folder))
    assert (exc.value.path, exc.value.problem) == (str(folder / "results.json"), problem)
