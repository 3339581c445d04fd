"""Terminal-bench trials, the parts every trial parser shares: asciinema casts, raw terminal output as the text a
screen showed, the one reader of a trial's verdict (results.json and the test output), and whether a trial's log
shows mini-SWE-agent steps.

terminal.py, mini_swe_agent.py, claude_code.py and terminus.py import this module; it imports none of them.
"""

from __future__ import annotations

import functools
import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any, AnyStr, NamedTuple

import orjson

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.ingest.filescan import file_holds
from tracegraph.ingest.harbor_outcome import paths_in, read_json
from tracegraph.ingest.jsontext import loads
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import Outcome

# The escape is factored out of the alternatives so the regex engine skips ahead to each ESC instead of trying
# every alternative at every character. The quantifiers are possessive (*+) because each class excludes what may
# follow it, so giving characters back could never find another match: the engine just skips keeping that state.
# Only the OSC alternative can match a newline; mini_swe_agent's header check renders line by line on that basis.
ANSI_ESCAPE = re.compile(
    r"\x1b(?:"
    r"\[[0-?]*+[ -/]*+[@-~]"  # CSI: colours, cursor moves, line clears
    r"|\][^\x07\x1b]*+(?:\x07|\x1b\\)"  # OSC: window titles, hyperlinks
    r"|[()][0-9A-Za-z]|[@-Z\\-_=>78])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PROMPT = re.compile(r"^[\w.-]+@[\w.-]+:[^\n]*[#$] ?$")
_RULE_END = re.compile(r"([_=-])\1\1$")
# failure_mode values that mean the harness, not the agent, kept a trial from being graded.
_HARNESS_FAILURES = {"test_timeout", "parse_error", "unknown_agent_error", "agent_installation_failed"}
# A verifier that never ran its checks: the sandbox lacked its runner or could not reach the network.
_VERIFIER_BROKEN = re.compile(
    r"Could not get lock \S+|\b(?:uvx?|pytest|curl): command not found|Could not resolve host|"
    r"Temporary failure in name resolution|Network is unreachable"
)


# A mini-SWE-agent step block starts with this line in its terminal output. `mini(?<=^mini)` is `^mini` with the
# literal first, so the engine jumps between occurrences of "mini" instead of trying every position of a long log.
MINI_SWE_AGENT_STEP_HEADER = re.compile(r"mini(?<=^mini)-swe-agent \(step (\d+), \$[\d.]+\):[ \t]*$", re.MULTILINE)


class CastEvent(NamedTuple):
    time: float
    """Seconds since the recording started."""
    kind: str
    """'o' output, 'i' input, or another asciinema event code."""
    data: str


class Cast(NamedTuple):
    start: float | None
    """Epoch seconds the recording started, when the header says."""
    events: list[CastEvent]


def terminal_text(raw: str) -> str:
    """What a screen showed for raw terminal output: escape codes dropped, carriage-return overwrites applied."""
    text = ANSI_ESCAPE.sub("", raw)
    if _holds_control(text):
        text = _CONTROL.sub("", text)
    if "\r" not in text:
        return text
    return "\n".join([_last_write(line) if "\r" in line else line for line in text.split("\n")])


_CONTROL_BYTES = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
"""_CONTROL's characters, each one byte in UTF-8 (which uses bytes under 0x80 for nothing else)."""


def _holds_control(text: str) -> bool:
    """_CONTROL.search(text) is not None, told by bytes.translate: twice as fast as the regex's scan of a class, and
    once escape codes are gone a terminal's text seldom holds any."""
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded)


def _last_write(line: str) -> str:
    # A carriage return lets the next write overwrite the line (spinners, progress bars): keep the last one that
    # wrote something. Trailing returns (CRLF line ends) wrote nothing.
    return line.rstrip("\r").rpartition("\r")[2]


def read_cast(path: Path, holding: str | None = None) -> Cast:
    """The header start time and events of an asciinema v2/v3 recording; IngestError on a malformed line.

    With `holding`, a v2 recording's events are read only from the lines that hold that text (each v2 event carries
    its own time, so the rest need not be decoded; a bad line among them is still an error, the others are not
    looked at). A v3 recording stores intervals, so its times need every event: `holding` is ignored for it.
    """
    if holding is not None:
        fast = _v2_events_holding(path.read_bytes(), holding.encode())
        if fast is not None:
            return fast
    lines = recording_lines(path)
    header = _header(lines[0]) if lines else None
    if not isinstance(header, dict) or header.get("version") not in (2, 3):
        raise IngestError(path, "not an asciinema v2/v3 recording (first line is no header with a version)")
    intervals = header["version"] == 3
    return Cast(_start_time(header), _cast_events(path, lines, intervals, None if intervals else holding))


def _header(line: bytes | str) -> Any:
    try:
        return json.loads(as_text(line))
    except json.JSONDecodeError:
        return None


def _start_time(header: dict) -> float | None:
    start = header.get("timestamp")
    return float(start) if isinstance(start, (int, float)) else None


def _v2_events_holding(data: bytes, needle: bytes) -> Cast | None:
    """read_cast(holding=...) of a plain v2 recording without splitting it into lines: the lines after the header
    that hold `needle` are cut out around each place it occurs. None when the recording is not that plain (a v3
    header, a \r or a line break only str.splitlines() knows, a line orjson does not read as an event): the caller
    then reads it the usual way, with its errors."""
    if b"\r" in data or any(mark[-1:] in data and mark in data for mark in _TEXT_ONLY_BREAKS):
        return None
    first_end = data.find(b"\n")
    first_end = len(data) if first_end < 0 else first_end
    header = _header(data[:first_end])
    if not isinstance(header, dict) or header.get("version") != 2:
        return None
    try:
        return Cast(_start_time(header), _events(_lines_holding(data, needle, first_end)))
    except (ValueError, TypeError):  # orjson's decode error is a ValueError
        return None


# Line breaks that str.splitlines() knows and bytes.splitlines() does not, as UTF-8.
_TEXT_ONLY_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


def recording_lines(path: Path) -> list[bytes] | list[str]:
    """The lines of a file as str.splitlines() cuts its text (read as UTF-8, errors replaced): as bytes when that
    cuts them the same, since orjson reads bytes without a decoded copy (a third of a cast's read + decode time)."""
    data = path.read_bytes()
    # Each break's last byte is looked for first: its lead byte starts every box-drawing character and dash.
    if any(mark[-1:] in data and mark in data for mark in _TEXT_ONLY_BREAKS):
        return data.decode("utf-8", "replace").splitlines()
    return data.splitlines()


def as_text(line: bytes | str) -> str:
    """A line of recording_lines as the text a UTF-8 read with errors replaced gives (a line break never falls inside
    a UTF-8 sequence, so a line decodes as it would in the whole text)."""
    return line if isinstance(line, str) else line.decode("utf-8", "replace")


_event = functools.partial(tuple.__new__, CastEvent)
"""CastEvent((time, kind, data)) without the Python-level __new__ a NamedTuple call goes through."""


def event_fields(line: bytes | str) -> list | tuple | None:
    """An asciinema event line's [time, code, data], None for a blank line; json's ValueError or TypeError when it is
    no such event. orjson reads the line as it is; a line it refuses (invalid UTF-8, NaN, a lone surrogate) is
    decoded and read by jsontext.loads (the same values, or json's error)."""
    try:
        t, kind, data = orjson.loads(line)
    except orjson.JSONDecodeError:
        text = as_text(line)
        if not text.strip():
            return None
        t, kind, data = loads(text)
    return t, kind, data


def event_lines(lines: list[bytes] | list[str]) -> list[bytes] | list[str]:
    """A recording's lines after the header, without the blank lines at its end (event_fields skips those; a blank
    line anywhere else sends the recording to the careful line-by-line reading)."""
    end = len(lines)
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    return lines[1:end]


def _events(lines: list[bytes] | list[str]) -> list[CastEvent]:
    """The events of lines that orjson reads as [time, code, data] (v2 times); ValueError or TypeError at any other."""
    return [_event((float(t), kind if type(kind) is str else str(kind), data if type(data) is str else str(data)))
            for t, kind, data in map(orjson.loads, lines)]


def _cast_events(path: Path, lines: list[bytes] | list[str], intervals: bool,
                 holding: str | None = None) -> list[CastEvent]:
    # The hot loop of every cast reader. Almost every recording is lines orjson reads as [time, code, data]: those
    # are read in one comprehension; a recording with any other line takes the careful loop below.
    needle = None if holding is None else holding.encode() if lines and isinstance(lines[0], bytes) else holding
    body = event_lines(lines)
    if needle is not None:
        body = [line for line in body if needle in line]
    try:
        events = _events(body)
    except (ValueError, TypeError):  # orjson's decode error is a ValueError
        pass
    else:
        if intervals:  # v3 stores the interval since the previous event
            clocks = accumulate(event.time for event in events)
            events = [_event((clock, kind, data)) for clock, (_, kind, data) in zip(clocks, events)]
        return events
    events = []
    append = events.append
    clock = 0.0
    for number, line in enumerate(lines[1:], 2):
        if needle is not None and needle not in line:
            continue
        try:
            fields = event_fields(line)
            if fields is None:
                continue
            t, kind, data = fields
            t = float(t)
        except (json.JSONDecodeError, ValueError, TypeError):
            if number == len(lines):
                break  # a recorder killed mid-write leaves a partial last line; everything before it stands
            raise IngestError(path, f"line {number}: not an asciinema event [time, code, data]") from None
        clock = clock + t if intervals else t  # v3 stores the interval since the previous event
        append(_event((clock, kind if type(kind) is str else str(kind), data if type(data) is str else str(data))))
    return events


def cast_width(path: Path) -> int | None:
    """The terminal width an asciinema recording's header gives (its first line), if any."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            header = loads(fh.readline())
    except (OSError, json.JSONDecodeError):
        return None
    width = header.get("width") if isinstance(header, dict) else None
    return width if isinstance(width, int) and width > 0 else None


def unwrap_pane(text: str, width: int | None) -> str:
    """A tmux pane capture with the terminal's hard wraps undone: a line that fills the width goes on below.

    Without this a path or message longer than the pane is cut in two (`/app/c4_resha` + `rd/`). Rules that fill
    the width on purpose (pytest's `____ test_x ____` and `==== ... ====` lines) end lines of their own.
    """
    if not width or "\n" not in text:
        return text
    out: list[str] = []
    carry = ""
    for line in text.split("\n"):
        if len(line) == width and not _RULE_END.search(line):
            carry += line
        else:
            out.append(carry + line)
            carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


def cast_has_claude_stream_json(cast: Path) -> bool:
    """True when a recording carries Claude Code stream-json (the claude-code parser reads those)."""
    # Inside the cast the JSON lines are themselves JSON-escaped strings.
    return file_holds(cast, (b'\\"type\\":\\"assistant\\"', b'"type":"assistant"'))


# Where a trial's test output may be, best first; the first that holds text is read. sessions/tests.log is the raw
# stream the test session printed: whole, with the program's own line breaks (the terminal-bench 1 harness keeps
# it). panes/post-test.txt is tmux's capture of the pane after the tests (the only copy the terminal-bench 0.2 runs of
# Claude Code kept, and what the harness itself graded): screen plus scrollback, hard-wrapped at the pane's width.
TEST_OUTPUT_FILES = ("sessions/tests.log", "panes/post-test.txt")


def read_tb_results(trial: Path, builder: TraceBuilder) -> None:
    """Set outcome, task, times, tokens and per-test results of a terminal-bench trial.

    The one reader of a trial's verdict, whoever the agent was (terminal, mini-SWE-agent, Claude Code, Terminus):
    results.json gives the grade and the tests, the test output (TEST_OUTPUT_FILES) their failure messages.
    """
    # terminal-bench names trials "<task>.<attempt>-of-<n>.<run id>": the task when results.json does not say.
    named = re.match(r"(.+?)\.\d+-of-\d+\.", trial.name)
    builder.set(task_id=named.group(1) if named else None)
    results_path = trial / "results.json"
    if not results_path.is_file():
        builder.set(outcome=Outcome.unknown, outcome_reason="no results.json in the trial folder")
        return
    data = read_json(results_path)
    if not isinstance(data, dict):
        raise IngestError(results_path, f"is {type(data).__name__}, not an object")
    resolved = data.get("is_resolved")
    if resolved is not None and not isinstance(resolved, bool):
        raise IngestError(results_path, f"'is_resolved' is {resolved!r}, not true, false or null")
    tests = data.get("parser_results") or {}
    if not isinstance(tests, dict):
        raise IngestError(results_path, f"'parser_results' is {type(tests).__name__}, not an object")
    output = read_test_output(trial)
    builder.set(task_id=_text(data, "task_id", results_path),
                task_text=_text(data, "instruction", results_path) or None,
                started_at_ms=iso_to_ms(data.get("trial_started_at")),
                ended_at_ms=iso_to_ms(data.get("trial_ended_at")),
                verifier_output=output[-4000:] or "\n".join(f"{s} {n}" for n, s in tests.items()) or None)
    # The agent's own record of its tokens (Claude Code's stream) is kept; the harness's totals fill what it lacks.
    # Zeros mean the harness counted nothing (installed agents), not a run that used no tokens.
    for field, key in (("prompt_tokens", "total_input_tokens"), ("completion_tokens", "total_output_tokens")):
        value = data.get(key)
        if not builder.run_fields.get(field) and isinstance(value, int) and value > 0:
            builder.set(**{field: value})
    failures = pytest_failures(output)
    for name, status in tests.items():
        message = failures.get(name)
        builder.add_test(name, str(status), message=message, files=paths_in(message) if message else None)
    if data.get("failure_mode") == "agent_timeout":
        builder.session.timeout = "results.json failure_mode agent_timeout"
    outcome, reason = _tb_outcome(resolved, data.get("failure_mode"), output)
    builder.set(outcome=outcome, outcome_reason=reason, reward=None if resolved is None else float(resolved))


def read_test_output(trial: Path) -> str:
    """The test session's output as its screen showed it, from the first of TEST_OUTPUT_FILES that holds any."""
    for name in TEST_OUTPUT_FILES:
        path = trial / name
        if not path.is_file():
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if name.startswith("panes/"):
            # The pane is as wide as the tests' recording; lines that filled it were wrapped there.
            raw = unwrap_pane(raw.rstrip(), cast_width(trial / "sessions" / "tests.cast"))
        text = without_session_end(terminal_text(raw)).strip()
        if text:
            return text
    return ""


# pytest's report: `==== FAILURES ====`-style block headers, `____ test_x ____` sections inside a block, and the
# `FAILED path::test - message` / `ERROR path - message` lines of its short summary.
# `^={3,}` written `===(?<=^===)=*`, and so on: the same matches with a literal first, so the engine jumps between
# occurrences of it instead of trying every position of a long test log (9x faster on the fixtures' logs).
_BLOCK = re.compile(r"===(?<=^===)=* ?(.*?) ?={3,}$", re.MULTILINE)
_SECTION = re.compile(r"___(?<=^___)_* (.+?) _{3,}$", re.MULTILINE)
_SUMMARY = (re.compile(r"(FAILED)(?<=^FAILED) (.+)$", re.MULTILINE),
            re.compile(r"(ERROR)(?<=^ERROR) (.+)$", re.MULTILINE))
"""`^(FAILED|ERROR) (.+)$` as two patterns (an alternation's first characters defeat the jump); a line starts with
one word or the other, so their matches never overlap and, in order of place, are that pattern's."""
_LOCATION = re.compile(r"^\S+\.py:\d+:(?: |$)")


def pytest_failures(output: str) -> dict[str, str]:
    """Failure text per test from pytest output, keyed by the names terminal-bench gives tests in parser_results.

    A test's text is what failed in its section of the report (the E and > lines and the file:line locations), else
    its whole section, else the message of its short-summary line.
    """
    failures: dict[str, str] = {}
    for status, rest in _summary_lines(output):
        node, _, message = rest.partition(" - ")
        # terminal-bench's pytest parser names a test by what follows the first "::", and drops the message of
        # FAILED lines only: an ERROR line keeps it in the name.
        name = (node if status == "FAILED" else rest).split("::", 1)[-1].strip()
        if message.strip():
            failures[name] = message.strip()
    # A section belongs to the block whose header is the last one above it. A pane's scrollback may have lost the
    # FAILURES header, so only sections under PASSES (passing tests' captured output) are left out.
    headers = [(m.start(), m.group(1)) for m in _BLOCK.finditer(output)]
    sections = list(_SECTION.finditer(output))
    for section, nxt in zip(sections, sections[1:] + [None]):
        block = next((title for start, title in reversed(headers) if start < section.start()), None)
        if block == "PASSES":
            continue
        end = min([start for start, _ in headers if start > section.end()] + [nxt.start() if nxt else len(output)])
        text = output[section.end():end].strip()
        essence = [line.rstrip() for line in text.splitlines()
                   if line.startswith(("E ", "> ")) or _LOCATION.match(line)]
        failures[_section_test_name(section.group(1))] = "\n".join(essence) or text
    return failures


def _summary_lines(output: str) -> list[tuple[str, str]]:
    """(FAILED or ERROR, the rest of the line) for each short-summary line, in order."""
    found = sorted((m.start(), m.groups()) for pattern in _SUMMARY for m in pattern.finditer(output))
    return [groups for _, groups in found]


def _section_test_name(title: str) -> str:
    # A section is titled `test_x[param]` or `TestClass.test_x[param]`, or `ERROR at setup of <title>`; the
    # summary line names the same test `TestClass::test_x[param]`. A parameter may hold dots of its own.
    title = re.sub(r"^ERROR at \w+ of ", "", title)
    head, bracket, param = title.partition("[")
    return head.replace(".", "::") + bracket + param


def without_session_end(text: str) -> str:
    """Text without the closing prompt, `exit` and asciinema's goodbye that end every recorded session."""
    lines = text.rstrip().split("\n")
    while lines and (_PROMPT.match(lines[-1]) or lines[-1].strip() in ("", "exit")
                     or lines[-1].startswith("asciinema: ")):
        lines.pop()
    return "\n".join(lines)


def _text(data: dict, key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise IngestError(path, f"'{key}' is {type(value).__name__}, not text")
    return value


def _tb_outcome(resolved: bool | None, failure_mode: Any, stdout: str) -> tuple[Outcome, str]:
    # A graded trial is decided by its grade, whatever else went wrong: agent_timeout still runs the tests.
    mode = failure_mode if failure_mode not in (None, "unset", "none") else None
    note = f" (failure_mode {mode})" if mode else ""
    if resolved is True:
        return Outcome.solved, f"is_resolved true{note}"
    if resolved is False:
        return Outcome.failed, f"is_resolved false{note}"
    broken = _VERIFIER_BROKEN.search(stdout)
    if broken:
        return Outcome.infra_error, f"not graded: verifier could not run its checks: {broken.group(0)}{note}"
    if mode in _HARNESS_FAILURES:
        return Outcome.infra_error, f"not graded: harness failure {mode}"
    if mode and mode != "unknown":
        return Outcome.incomplete, f"not graded: agent stopped with {mode}"
    return Outcome.unknown, f"not graded{note}"


def has_mini_swe_agent_steps(trial: Path) -> bool:
    """True when a trial's agent.log (or, lacking it, agent.cast) shows `mini-swe-agent (step N, $cost):` blocks."""
    log, cast = trial / "sessions" / "agent.log", trial / "sessions" / "agent.cast"
    source = log if log.is_file() else cast
    if not source.is_file():
        return False
    stat = source.stat()
    return _shows_step_headers(source, source == log, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _shows_step_headers(source: Path, is_log: bool, mtime_ns: int, size: int) -> bool:
    # Cached because discovery asks twice about a trial this parser refuses (its own detect, then the terminal
    # parser's); modification time and size in the key make a rewritten file a new question.
    raw = source.read_bytes()
    if b"mini-swe-agent" not in raw or b"(step " not in raw:
        return False  # cheap refusal before decoding megabytes of terminal output
    if is_log:
        # _shows_step_header on the bytes: only the lines holding "(step " are decoded for its first try (a line
        # decodes as it does in the whole text, and ESC ] is the same two bytes in both).
        if b"\x1b]" not in raw:
            held = b"\n".join(_lines_holding(raw, b"(step ")).decode("utf-8", "replace")
            if _renders_step_header(held):
                return True
        return _renders_step_header(raw.decode("utf-8", "replace"))
    cast = read_cast(source)
    return _shows_step_header("".join(e.data for e in cast.events if e.kind == "o"))


def _shows_step_header(output: str) -> bool:
    """True when raw terminal output, as terminal_text shows it, has a `mini-swe-agent (step N, $cost):` line."""
    # Only an OSC string (ESC ]) can run past a newline; without one every line renders on its own, so a header
    # among the rendered lines holding "(step " is a header of the whole text. Those few lines are tried first;
    # the whole text is rendered only when they hold none (headers split by escape codes, or no header at all).
    if "\x1b]" not in output and _renders_step_header("\n".join(_lines_holding(output, "(step "))):
        return True
    return _renders_step_header(output)


def _renders_step_header(output: str) -> bool:
    return bool(MINI_SWE_AGENT_STEP_HEADER.search(terminal_text(output)))


def _lines_holding(text: AnyStr, needle: AnyStr, start: int = 0) -> list[AnyStr]:
    """The lines of `text` (str or bytes, cut at \\n) that contain `needle` at or after `start`, each once."""
    newline = "\n" if isinstance(text, str) else b"\n"
    lines = []
    at = text.find(needle, start)
    while at >= 0:
        end = text.find(newline, at)
        end = len(text) if end < 0 else end
        lines.append(text[text.rfind(newline, 0, at) + 1:end])
        at = text.find(needle, end)
    return lines
