"""ClaudeCodeParser on the real terminal-bench Claude Code trials and Harbor's claude-code.txt streams."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracegraph.errors import IngestError
from tracegraph.ingest.atif import HarborAtifParser
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.ingest.claude_code import ClaudeCodeParser, parse_claude_code_stream
from tracegraph.ingest.registry import get_parser
from tracegraph.schema import DeltaOp, Outcome

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"
TB = FIXTURES / "tb-claude-code"
HARBOR = FIXTURES / "harbor-atif"
GOLD = [r for r in map(json.loads, (SHARED / "gold" / "dev.jsonl").read_text().splitlines())
        if r["format"] == "tb-claude-code"]
# Every trial and its step count; the 11 failed ones agree with gold step_count, cartpole (solved) has no label.
STEP_COUNTS = {
    "c4/cartpole-rl-training": 18, "c4/git-multibranch": 61, "c4/grid-pattern-transform": 10,
    "c4/jupyter-notebook-server": 27, "c4/security-vulhub-minio": 15, "c4/train-fasttext": 34,
    "coder/build-initramfs-qemu": 23, "coder/count-dataset-tokens": 36, "gpt5/fibonacci-server": 15,
    "gpt5/jupyter-notebook-server": 32, "gpt5/reshard-c4-data": 12, "gpt5/vim-terminal-task": 9,
}
PARSER = ClaudeCodeParser()
_cache: dict[Path, object] = {}


def trial(task: str) -> Path:
    return next((TB / task).iterdir())


def parsed(path: Path):
    """Each trial is parsed once per session."""
    if path not in _cache:
        _cache[path] = next(PARSER.parse(path))
    return _cache[path]


def stream_trace(path: Path):
    builder = TraceBuilder(framework="claude-code", source=path, name=path.parent.parent.name, content_hash="0" * 40)
    parse_claude_code_stream(path, builder)
    return builder.build()


def test_registered_under_its_name():
    assert isinstance(get_parser("claude-code"), ClaudeCodeParser)


def test_every_fixture_trial_is_listed():
    assert {f"{p.parent.parent.name}/{p.parent.name}" for p in TB.glob("*/*/*")} == set(STEP_COUNTS)


@pytest.mark.parametrize("task", list(STEP_COUNTS))
def test_step_count(task):
    trace = parsed(trial(task))
    assert trace.run.step_count == STEP_COUNTS[task]
    assert [s.k for s in trace.steps] == list(range(1, STEP_COUNTS[task] + 1))


def test_gold_has_the_eleven_failed_trials():
    assert len(GOLD) == 11
    assert all(STEP_COUNTS[r["source"].split("/", 1)[1].rsplit("/", 1)[0]] == r["step_count"] for r in GOLD)


@pytest.mark.parametrize("record", GOLD, ids=lambda r: r["run_id"])
def test_numbering_agrees_with_every_gold_anchor(record):
    trace = parsed(FIXTURES / record["source"])
    assert trace.run.step_count == record["step_count"]
    assert len(record["anchors"]) == record["step_count"]
    assert {str(s.k): s.call_id for s in trace.steps} == record["anchors"]


def test_outcomes_follow_is_resolved():
    assert parsed(trial("c4/cartpole-rl-training")).run.outcome == Outcome.solved
    assert parsed(trial("c4/cartpole-rl-training")).run.reward == 1.0
    failed = parsed(trial("c4/git-multibranch")).run
    assert (failed.outcome, failed.outcome_reason, failed.reward) == (Outcome.failed, "is_resolved false", 0.0)


def test_tests_come_from_parser_results_with_pytest_messages():
    trace = parsed(trial("c4/grid-pattern-transform"))
    assert [(t.name, t.status) for t in trace.tests] == [
        ("test_transformation_case1", "passed"), ("test_transformation_case2", "failed"),
        ("test_transformation_case3", "failed")]
    case2 = trace.tests[1].message
    assert case2.startswith(">       assert np.array_equal(np.array(result), np.array(expected_output))")
    assert "E       AssertionError: Expected output:" in case2
    assert trace.tests[0].message is None
    minio = parsed(trial("c4/security-vulhub-minio"))
    assert "Expected 'minioadmin-vulhub' to be in /app/result.txt" in minio.tests[0].message
    assert minio.test_files == {"test_command_output_content": ["/app/result.txt"]}


def test_pane_lines_wrapped_at_the_terminal_width_are_joined():
    # The post-test pane is 160 columns wide: the listed folder's path was cut in two there.
    reshard = parsed(trial("gpt5/reshard-c4-data"))
    assert reshard.test_files == {"test_reformat_success": ["/app/c4_reshard/"]}
    assert "<built-in function listdir>('/app/c4_reshard/')" in reshard.tests[0].message
    # pytest's section rules fill the width too; each still opens its own test's section
    assert reshard.tests[1].message.startswith(">       assert set(gt_hashes.keys()) == set(os.listdir(TARGET_DIR))")


def test_run_facts():
    run = parsed(trial("c4/grid-pattern-transform")).run
    assert run.framework == "claude-code"
    assert run.agent == "claude-code 2.0.29"
    assert run.model == "openai/app-8687wa-1753680546005046674"
    assert run.task_id == "grid-pattern-transform"
    assert run.task_text.startswith("Transform the 2x2 input grid into a 6x6 output grid")
    assert run.final_message.startswith("## Summary\n\nI've successfully created the `grid_transform.py` file")
    # The pane's closing prompt is the session's end, not test output.
    assert run.verifier_output.endswith("2 failed, 1 passed in 0.35s " + "=" * 66)
    assert run.started_at_ms == 1762610475974
    # The terminal-bench model proxy reported zero usage everywhere: zero means unknown here, not free.
    assert (run.prompt_tokens, run.completion_tokens) == (None, None)
    assert run.extra_json is None


def test_step_details():
    steps = parsed(trial("c4/grid-pattern-transform")).steps
    write, bash, edit = steps[3], steps[6], steps[7]
    assert (write.tool, write.call_id) == ("Write", "toolu_vrtx_01FVwZkCAz784WV8iAJZAZ2m")
    assert write.thought.startswith("Now let me create the `grid_transform.py` file")
    assert write.observation == "File created successfully at: /app/grid_transform.py"
    assert write.timestamp_ms == 1762610557748
    # tool_result.is_error is authoritative: the Bash run that raised is an error, the Edit is not.
    assert (bash.tool, bash.is_error, bash.command) == ("Bash", True, "python test_transform.py")
    assert bash.observation.startswith("Traceback (most recent call last):")
    assert (edit.tool, edit.is_error) == ("Edit", False)
    # "(no content)" is Claude Code's placeholder, not a thought.
    assert steps[4].thought is None


def test_write_and_edit_calls_have_deltas():
    trace = parsed(trial("c4/grid-pattern-transform"))
    by_step = {(d.k, d.op, d.path) for d in trace.deltas}
    assert (4, DeltaOp.create, "/app/grid_transform.py") in by_step
    assert (8, DeltaOp.modify, "/app/grid_transform.py") in by_step
    assert (7, DeltaOp.execute, "/app/test_transform.py") in by_step


def test_subagent_calls_count_and_are_marked():
    steps = parsed(trial("coder/count-dataset-tokens")).steps
    assert (steps[0].tool, steps[0].role) == ("Task", None)
    assert [s.role for s in steps[1:13]] == ["subagent"] * 12
    assert (steps[4].tool, steps[4].is_error, steps[4].observation) == ("Bash", True, "Error")
    assert steps[0].observation.startswith("Based on all the information I've gathered")


@pytest.mark.parametrize("task", list(STEP_COUNTS))
def test_detects_every_tb_claude_code_trial(task):
    assert PARSER.detect(trial(task))


@pytest.mark.parametrize("folder", sorted((FIXTURES / "terminal-bench-1").glob("*/*")), ids=lambda p: p.parent.name)
def test_does_not_claim_terminal_bench_1_trials(folder):
    assert (folder / "sessions" / "agent.cast").is_file()
    assert not PARSER.detect(folder)


def test_detect_files_and_other_folders():
    harbor = HARBOR / "regex-log__XYfBZFy"
    assert not PARSER.detect(harbor)
    assert not PARSER.detect(harbor / "agent" / "trajectory.json")
    assert PARSER.detect(harbor / "agent" / "claude-code.txt")
    assert PARSER.detect(trial("gpt5/vim-terminal-task") / "sessions" / "agent.cast")
    assert not PARSER.detect(trial("gpt5/vim-terminal-task") / "panes" / "post-test.txt")
    assert not PARSER.detect(TB)


HARBOR_WITH_ATIF = sorted(p for p in HARBOR.iterdir() if (p / "agent" / "trajectory.json").is_file())


@pytest.mark.parametrize("trial_dir", HARBOR_WITH_ATIF, ids=lambda p: p.name)
def test_harbor_stream_has_the_same_calls_as_its_atif(trial_dir):
    """Same count and ids. The order can differ: Harbor's ATIF lists parallel calls in the order their results
    came back and calls that never got a result last; the stream keeps the order the calls were made."""
    ours = [s.call_id for s in stream_trace(trial_dir / "agent" / "claude-code.txt").steps]
    atif = [s.call_id for s in next(HarborAtifParser().parse(trial_dir)).steps]
    assert len(ours) == len(atif)
    assert sorted(ours) == sorted(atif)


def test_harbor_fixtures_all_have_atif_but_feal():
    assert [p.name for p in sorted(HARBOR.iterdir()) if p not in HARBOR_WITH_ATIF] == [
        "feal-linear-cryptanalysis__zkWNvqg"]


def test_streamed_preview_is_replaced_by_the_final_message():
    # kimi-k2.5 behind Claude Code first streams a preview (Glob:0, Glob:1), then the turn that ran
    # (Bash:0, Glob:1): Glob:1 takes its final place, Glob:0 stays a call without a result.
    steps = stream_trace(HARBOR / "headless-terminal__bemYu3W" / "agent" / "claude-code.txt").steps
    assert [s.call_id for s in steps[:3]] == ["functions.Glob:0", "functions.Bash:0", "functions.Glob:1"]
    assert steps[0].observation == ""


def test_harbor_stream_without_atif():
    trace = stream_trace(HARBOR / "feal-linear-cryptanalysis__zkWNvqg" / "agent" / "claude-code.txt")
    assert trace.run.step_count == 12
    assert trace.run.model == "kimi-k2.5"
    assert trace.run.agent == "claude-code 2.1.89"
    assert (trace.run.prompt_tokens, trace.run.completion_tokens) == (160749, 20857)
    assert [s.call_id for s in trace.steps[:5]] == [f"functions.Read:{i}" for i in range(4)] + ["functions.TodoWrite:4"]


# --- damaged and unusual recordings -------------------------------------------------------------------------------

def copy_trial(task: str, dest: Path) -> Path:
    src = trial(task)
    target = dest / src.name
    (target / "sessions").mkdir(parents=True)
    shutil.copy(src / "sessions" / "agent.cast", target / "sessions" / "agent.cast")
    shutil.copy(src / "results.json", target / "results.json")
    return target


def test_truncated_cast_parses_the_complete_part(tmp_path):
    """Decision: a recording cut off mid-event keeps every step before the cut and says how much was lost."""
    target = copy_trial("c4/grid-pattern-transform", tmp_path)
    cast = target / "sessions" / "agent.cast"
    data = cast.read_bytes()
    cut = data.index(b"toolu_vrtx_01S6C7qAHg5F3uiJiMihXhTA")  # inside the event holding step 6's call
    cast.write_bytes(data[:cut + 20])
    trace = next(PARSER.parse(target))
    anchors = next(r for r in GOLD if r["run_id"] == "cc__c4__grid-pattern-transform")["anchors"]
    assert [s.call_id for s in trace.steps] == [anchors[str(k)] for k in range(1, 6)]
    assert json.loads(trace.run.extra_json) == {"unreadable_stream_fragments": 1}
    assert trace.run.outcome == Outcome.failed


def test_not_a_recording_is_a_clear_error(tmp_path):
    target = copy_trial("c4/grid-pattern-transform", tmp_path)
    cast = target / "sessions" / "agent.cast"
    cast.write_text("this is not asciinema\n")
    with pytest.raises(IngestError) as err:
        next(PARSER.parse(target))
    assert str(err.value) == f"{cast}: not an asciinema v2 recording (first line is not a version-2 header)"


def test_recording_without_stream_json_is_a_clear_error(tmp_path):
    cast = tmp_path / "agent.cast"
    cast.write_text('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "$ claude --help\\r\\n"]\n')
    assert not PARSER.detect(cast)
    with pytest.raises(IngestError, match="no Claude Code stream-json messages in the terminal output"):
        next(PARSER.parse(cast))


def test_stream_split_wrapped_duplicated_and_mixed_with_logs(tmp_path):
    """The stream survives being cut across events, hard-wrapped at the terminal width, printed twice and
    interleaved with debug logs: the steps equal those of the clean stream file."""
    source = HARBOR / "filter-js-from-html__ANAXTHK" / "agent" / "claude-code.txt"
    lines = source.read_text().splitlines()
    width = 160
    out = "[log_a1] sending request {\r\n  method: 'post',\r\n}\r\n\x1b[?2004l\r"
    for n, line in enumerate(lines):
        if n % 2:  # every other line arrives hard-wrapped by the terminal
            line = "\r\n".join(line[i:i + width] for i in range(0, len(line), width))
        out += line + "\r\n" + ("[log_b2] response ok\r\n" if n % 3 == 0 else "")
        if n == 4:
            out += line + "\r\n"  # the same line printed twice
    events = [[0.5 * i, "o", out[at:at + 700]] for i, at in enumerate(range(0, len(out), 700))]
    events.insert(3, [1.2, "i", "\r"])
    cast = tmp_path / "agent.cast"
    header = {"version": 2, "width": width, "height": 40, "timestamp": 1700000000}
    cast.write_text("\n".join(json.dumps(x) for x in [header, *events]) + "\n")
    assert PARSER.detect(cast)
    trace = next(PARSER.parse(cast))
    clean = stream_trace(source)
    assert [(s.call_id, s.tool, s.thought, s.observation) for s in trace.steps] == [
        (s.call_id, s.tool, s.thought, s.observation) for s in clean.steps]
    assert trace.run.step_count == 8
    assert trace.run.extra_json is None
    assert 1700000000000 < trace.steps[0].timestamp_ms < 1700000000000 + 1000 * len(events)


@pytest.mark.parametrize(("resolved", "mode", "outcome"), [
    (False, "agent_timeout", Outcome.failed),
    (True, "agent_timeout", Outcome.solved),
    (None, "parse_error", Outcome.infra_error),
    (None, "test_timeout", Outcome.infra_error),
    (None, "context_length_exceeded", Outcome.incomplete),
    (None, "unset", Outcome.unknown),
])
def test_outcome_decision(tmp_path, resolved, mode, outcome):
    """A grade decides when there is one; without it, harness-side failure modes are infra errors."""
    target = copy_trial("gpt5/vim-terminal-task", tmp_path)
    results = json.loads((target / "results.json").read_text())
    results.update(is_resolved=resolved, failure_mode=mode)
    (target / "results.json").write_text(json.dumps(results))
    assert next(PARSER.parse(target)).run.outcome == outcome


def test_missing_results_json_leaves_the_outcome_unknown(tmp_path):
    target = copy_trial("gpt5/vim-terminal-task", tmp_path)
    (target / "results.json").unlink()
    run = next(PARSER.parse(target)).run
    assert (run.outcome, run.outcome_reason) == (Outcome.unknown, "no results.json in the trial folder")
    assert run.step_count == 9
    assert run.task_id == "vim-terminal-task"  # from the trial name, "<task>.<attempt>-of-<n>.<run id>"
