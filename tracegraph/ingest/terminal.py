"""Terminal-bench trials known only from a terminal recording: one step per command typed into the session.

Also home of the terminal-bench 1 helpers other trial parsers share: reading asciinema casts, turning raw
terminal output into the text a screen showed, and the outcome and tests in a trial's results.json.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.harbor_outcome import paths_in, read_json
from tracegraph.ingest.jsontext import loads
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import Outcome, RunTrace

# The escape is factored out of the alternatives so the regex engine skips ahead to each ESC instead of trying
# every alternative at every character. The quantifiers are possessive (*+) because each class excludes what may
# follow it, so giving characters back could never find another match: the engine just skips keeping that state.
# Only the OSC alternative can match a newline; mini_swe_agent's header check renders line by line on that basis.
_ANSI = re.compile(
    r"\x1b(?:"
    r"\[[0-?]*+[ -/]*+[@-~]"  # CSI: colours, cursor moves, line clears
    r"|\][^\x07\x1b]*+(?:\x07|\x1b\\)"  # OSC: window titles, hyperlinks
    r"|[()][0-9A-Za-z]|[@-Z\\-_=>78])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PROMPT = re.compile(r"^[\w.-]+@[\w.-]+:[^\n]*[#$] ?$")
_RULE_END = re.compile(r"([_=-])\1\1$")
# terminal-bench appends this to each command it must wait for; it is harness plumbing, not the command.
_HARNESS_WAIT = "; tmux wait -S done"
# terminal-bench sets an installed agent up with scripts from this folder, then types one command to start it; the
# agent then works inside its own process, so nothing typed at the prompt is the agent's.
_INSTALLED_AGENT = "/installed-agent/"
# failure_mode values that mean the harness, not the agent, kept a trial from being graded.
_HARNESS_FAILURES = {"test_timeout", "parse_error", "unknown_agent_error", "agent_installation_failed"}
# A verifier that never ran its checks: the sandbox lacked its runner or could not reach the network.
_VERIFIER_BROKEN = re.compile(
    r"Could not get lock \S+|\b(?:uvx?|pytest|curl): command not found|Could not resolve host|"
    r"Temporary failure in name resolution|Network is unreachable"
)


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
    text = _CONTROL.sub("", _ANSI.sub("", raw))
    if "\r" not in text:
        return text
    return "\n".join([_last_write(line) if "\r" in line else line for line in text.split("\n")])


def _last_write(line: str) -> str:
    # A carriage return lets the next write overwrite the line (spinners, progress bars): keep the last one that
    # wrote something. Trailing returns (CRLF line ends) wrote nothing.
    return line.rstrip("\r").rpartition("\r")[2]


def read_cast(path: Path) -> Cast:
    """The header start time and events of an asciinema v2/v3 recording; IngestError on a malformed line."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("version") not in (2, 3):
        raise IngestError(path, "not an asciinema v2/v3 recording (first line is no header with a version)")
    events: list[CastEvent] = []
    clock = 0.0
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        try:
            t, kind, data = loads(line)
            t = float(t)
        except (json.JSONDecodeError, ValueError, TypeError):
            if number == len(lines):
                break  # a recorder killed mid-write leaves a partial last line; everything before it stands
            raise IngestError(path, f"line {number}: not an asciinema event [time, code, data]") from None
        clock = clock + t if header["version"] == 3 else t  # v3 stores the interval since the previous event
        events.append(CastEvent(clock, str(kind), str(data)))
    start = header.get("timestamp")
    return Cast(float(start) if isinstance(start, (int, float)) else None, events)


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
    data = cast.read_bytes()
    # Inside the cast the JSON lines are themselves JSON-escaped strings.
    return b'\\"type\\":\\"assistant\\"' in data or b'"type":"assistant"' in data


class TypedCommand(NamedTuple):
    text: str
    first: int
    """Index of the event holding its first keystroke."""
    last: int
    """Index of the event that submitted it."""


