"""MiniSweAgentParser on the real .traj.json files and terminal-bench 1 trials in ../shared/fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracegraph.errors import IngestError
from tracegraph.ingest.mini_swe_agent import MiniSweAgentParser, parse_mini_trial, parse_traj_json
from tracegraph.schema import DeltaOp, Outcome

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
TRAJ = FIXTURES / "mini-swe-agent" / "traj-json"
TB1_MINI = FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet"
TB1_OPENHANDS = FIXTURES / "terminal-bench-1" / "20250711_openhands_claude-4-sonnet"
MAZE = TB1_MINI / "blind-maze-explorer-5x5.1-of-1.2025-08-07__20-46-16"
YOUTUBE = TB1_MINI / "download-youtube.1-of-1.2025-08-07__20-46-16"
ENCRYPT = TB1_MINI / "new-encrypt-command.1-of-1.2025-08-07__20-46-16"

_cache: dict[Path, object] = {}


def trial(path: Path):
    """Each trial is parsed once: their logs are hundreds of kilobytes."""
    if path not in _cache:
        _cache[path] = parse_mini_trial(path)
    return _cache[path]


# --- .traj.json -------------------------------------------------------------------------------------------------

def test_legacy_message_list_one_step_per_bash_block():
    trace = parse_traj_json(TRAJ / "github_issue.traj.json")
    assert trace.run.step_count == 10
    assert [s.exit_code for s in trace.steps] == [1, 0, 0, 0, 0, 0, 0, 1, 0, None]
    assert trace.step(1).is_error and not trace.step(2).is_error
    assert trace.step(1).action.startswith("cat /Users/fuchur/")
    assert trace.step(1).thought.startswith("I'll help you solve this issue.")
    assert trace.step(10).action == "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached"
    assert trace.observation_full[10].startswith("diff --git a/tests/missing_colon.py")  # the submission
    assert trace.run.task_text.startswith("Please solve this issue: GitHub Issue: SyntaxError")
    assert (trace.run.outcome, trace.run.outcome_reason) == (Outcome.unknown, "no exit status recorded")
    assert trace.run.fidelity == "structured"


def test_sed_edit_and_heredoc_rewrite_are_modify_deltas():
    trace = parse_traj_json(TRAJ / "github_issue.traj.json")
    assert [(d.op, d.path) for d in trace.deltas_of(5)] == [(DeltaOp.modify, "tests/missing_colon.py")]
    assert (DeltaOp.modify, "tests/missing_colon.py") in [(d.op, d.path) for d in trace.deltas_of(9)]


def test_local_trajectory_with_empty_final_reply():
    trace = parse_traj_json(TRAJ / "local.traj.json")
    assert [s.action for s in trace.steps] == ["echo 'hello world'", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"]
    assert [s.exit_code for s in trace.steps] == [0, None]
    assert trace.observation_full[1] == "<returncode>0</returncode>\n<output>\nhello world\n</output>"


def _current_format(tmp_path: Path, messages: list[dict], **info) -> Path:
    path = tmp_path / "django__django-1.traj.json"
    path.write_text(json.dumps({"info": {"mini_version": "1.7.0", "config": {"model": {"model_name": "m/x"}},
                                         **info},
                                "messages": messages, "trajectory_format": "mini-swe-agent-1",
                                "instance_id": "django__django-1"}))
    return path


def test_current_format_info_and_format_errors(tmp_path):
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Please solve this issue: fix it"},
        {"role": "assistant", "content": "Two at once:\n```bash\nls\n```\n```bash\npwd\n```"},
        {"role": "user", "content": "Please always provide EXACTLY ONE action in triple backticks, found 2 actions."},
        {"role": "assistant", "content": "THOUGHT: look\n\n```bash\nls -la\n```"},
        {"role": "user", "content": "<returncode>2</returncode>\n<output>\nls: cannot access\n</output>"},
        {"role": "assistant", "content": "Done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```"},
        {"role": "user", "content": "diff --git a/x b/x"},
    ]
    path = _current_format(tmp_path, messages, exit_status="Submitted", submission="diff --git a/x b/x")
    assert MiniSweAgentParser().detect(path)
    [trace] = MiniSweAgentParser().parse(path)
    assert [s.action for s in trace.steps] == ["ls -la", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"]
    assert (trace.step(1).exit_code, trace.step(1).thought) == (2, "THOUGHT: look")
    assert (trace.run.agent, trace.run.model, trace.run.task_id) == ("mini-swe-agent 1.7.0", "m/x", "django__django-1")
    assert trace.run.name == "django__django-1"
    assert trace.run.outcome == Outcome.unknown
    assert trace.run.outcome_reason.startswith("exit_status Submitted with a submission")


def test_v2_tool_calls_pair_with_tool_messages(tmp_path):
    messages = [
        {"role": "user", "content": "Please solve this issue: fix it"},
        {"role": "assistant", "content": "Looking around.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls /nope"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "bash", "arguments": '{"command": "sleep 99"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "ls: /nope: No such file",
         "extra": {"returncode": 2, "raw_output": "ls: /nope: No such file"}},
        {"role": "tool", "tool_call_id": "call_2", "content": "The last command <command>sleep 99</command> "
                                                              "timed out and has been killed."},
    ]
    [trace] = MiniSweAgentParser().parse(_current_format(tmp_path, messages, exit_status="LimitsExceeded"))
    assert [(s.tool, s.action, s.call_id, s.exit_code, s.is_error) for s in trace.steps] == [
        ("bash", "ls /nope", "call_1", 2, True), ("bash", "sleep 99", "call_2", None, True)]
    assert (trace.run.outcome, trace.run.outcome_reason) == (Outcome.incomplete, "exit_status LimitsExceeded")


@pytest.mark.parametrize("text, problem", [
    ('[{"role": "user", "content": "hi"}, {"role": "assis', "not valid JSON"),
    ('{"info": {}, "messages": {"role": "user"}}', "'messages' is dict, not a list"),
    ('{"info": [], "messages": []}', "'info' is list, not an object"),
    ('[{"content": "no role"}]', "message 0 is not an object with a role"),
    ('"just text"', "is str, not a message list"),
])
def test_malformed_traj_json_names_the_file(tmp_path, text, problem):
    path = tmp_path / "bad.traj.json"
    path.write_text(text)
    with pytest.raises(IngestError) as exc:
        list(MiniSweAgentParser().parse(path))
    assert exc.value.path == str(path) and problem in exc.value.problem


# --- terminal-bench 1 trials ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, steps", [(MAZE, 19), (YOUTUBE, 20), (ENCRYPT, 9)], ids=lambda p: getattr(p, "name", p))
def test_trial_step_counts(path, steps):
    trace = trial(path)
    assert trace.run.step_count == steps
    assert [s.k for s in trace.steps] == list(range(1, steps + 1))
    assert trace.run.fidelity == "terminal" and trace.run.framework == "mini-swe-agent"
    assert (trace.run.agent, trace.run.model) == ("mini-swe-agent 1.7.0", "anthropic/claude-sonnet-4-20250514")
    # LiteLLM's logging tracebacks and the spinner are terminal noise, not what the agent saw.
    for step in trace.steps:
        assert "LiteLLM" not in trace.observation_full[step.k] and "LiteLLM" not in (step.thought or "")
        assert "Waiting for the LM" not in trace.observation_full[step.k] + (step.thought or "")


def test_trial_steps_commands_exit_codes_and_times():
    trace = trial(ENCRYPT)
    assert [s.action for s in trace.steps][:3] == ["ls -la", "ls -la data/ && which rencrypt", "rencrypt --help"]
    assert [s.exit_code for s in trace.steps] == [0, 0, 2, 0, 0, 0, 0, 0, None]
    assert trace.step(3).is_error
    assert trace.observation_full[3].startswith("<returncode>2</returncode>\n<output>\nusage: rencrypt")
    assert trace.step(1).thought.startswith("THOUGHT: I need to start by understanding")
    assert trace.step(1).timestamp_ms == 1754636379560  # header time in agent.cast: 2025-08-08T06:59:39.56Z
    assert [s.timestamp_ms for s in trace.steps] == sorted(s.timestamp_ms for s in trace.steps)
    assert trace.run.final_message.startswith("THOUGHT: Excellent! Both files have been successfully encrypted.")


def test_timed_out_command_is_an_error_without_exit_code():
    step = trial(MAZE).step(5)
    assert (step.action, step.exit_code, step.is_error) == ("./maze_game.sh", None, True)
    assert step.observation.startswith("The last command <command>./maze_game.sh</command> timed out")


def test_killed_run_keeps_its_last_action_without_observation():
    last = trial(YOUTUBE).step(20)
    assert last.action.startswith("rm -f /var/lib/dpkg/lock* /var/cache/apt/archives/lock")
    assert (trial(YOUTUBE).observation_full[20], last.exit_code) == ("", None)


def test_trial_outcomes_and_tests_from_results_json():
    maze, youtube, encrypt = trial(MAZE), trial(YOUTUBE), trial(ENCRYPT)
    assert (maze.run.outcome, maze.run.outcome_reason, maze.run.reward) == (Outcome.solved, "is_resolved true", 1.0)
    assert [(t.name, t.status) for t in maze.tests] == [("test_maze_map_file_exists", "passed"),
                                                         ("test_maze_map_contents", "passed")]
    assert maze.run.task_id == "blind-maze-explorer-5x5"
    assert maze.run.task_text.startswith("You are placed in a blind maze exploration challenge.")
    # Solved although the harness recorded an agent timeout: the grade decides.
    assert (encrypt.run.outcome, encrypt.run.outcome_reason) == (Outcome.solved,
                                                                 "is_resolved true (failure_mode agent_timeout)")
    # Not graded: the tests could not install their runner while the agent's apt held the dpkg lock.
    assert youtube.run.outcome == Outcome.infra_error and youtube.tests == []
    assert "Could not get lock /var/lib/dpkg/lock-frontend" in youtube.run.outcome_reason
    assert youtube.run.outcome_reason.endswith("(failure_mode parse_error)")
    assert youtube.run.reward is None


def test_detect():
    parser = MiniSweAgentParser()
    assert all(parser.detect(p) for p in (MAZE, YOUTUBE, ENCRYPT, TRAJ / "local.traj.json"))
    assert not any(parser.detect(p) for p in TB1_OPENHANDS.iterdir())
    assert not parser.detect(TB1_MINI)  # the submission folder above the trials
    assert not parser.detect(FIXTURES / "openhands" / "runtime-trajs" / "basic.json")


def test_trial_without_agent_log_reads_the_cast(tmp_path):
    copy = tmp_path / ENCRYPT.name
    (copy / "sessions").mkdir(parents=True)
    shutil.copy(ENCRYPT / "sessions" / "agent.cast", copy / "sessions" / "agent.cast")
    shutil.copy(ENCRYPT / "results.json", copy / "results.json")
    assert MiniSweAgentParser().detect(copy)
    [trace] = MiniSweAgentParser().parse(copy)
    assert [s.action for s in trace.steps] == [s.action for s in trial(ENCRYPT).steps]
    assert [s.exit_code for s in trace.steps] == [s.exit_code for s in trial(ENCRYPT).steps]


def _with_cast_lines(tmp_path: Path, edit) -> Path:
    copy = tmp_path / ENCRYPT.name
    shutil.copytree(ENCRYPT, copy)
    cast = copy / "sessions" / "agent.cast"
    cast.write_bytes(b"\n".join(edit(cast.read_bytes().split(b"\n"))))
    return copy


def test_beside_an_agent_log_the_cast_is_read_only_for_header_times(tmp_path):
    step_lines = lambda lines: [i for i, line in enumerate(lines) if i and b"step" in line]  # noqa: E731
    lines = ENCRYPT.joinpath("sessions", "agent.cast").read_bytes().split(b"\n")
    other = next(i for i in range(1, len(lines) - 1) if i not in step_lines(lines))

    # A corrupted event that cannot hold a header no longer costs the trial: its steps come from agent.log.
    bent = _with_cast_lines(tmp_path / "other", lambda ls: [*ls[:other], b'[1.0, "o", "cut', *ls[other + 1:]])
    [trace] = MiniSweAgentParser().parse(bent)
    assert [(s.action, s.timestamp_ms) for s in trace.steps] == [
        (s.action, s.timestamp_ms) for s in trial(ENCRYPT).steps]
    assert trace.step(1).timestamp_ms == 1754636379560

    # One that could hold a header is the error read_cast gives, naming its line.
    first = step_lines(lines)[0]
    bad = _with_cast_lines(tmp_path / "step", lambda ls: [*ls[:first], b'[1.0, "o", "step', *ls[first + 1:]])
    with pytest.raises(IngestError, match=f"line {first + 1}: not an asciinema event"):
        list(MiniSweAgentParser().parse(bad))


def test_trial_with_bad_results_json_names_it(tmp_path):
    copy = tmp_path / ENCRYPT.name
    shutil.copytree(ENCRYPT / "sessions", copy / "sessions")
    (copy / "results.json").write_text('{"is_resolved": true, "parser_results": {"test_success": "pass')
    with pytest.raises(IngestError) as exc:
        list(MiniSweAgentParser().parse(copy))
    assert exc.value.path == str(copy / "results.json") and "not valid JSON" in exc.value.problem


@pytest.mark.parametrize("log, shows", [
    ("\x1b[1;31mmini-swe-agent\x1b[0m\x1b[31m (step \x1b[0m1, $0.01):\x1b[0m\n", True),  # colours around the header
    # A header split by escape codes is found by rendering the whole log (the file must still hold both words).
    ("mini-\x1b[0mswe-agent (st\x1b[0mep 1, $0.01):\nmini-swe-agent (step ", True),
    ("spinner\rmini-swe-agent (step 2, $0.5):\r\n", True),  # a carriage return overwrote the spinner
    ("mini-swe-agent (step 2, $0.5):\rgone\n", False),  # ... or the header itself
    ("\x1b]0;title\nmini-swe-agent (step 1, $0.01):\n\x07(step ", False),  # an OSC string swallows the line
    ("run mini-swe-agent (step 1, $0.01): later\n", False),
])
def test_detect_renders_the_log_as_the_parser_does(tmp_path, log, shows):
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "agent.log").write_text(log, newline="")
    assert MiniSweAgentParser().detect(tmp_path) is shows


def test_log_noise_is_removed_as_the_pattern_alone_removes_it():
    from tracegraph.ingest.mini_swe_agent import _LOG_NOISE, _without_log_noise

    noise = "12:00:01 - LiteLLM:WARNING: retrying\n"
    traceback = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                 "ValueError: no\n\nDuring handling of the above exception, another exception occurred:\n\n")
    texts = ["", noise, noise + noise, "x" + noise, "out\n" + noise + traceback + "rest\n",
             " - LiteLLM at the start\n", "1:00:01 - LiteLLM too short a stamp\n", noise[:-1],
             "seen\n12:00:01 - LiteLLM\n12:00:02 - LiteLLM:x\nafter - LiteLLM\n" + noise + "end"]
    for text in texts:
        assert _without_log_noise(text) == _LOG_NOISE.sub("", text)
    for path in sorted(TB1_MINI.glob("*/sessions/agent.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _without_log_noise(text) == _LOG_NOISE.sub("", text)


def test_literal_first_patterns_match_where_their_line_start_forms_match():
    import re

    from tracegraph.ingest.mini_swe_agent import _USER_LINE
    from tracegraph.ingest.terminal_bench import MINI_SWE_AGENT_STEP_HEADER

    forms = [(MINI_SWE_AGENT_STEP_HEADER, re.compile(r"^mini-swe-agent \(step (\d+), \$[\d.]+\):[ \t]*$", re.M)),
             (_USER_LINE, re.compile(r"^User:[ \t]*$", re.M))]
    texts = ["mini-swe-agent (step 1, $0.01):\nUser:\n", "xmini-swe-agent (step 1, $0.01):\n xUser:\nUser: \t\n",
             "a\nmini-swe-agent (step 12, $1.5): \nmini-swe-agent (step 3, $0.2):x\nUser:\nUser: no"]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(TB1_MINI.glob("*/sessions/agent.log"))]
    for ours, line_start in forms:
        for text in texts:
            assert ([(m.span(), m.groups()) for m in ours.finditer(text)]
                    == [(m.span(), m.groups()) for m in line_start.finditer(text)])
