"""The one terminal-bench verdict reader (read_tb_results) on small synthetic trials: where test output is read,
how failure messages are found, and what results.json fills; the real trials are covered by each parser's tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import FIXTURES
from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.ingest.terminal_bench import pytest_failures, read_tb_results, read_test_output
from tracegraph.schema import Outcome

RULE = "=" * 20
PYTEST_REPORT = f"""{RULE} test session starts {RULE}
collected 5 items

{RULE} FAILURES {RULE}
____ TestServer.test_port ____

    def test_port(self):
>       assert port_open(3000), "Server is not running on /app/server.py"
E       AssertionError: Server is not running on /app/server.py
E       assert False

/tests/test_outputs.py:12: AssertionError
____ test_map[1.5] ____
>       compare(a, b)
/tests/test_outputs.py:30:
E       AssertionError: maps differ
{RULE} ERRORS {RULE}
____ ERROR at setup of test_db ____
E       RuntimeError: no database
{RULE} PASSES {RULE}
____ test_ok ____
----- Captured stdout call -----
E  this line only looks like a failure
{RULE} short test summary info {RULE}
PASSED ../tests/test_outputs.py::test_ok
FAILED ../tests/test_outputs.py::TestServer::test_port - AssertionError: Server is not running on /app/server.py
FAILED ../tests/test_outputs.py::test_map[1.5] - AssertionError: maps differ
FAILED ../tests/test_outputs.py::test_summary_only - ValueError: bad value
ERROR ../tests/test_outputs.py::test_db
{RULE} 4 failed, 1 passed in 0.10s {RULE}"""


def test_failure_text_per_test_named_as_terminal_bench_names_tests():
    failures = pytest_failures(PYTEST_REPORT)
    assert failures == {
        # A section's E, > and location lines; a class method is Class::method, as in the summary line.
        "TestServer::test_port": '>       assert port_open(3000), "Server is not running on /app/server.py"\n'
                                 "E       AssertionError: Server is not running on /app/server.py\n"
                                 "E       assert False\n/tests/test_outputs.py:12: AssertionError",
        "test_map[1.5]": ">       compare(a, b)\n/tests/test_outputs.py:30:\nE       AssertionError: maps differ",
        "test_db": "E       RuntimeError: no database",
        # No section: the summary line's message.
        "test_summary_only": "ValueError: bad value",
    }


def test_sections_above_a_lost_failures_header_still_count():
    # A pane's scrollback can start inside the FAILURES block.
    cut = PYTEST_REPORT[PYTEST_REPORT.index("____ test_map"):]
    assert pytest_failures(cut)["test_map[1.5]"].endswith("E       AssertionError: maps differ")


def test_an_error_line_without_a_test_id_keeps_its_message_in_the_name():
    # terminal-bench strips the message from FAILED lines only, so a collection error is named by the whole line.
    line = "ERROR ../tests/test_outputs.py - AssertionError: Expected 'x' to be in out.txt"
    assert pytest_failures(line) == {
        "../tests/test_outputs.py - AssertionError: Expected 'x' to be in out.txt":
            "AssertionError: Expected 'x' to be in out.txt"}


def _trial(tmp_path: Path, results: dict | None, log: str | None = None, pane: str | None = None,
           width: int | None = None) -> Path:
    trial = tmp_path / "hello.1-of-1.2025-01-01__00-00-00"
    (trial / "sessions").mkdir(parents=True)
    (trial / "panes").mkdir()
    if results is not None:
        (trial / "results.json").write_text(json.dumps(results))
    if log is not None:
        (trial / "sessions" / "tests.log").write_text(log)
    if pane is not None:
        (trial / "panes" / "post-test.txt").write_text(pane)
    if width is not None:
        (trial / "sessions" / "tests.cast").write_text(json.dumps({"version": 2, "width": width, "height": 5}) + "\n")
    return trial


def _read(trial: Path, **fields) -> TraceBuilder:
    builder = TraceBuilder(framework="terminal", source=trial, name=trial.name, content_hash="0" * 40)
    builder.set(**fields)
    read_tb_results(trial, builder)
    return builder


def test_tests_log_is_read_before_the_pane_and_the_session_end_is_dropped(tmp_path):
    trial = _trial(tmp_path, {}, log="\x1b[31mFAILED\x1b[0m t.py::test_a - boom\r\nroot@box:/app# \r\nexit\r\n",
                   pane="pane text\nroot@box:/app#")
    assert read_test_output(trial) == "FAILED t.py::test_a - boom"


def test_an_empty_tests_log_falls_back_to_the_pane_unwrapped_at_the_recording_width(tmp_path):
    trial = _trial(tmp_path, {}, log="", pane="FAILED t.py::test_a - /app/c4_resha\nrd/ is missing\nroot@box:/app# ",
                   width=len("FAILED t.py::test_a - /app/c4_resha"))
    assert read_test_output(trial) == "FAILED t.py::test_a - /app/c4_reshard/ is missing"


def test_results_json_gives_grade_tests_and_missing_tokens(tmp_path):
    trial = _trial(tmp_path, {"task_id": "hello", "instruction": "Say hello", "is_resolved": False,
                              "failure_mode": "agent_timeout", "parser_results": {"test_a": "failed", "test_b": "passed"},
                              "total_input_tokens": 900, "total_output_tokens": 0},
                   log="FAILED t.py::test_a - AssertionError: /app/hello.txt is empty\n")
    builder = _read(trial, completion_tokens=40)
    run = builder.build().run
    assert (run.outcome, run.outcome_reason, run.reward) == (
        Outcome.failed, "is_resolved false (failure_mode agent_timeout)", 0.0)
    assert (run.task_id, run.task_text) == ("hello", "Say hello")
    # The agent's own count stays; the harness's zero means it counted nothing.
    assert (run.prompt_tokens, run.completion_tokens) == (900, 40)
    assert builder.session.timeout == "results.json failure_mode agent_timeout"
    trace = builder.build()
    assert [(t.name, t.status, t.message) for t in trace.tests] == [
        ("test_a", "failed", "AssertionError: /app/hello.txt is empty"), ("test_b", "passed", None)]
    assert trace.test_files == {"test_a": ["/app/hello.txt"]}


def test_without_test_output_the_verifier_output_lists_the_results(tmp_path):
    trial = _trial(tmp_path, {"is_resolved": True, "parser_results": {"test_a": "passed"}})
    run = _read(trial).build().run
    assert (run.outcome, run.verifier_output) == (Outcome.solved, "passed test_a")


def test_an_ungraded_trial_whose_verifier_could_not_run_is_an_infrastructure_error(tmp_path):
    trial = _trial(tmp_path, {"is_resolved": None, "failure_mode": "parse_error"},
                   pane="bash: pytest: command not found\nroot@box:/app# ")
    run = _read(trial).build().run
    assert run.outcome == Outcome.infra_error
    assert run.outcome_reason == ("not graded: verifier could not run its checks: pytest: command not found "
                                  "(failure_mode parse_error)")


def test_without_results_json_the_task_comes_from_the_trial_name(tmp_path):
    run = _read(_trial(tmp_path, None)).build().run
    assert (run.outcome, run.outcome_reason, run.task_id) == (
        Outcome.unknown, "no results.json in the trial folder", "hello")


@pytest.mark.parametrize("results, problem", [
    ([], "is list, not an object"),
    ({"parser_results": ["test_a"]}, "'parser_results' is list, not an object"),
    ({"is_resolved": "yes"}, "'is_resolved' is 'yes', not true, false or null"),
])
def test_malformed_results_json_names_the_file(tmp_path, results, problem):
    trial = _trial(tmp_path, results)
    with pytest.raises(IngestError) as exc:
        _read(trial)
    assert (exc.value.path, exc.value.problem) == (str(trial / "results.json"), problem)


CAST_HEADER = b'{"version": 2, "width": 80, "timestamp": 1700000000}\n'


def test_a_cast_is_read_as_its_text_would_be_whatever_its_bytes(tmp_path):
    from tracegraph.ingest.terminal_bench import read_cast

    def events(tmp: Path, body: bytes):
        path = tmp / "agent.cast"
        path.write_bytes(CAST_HEADER + body)
        return [tuple(e) for e in read_cast(path).events]

    tmp = tmp_path
    # Invalid UTF-8 is replaced as a text read replaces it; blank and white-space lines are skipped.
    assert events(tmp, b'[0.1, "o", "a\xffb"]\n\n \t\n[0.2, "i", "ls\\r"]\n') == [
        (0.1, "o", "a\ufffdb"), (0.2, "i", "ls\r")]
    # A cut-off last line is dropped; the events before it stand.
    assert events(tmp, b'[0.1, "o", "x"]\n[0.2, "o", "y') == [(0.1, "o", "x")]
    # str.splitlines() cuts at U+2028 too, so a raw one inside an event splits it, as a text read always did.
    with pytest.raises(IngestError, match="line 2: not an asciinema event"):
        events(tmp, '[0.1, "o", "a\u2028b"]\n[0.2, "o", "c"]\n'.encode())
    # Values orjson refuses (NaN) are read by json, as jsontext.loads reads them.
    assert events(tmp, b'[0.5, "o", NaN]\n')[0][:2] == (0.5, "o")


@pytest.mark.parametrize("version, times", [(2, [0.5, 1.25, 1.25, 3.0]), (3, [0.5, 1.75, 3.0, 6.0])])
def test_a_clean_cast_and_one_read_line_by_line_give_the_same_events(tmp_path, version, times):
    # A recording orjson reads whole is read in one pass; one cut-off line sends it through the line-by-line reader.
    from tracegraph.ingest.terminal_bench import read_cast

    header = b'{"version": %d, "width": 80, "timestamp": 1700000000}\n' % version
    body = b'[0.5, "o", "a"]\n[1.25, "o", "b\\r\\n"]\n[1.25, "i", "ls"]\n[3, "m", 7]\n'
    clean, blank_end, cut = tmp_path / "clean.cast", tmp_path / "blank_end.cast", tmp_path / "cut.cast"
    clean.write_bytes(header + body)
    blank_end.write_bytes(header + body + b'\n  \n\t')
    cut.write_bytes(header + body + b'[4.0, "o", "c')
    expected = [(t, kind, data) for t, (kind, data) in zip(times, [("o", "a"), ("o", "b\r\n"), ("i", "ls"), ("m", "7")])]
    for path in (clean, blank_end, cut):
        assert [tuple(e) for e in read_cast(path).events] == expected
    assert all(type(e.time) is float for e in read_cast(clean).events)


@pytest.mark.parametrize("events, dropped", [
    # every line an event orjson reads: the whole recording is decoded in one pass
    (b'[0.1, "o", "ab"]\n[0.2, "o", "c\\r\\r\\nd\\n"]\n[0.3, "i", "x\\n"]\n[0.35, "o", ""]\n[0.4, "o", "e\\u00e9"]\n', 0),
    # a line needing the careful reading (invalid UTF-8), a cut-off event and a blank line: read line by line
    (b'[0.1, "o", "ab"]\n[0.2, "o", "c\\r\\r\\nd\\n"]\n[0.3, "i", "x\\n"]\n[0.35, "o", ""]\n[0.4, "o", "e\xc3\xa9"]\n'
     b'[0.45, "o", "\xff"\n\n', 1),
])
def test_claude_code_cast_lines_are_rebuilt_across_events_with_the_stamp_that_ended_them(tmp_path, events, dropped):
    from tracegraph.ingest.claude_code import _cast_output

    path = tmp_path / "agent.cast"
    path.write_bytes(CAST_HEADER + events)
    output, width, lost = _cast_output(path)
    # Lines are cut at \n (readers strip a \r ending); the unfinished last line takes the time of the last output
    # event, even an empty one.
    assert [(line, output.stamp(i)) for i, line in enumerate(output.lines)] == [
        ("abc\r\r", 1700000000200), ("d", 1700000000200), ("e\u00e9", 1700000000400)]
    assert (width, lost) == (80, dropped)


def test_claude_code_cast_line_times_follow_the_event_holding_the_newline(tmp_path):
    from tracegraph.ingest.claude_code import _cast_output

    path = tmp_path / "agent.cast"
    path.write_bytes(CAST_HEADER + b'[1, "o", "a"]\n[2, "o", ""]\n[3, "o", "\\nb\\n\\nc"]\n[4, "o", "d\\n"]\n'
                                   b'[5, "o", "e"]\n[6, "o", ""]\n')
    output, _, _ = _cast_output(path)
    assert [(line, output.stamp(i)) for i, line in enumerate(output.lines)] == [
        ("a", 1700000003000), ("b", 1700000003000), ("", 1700000003000), ("cd", 1700000004000),
        ("e", 1700000006000)]


def test_a_claude_code_cast_output_event_that_is_not_text_is_one_clear_error(tmp_path):
    from tracegraph.ingest.claude_code import _cast_output

    path = tmp_path / "agent.cast"
    path.write_bytes(CAST_HEADER + b'[0.1, "o", "ab"]\n[0.2, "o", 7]\n')
    with pytest.raises(IngestError, match="output event whose data is not text"):
        _cast_output(path)


@pytest.mark.parametrize("text, paths", [
    ("FAILED /app/test_x.py::test_a - assert open('/app/out.txt')", ["/app/out.txt", "/app/test_x.py"]),
    ("/tmp/a at the start, then /tmp/b.", ["/tmp/a", "/tmp/b"]),  # trailing punctuation is not part of a path
    # A sandbox folder inside a longer path, a relative path or a file name is no sandbox path of its own.
    ("see x/app/y, ./app/z, file.tmp/q and //app/w", ["/app/w"]),
    ("/usr/local/lib/python3.11/x.py /usr/local/bin/tool /srv/site-packages/m", ["/usr/local/bin/tool"]),
])
def test_paths_a_test_message_names(text, paths):
    from tracegraph.ingest.harbor_outcome import paths_in

    assert paths_in(text) == paths


def test_report_patterns_find_what_their_line_start_forms_find():
    """_BLOCK, _SECTION and _SUMMARY are written literal first for speed; they find what `^...` forms find."""
    import re

    from tracegraph.ingest import terminal_bench

    reference = {"block": re.compile(r"^={3,} ?(.*?) ?={3,}$", re.MULTILINE),
                 "section": re.compile(r"^_{3,} (.+?) _{3,}$", re.MULTILINE),
                 "summary": re.compile(r"^(FAILED|ERROR) (.+)$", re.MULTILINE)}
    logs = [p.read_text(errors="replace") for p in FIXTURES.rglob("*") if p.name in ("tests.log", "post-test.txt")]
    logs += [PYTEST_REPORT, "x === a ===\n=== b ===\n== c ==\n ___ d ___\n___ e ___\nxFAILED a\nFAILED b\nERROR c - d\n"
             "ERRORS x\nFAILED \n=======\n"]
    assert len(logs) > 10
    for log in logs:
        for name, new in (("block", terminal_bench._BLOCK), ("section", terminal_bench._SECTION)):
            assert [m.span() + m.groups() for m in new.finditer(log)] == \
                   [m.span() + m.groups() for m in reference[name].finditer(log)]
        assert terminal_bench._summary_lines(log) == reference["summary"].findall(log)


def test_control_characters_are_told_as_the_pattern_tells_them():
    from tracegraph.ingest import terminal_bench

    texts = ["plain", "", "tab\tand\nnewline\r", "bell\x07", "nul\x00", "del\x7f", "esc\x1b", "\x1f", "é ✓ \U0001f600",
             "\ud800 lone surrogate", "box ─── \x0b"] + [f"a{chr(c)}b" for c in range(0x20)]
    for text in texts:
        assert terminal_bench._holds_control(text) == (terminal_bench._CONTROL.search(text) is not None), repr(text)


def test_a_log_shows_step_headers_as_its_whole_decoded_text_shows_them(tmp_path):
    """has_mini_swe_agent_steps decodes only the lines holding "(step " of a log; the answer is the whole text's."""
    from tracegraph.ingest import terminal_bench

    header = "mini-swe-agent (step 3, $0.12):"
    logs = [p.read_bytes() for p in FIXTURES.rglob("agent.log")]
    logs += [f"x\n{header}\n".encode(), f"\x1b[1m{header}\x1b[0m\n".encode(), f"(step 1)\nmini-swe-agent\n".encode(),
             f"\x1b]0;title\x07\n{header}\n".encode(), f"\xe2\x80\n{header}\xff\n".encode("latin-1"),
             f"mini-swe-agent (st\x1b[0mep 2, $0.1):\n(step \n".encode()]
    answers = []
    for number, raw in enumerate(logs):
        log = tmp_path / f"{number}.log"
        log.write_bytes(raw)
        answers.append(terminal_bench._shows_step_headers(log, True, 0, len(raw)))
        assert answers[-1] == terminal_bench._shows_step_header(raw.decode("utf-8", "replace")), raw[:80]
    assert True in answers and False in answers