def typed_commands(events: list[CastEvent]) -> list[TypedCommand]:
    """Commands typed into the recorded session: input up to each Enter, control keys as C-x."""
    commands: list[TypedCommand] = []
    buffer, first = "", None
    for index, event in enumerate(events):
        if event.kind != "i":
            continue
        for ch in _ANSI.sub("", event.data):  # arrow keys and other escape input carry no command text
            if first is None:
                first = index
            if ch == "\r":
                if buffer.strip():
                    commands.append(TypedCommand(buffer, first, index))
                buffer, first = "", None
            elif ch == "\x7f":
                buffer = buffer[:-1]
            elif ord(ch) < 32 and ch not in "\n\t":
                if buffer.strip():
                    commands.append(TypedCommand(buffer, first, index))
                commands.append(TypedCommand(f"C-{chr(ord(ch) + 96)}", index, index))
                buffer, first = "", None
            else:
                buffer += ch
    if buffer.strip():
        commands.append(TypedCommand(buffer, first if first is not None else len(events) - 1, len(events) - 1))
    if commands and commands[-1].text == "C-d":
        commands.pop()  # the harness ends the recording with C-d
    return commands


def _observation(events: list[CastEvent], command: TypedCommand, until: int) -> str:
    """Output shown after a command up to the next one, without the echoed command and the closing prompt."""
    text = terminal_text("".join(e.data for e in events[command.last + 1:until] if e.kind == "o"))
    lines = text.split("\n")
    typed_lines = command.text.count("\n") + 1
    head = command.text.split("\n", 1)[0][:20]
    if lines and head and head in lines[0]:
        lines = lines[typed_lines:]
    return _without_session_end("\n".join(lines)).strip("\n")


def commands_txt(path: Path) -> list[str]:
    """Commands of the agent session in a terminal-bench commands.txt (one Python list of keys per line)."""
    commands: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        try:
            keys = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            raise IngestError(path, f"line {number}: not a list of keys") from None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise IngestError(path, f"line {number}: not a list of keys")
        text = "".join(keys[:-1] if keys and keys[-1] == "Enter" else keys)
        if text.startswith("asciinema rec") and commands:
            break  # the harness starts the tests' recording: the agent session is over
        if not text.startswith("asciinema rec"):
            commands.append(text)
    return commands


def read_tb_results(trial: Path, builder: TraceBuilder) -> None:
    """Set outcome, task, times and per-test results of a terminal-bench trial from results.json and tests.log."""
    results_path = trial / "results.json"
    if not results_path.is_file():
        builder.set(outcome=Outcome.unknown, outcome_reason="the trial folder has no results.json")
        return
    data = read_json(results_path)
    if not isinstance(data, dict):
        raise IngestError(results_path, f"is {type(data).__name__}, not an object")
    resolved = data.get("is_resolved")
    if resolved is not None and not isinstance(resolved, bool):
        raise IngestError(results_path, f"'is_resolved' is {resolved!r}, not true, false or null")
    tests_log = trial / "sessions" / "tests.log"
    stdout = _without_session_end(terminal_text(tests_log.read_text(encoding="utf-8", errors="replace"))
                                  if tests_log.is_file() else "")
    tokens = {k: v for k, v in (("prompt_tokens", data.get("total_input_tokens")),
                                ("completion_tokens", data.get("total_output_tokens"))) if isinstance(v, int) and v}
    builder.set(task_id=_text(data, "task_id", results_path), task_text=_text(data, "instruction", results_path),
                started_at_ms=iso_to_ms(data.get("trial_started_at")),
                ended_at_ms=iso_to_ms(data.get("trial_ended_at")), verifier_output=stdout.strip()[-4000:] or None,
                **tokens)
    tests = data.get("parser_results") or {}
    if not isinstance(tests, dict):
        raise IngestError(results_path, f"'parser_results' is {type(tests).__name__}, not an object")
    for name, status in tests.items():
        message = _failure_line(stdout, name)
        builder.add_test(name, str(status), message=message, files=paths_in(message) if message else None)
    if data.get("failure_mode") == "agent_timeout":
        builder.session.timeout = "results.json failure_mode agent_timeout"
    outcome, reason = _tb_outcome(resolved, data.get("failure_mode"), stdout)
    builder.set(outcome=outcome, outcome_reason=reason, reward=None if resolved is None else float(resolved))


def _without_session_end(text: str) -> str:
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


