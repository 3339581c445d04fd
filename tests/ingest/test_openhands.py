"""OpenHandsParser on the real output.jsonl and runtime event lists in ../shared/fixtures/openhands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracegraph.errors import IngestError
from tracegraph.ingest.discover import Limits, Unit
from tracegraph.ingest.openhands import OpenHandsParser
from tracegraph.ingest.units import parse_units
from tracegraph.schema import DeltaOp, Outcome

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
OUTPUT = FIXTURES / "openhands" / "multi-swe-bench" / "output.jsonl"
TRAJS = FIXTURES / "openhands" / "runtime-trajs"
PARSER = OpenHandsParser()

_runs: list = []


def runs():
    """The three output.jsonl runs, parsed once."""
    if not _runs:
        _runs.extend(PARSER.parse(OUTPUT))
    return _runs


def one(path: Path):
    [trace] = PARSER.parse(path)
    return trace


def test_one_run_per_line_with_its_step_count():
    assert [(r.run.name, r.run.step_count) for r in runs()] == [
        ("ponylang__ponyc-4595", 23), ("ponylang__ponyc-4593", 34), ("ponylang__ponyc-4588", 50)]
    for trace in runs():
        assert [s.k for s in trace.steps] == list(range(1, trace.run.step_count + 1))
        assert trace.run.task_id == trace.run.name and trace.run.task_text.startswith("<uploaded_files>")
        assert (trace.run.agent, trace.run.model) == ("CodeActAgent", "openai/openrouter-llama-4-maverick")


def test_max_iterations_run_has_exactly_that_many_steps():
    # 49 actions plus one tool call OpenHands rejected: the iteration count the agent hit.
    stopped = runs()[2]
    record = json.loads(OUTPUT.read_text().splitlines()[2])
    assert stopped.run.step_count == record["metadata"]["max_iterations"] == 50
    assert (stopped.step(26).tool, stopped.step(26).is_error) == ("invalid_tool_call", True)
    assert stopped.observation_full[26].startswith("Parameter 'command' is expected to be one of")


def test_outcomes_from_the_record():
    first, second, stopped = runs()
    assert (first.run.outcome, first.run.outcome_reason) == (
        Outcome.unknown, "finished with a patch, not evaluated in this file")
    assert second.run.outcome == Outcome.unknown
    assert stopped.run.outcome == Outcome.incomplete
    assert stopped.run.outcome_reason == ("agent stopped: RuntimeError: Agent reached maximum iteration in headless "
                                          "mode. Current iteration: 50, max iteration: 50")
    assert first.run.prompt_tokens == 565158 and first.run.completion_tokens == 2558


def test_evaluated_record_is_solved_or_failed(tmp_path):
    record = json.loads(OUTPUT.read_text().splitlines()[0])
    record["test_result"]["report"] = {"resolved": True, "failed_apply_patch": False}
    path = tmp_path / "output.jsonl"
    path.write_text(json.dumps(record) + "\n")
    [trace] = PARSER.parse(path)
    assert (trace.run.outcome, trace.run.outcome_reason) == (Outcome.solved, "test_result.report.resolved true")


def test_actions_pair_with_the_observation_they_caused():
    trace = runs()[0]
    first = trace.step(1)
    assert (first.tool, first.call_id, first.action, first.exit_code, first.is_error) == (
        "execute_bash", "toolu_01", "ls -l /workspace/ponylang__ponyc__0.1", 0, False)
    assert trace.observation_full[1].startswith("total 300\n-rw-r--r--  1 root root   9336 Apr 30 08:32 BUILD.md")
    assert first.thought.startswith("The task involves fixing an issue in the `ponylang__ponyc__0.1` repository")
    assert (trace.step(16).exit_code, trace.step(16).is_error) == (127, True)
    assert trace.observation_full[16] == "bash: ponyc: command not found"
    # A file view is no error for mentioning errors: the editor says ERROR: when it refuses.
    assert trace.step(5).tool == "str_replace_editor" and not trace.step(5).is_error
    assert [(d.op, d.path) for d in trace.deltas_of(5)] == [
        (DeltaOp.read, "/workspace/ponylang__ponyc__0.1/src/libponyc/ast/parser.c")]


def test_edit_is_a_modify_delta_on_its_path():
    trace = runs()[0]
    assert trace.step(14).tool == "str_replace_editor" and not trace.step(14).is_error
    assert [(d.op, d.path) for d in trace.deltas_of(14)] == [
        (DeltaOp.modify, "/workspace/ponylang__ponyc__0.1/src/libponyc/ast/parser.c")]
    # The editor refused step 12 (old_str not found): nothing changed, the attempt is kept as intent.
    assert trace.step(12).is_error and trace.deltas_of(12) == []
    assert trace.step(12).intent == "modify /workspace/ponylang__ponyc__0.1/src/libponyc/ast/parser.c"


def test_think_and_finish_are_steps_messages_are_not():
    trace = runs()[0]
    assert [s.tool for s in trace.steps[-2:]] == ["think", "finish"]
    assert trace.step(22).action.startswith("It seems that the `ponyc` compiler is not available")
    assert trace.run.final_message.startswith("The issue with the `ponyc` compiler segfaulting")
    chat = one(TRAJS / "basic_interactions.json")  # two agent messages, then finish
    assert [s.tool for s in chat.steps] == ["finish"]
    assert chat.run.task_text == "what's 1+1?"


@pytest.mark.parametrize("name, steps", [("basic", 2), ("basic_gui_mode", 4), ("basic_interactions", 1),
                                         ("wrong_initial_state", 4)])
def test_runtime_event_lists(name, steps):
    trace = one(TRAJS / f"{name}.json")
    assert trace.run.step_count == steps
    assert (trace.run.outcome, trace.run.name) == (Outcome.unknown, name)


def test_editor_create_without_command_arg_is_a_create_delta():
    # Older events keep the editor command only in translated_ipython_code.
    trace = one(TRAJS / "basic.json")
    assert [(d.op, d.path) for d in trace.deltas_of(1)] == [(DeltaOp.create, "/workspace/game_2048.py")]
    gui = one(TRAJS / "basic_gui_mode.json")
    assert [(d.op, d.path) for d in gui.deltas_of(2)] == [(DeltaOp.create, "/workspace/todo-app/index.html")]
    # A server left running: OpenHands reports exit code -1 after 30 s without output.
    assert (gui.step(4).exit_code, gui.step(4).is_error) == (-1, True)


def test_mv_in_bash_moves_the_file():
    trace = one(TRAJS / "wrong_initial_state.json")
    assert [(d.op, d.path) for d in trace.deltas_of(2)] == [
        (DeltaOp.delete, "/workspace/game_2048.py"), (DeltaOp.create, "/workspace/2048.py")]


def test_detect(tmp_path):
    assert PARSER.detect(OUTPUT) and all(PARSER.detect(p) for p in TRAJS.glob("*.json"))
    other = tmp_path / "other.jsonl"
    other.write_text('{"instance_id": "x", "patch": ""}\n')
    assert not PARSER.detect(other)
    assert not PARSER.detect(FIXTURES / "mini-swe-agent" / "traj-json" / "local.traj.json")
    assert not PARSER.detect(next(FIXTURES.glob("harbor-atif/*/agent/trajectory.json")))
    assert not PARSER.detect(TRAJS)


def _mangled_output(tmp_path: Path) -> Path:
    lines = OUTPUT.read_text().splitlines()
    wrong = json.loads(lines[1])
    wrong["history"] = "not a list"
    path = tmp_path / "output.jsonl"
    path.write_text("\n".join([lines[0], lines[1][:5000], json.dumps(wrong), lines[2]]) + "\n")
    return path


def test_a_bad_line_fails_only_its_run(tmp_path):
    path = _mangled_output(tmp_path)
    good = []
    with pytest.raises(IngestError) as exc:
        for trace in PARSER.parse(path):
            good.append(trace.run.name)
    assert good == ["ponylang__ponyc-4595", "ponylang__ponyc-4588"]
    assert exc.value.path == str(path)
    assert exc.value.problem.startswith("line 2: not valid JSON (Unterminated string")
    assert "; line 3: 'history' is str, not a list" in exc.value.problem


def test_ingest_keeps_the_good_lines_and_reports_the_bad(tmp_path):
    errors = []
    traces = [t for t, _ in parse_units([Unit(PARSER, _mangled_output(tmp_path))], Limits(), errors)]
    assert [t.run.step_count for t in traces] == [23, 50]
    assert len(errors) == 1 and "line 2" in errors[0].problem and "line 3" in errors[0].problem


@pytest.mark.parametrize("events, problem", [
    ('{"events": []}', "is dict, not a list of events"),
    ('[{"id": 0, "source": "user", "action": "message"}, "oops"]', "event 1 is str, not an object"),
    ('[{"id": 3, "source": "agent", "action": "run", "args": ["ls"]}]', "event 3: 'args' is not an object"),
    ('[{"id": 0, "source": "agent", "action": "run", "args": {"comm', "not valid JSON"),
])
def test_malformed_event_list_names_the_file(tmp_path, events, problem):
    path = tmp_path / "events.json"
    path.write_text(events)
    with pytest.raises(IngestError) as exc:
        list(PARSER.parse(path))
    assert exc.value.path == str(path) and problem in exc.value.problem