def test_events_holding_a_word_are_read_alike_with_and_without_splitting_the_recording(tmp_path):
    """read_cast(holding=...) of a plain v2 recording cuts out the lines around each place the word occurs; what it
    gives is what the line-by-line reading gives, on every fixture recording and on recordings that are not plain."""
    from tracegraph.ingest import terminal_bench
    from tracegraph.ingest.terminal_bench import read_cast

    def usual(path, holding):  # the reading without the cut-out path
        lines = terminal_bench.recording_lines(path)
        header = json.loads(terminal_bench.as_text(lines[0]))
        start = header.get("timestamp")
        intervals = header["version"] == 3
        return terminal_bench.Cast(float(start) if isinstance(start, (int, float)) else None,
                                   terminal_bench._cast_events(path, lines, intervals, None if intervals else holding))

    casts = sorted(FIXTURES.rglob("*.cast"))
    header = '{"version": 2, "width": 80, "height": 24, "timestamp": 1700000000, "title": "step by step"}\n'
    made = {"crlf": header.replace("\n", "\r\n") + '[0.5, "o", "mini-swe-agent (step 1, $0.1):"]\r\n',
            "v3": '{"version": 3, "term": {"cols": 80, "rows": 24}}\n[0.5, "o", "step 1"]\n[0.5, "o", "step 2"]\n',
            "header": header + '[0.5, "o", "no word"]\n[1.0, "o", "a step"]\n[1.5, "o", "step"]\n\n',
            "break": header + '[0.5, "o", "step\u2028"]\n[1.0, "o", "a step"]\n'}
    for name, text in made.items():
        path = tmp_path / f"{name}.cast"
        path.write_text(text, encoding="utf-8")
        casts.append(path)
    assert len(casts) > 20
    def outcome(read, path, holding):  # the events, or the error's message
        try:
            return read(path, holding)
        except IngestError as exc:
            return str(exc)

    for path in casts:
        for holding in ("step", "mini-swe-agent (step ", "\\u001b"):
            assert outcome(lambda p, h: read_cast(p, holding=h), path, holding) == outcome(usual, path, holding), \
                (path.name, holding)
    assert "line 2: not an asciinema event" in outcome(usual, tmp_path / "break.cast", "step")
    assert [e.data for e in read_cast(tmp_path / "header.cast", holding="step").events] == ["a step", "step"]