def _failure_line(stdout: str, test: str) -> str | None:
    m = re.search(rf"^FAILED \S*::{re.escape(test)}\b(?: - )?(.*)$", stdout, re.MULTILINE)
    if m is None:
        return None
    return m.group(1).strip() or None


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


def _has_mini_swe_agent_steps(trial: Path) -> bool:
    # Imported here: mini_swe_agent imports this module's helpers, so a top-level import would be circular.
    from tracegraph.ingest.mini_swe_agent import has_mini_swe_agent_steps

    return has_mini_swe_agent_steps(trial)


class TerminalRecordingParser:
    """Fallback for terminal-bench trials whose agent left no structured log, only sessions/agent.cast."""

    name = "terminal"
    recognises = ("terminal-bench trial folders with only a terminal recording (sessions/agent.cast): "
                  "one step per command typed into the session")

    def detect(self, path: Path) -> bool:
        cast = path / "sessions" / "agent.cast"
        if not path.is_dir() or not cast.is_file():
            return False
        return not _has_mini_swe_agent_steps(path) and not cast_has_claude_stream_json(cast)

    def parse(self, path: Path) -> Iterator[RunTrace]:
        yield parse_terminal_trial(path)


def parse_terminal_trial(trial: Path) -> RunTrace:
    """A trial as the commands typed into its recorded terminal, each with the output it showed.

    The harness's own commands are not agent steps: when the session sets up an installed agent (scripts under
    `/installed-agent/`) and launches it, every typed command is the harness's, and the launch line with what the
    session printed after it becomes evidence for triage instead.
    """
    cast_path = trial / "sessions" / "agent.cast"
    files = [p for p in (cast_path, trial / "results.json", trial / "commands.txt") if p.is_file()]
    builder = TraceBuilder(framework="terminal", source=trial, name=trial.name, content_hash=hash_files(files),
                           fidelity="terminal")
    cast = read_cast(cast_path)
    commands = typed_commands(cast.events)
    if commands:
        launch = installed_agent_launch([c.text for c in commands])
        if launch is not None:
            _note_launch(builder, cast, commands, launch)
        else:
            for number, command in enumerate(commands):
                until = commands[number + 1].first if number + 1 < len(commands) else len(cast.events)
                when = cast.events[command.first].time
                _add_command(builder, command.text, _observation(cast.events, command, until),
                             int((cast.start + when) * 1000) if cast.start is not None else None)
    elif (trial / "commands.txt").is_file():
        # Recorded without --stdin: the commands are known, what each printed cannot be told apart.
        typed = commands_txt(trial / "commands.txt")
        launch = installed_agent_launch(typed)
        if launch is not None:
            builder.session.launch = typed[launch].replace(_HARNESS_WAIT, "")
        else:
            for text in typed:
                _add_command(builder, text, "", None)
    builder.session.sources = ["sessions/agent.cast"]
    read_tb_results(trial, builder)
    return builder.build()


def installed_agent_launch(commands: list[str]) -> int | None:
    """Index of the command that started an installed agent (the one after its set-up scripts), if the session
    set one up; -1 when the set-up ran but nothing was launched."""
    setup = [i for i, text in enumerate(commands) if _INSTALLED_AGENT in text]
    if not setup:
        return None
    return setup[-1] + 1 if setup[-1] + 1 < len(commands) else -1


def _note_launch(builder: TraceBuilder, cast: Cast, commands: list[TypedCommand], launch: int) -> None:
    """The launch line, what the session printed after it and how long it ran, as triage evidence."""
    if launch < 0:
        return
    command = commands[launch]
    until = commands[launch + 1].first if launch + 1 < len(commands) else len(cast.events)
    builder.session.launch = command.text.replace(_HARNESS_WAIT, "")
    builder.session.launch_output = _observation(cast.events, command, until)
    end = cast.events[until - 1].time if until > command.last else cast.events[command.last].time
    builder.session.session_ms = int((end - cast.events[command.last].time) * 1000)


def _add_command(builder: TraceBuilder, text: str, observation: str, timestamp_ms: int | None) -> None:
    text = text.replace(_HARNESS_WAIT, "")
    builder.add_step("terminal", {"keystrokes": text}, observation=observation, timestamp_ms=timestamp_ms)
