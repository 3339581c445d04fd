"""Terminal-bench trials known only from a terminal recording: one step per command typed into the session
(what every terminal-bench trial parser shares is in terminal_bench.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.terminal_bench import (
    ANSI_ESCAPE,
    Cast,
    CastEvent,
    cast_has_claude_stream_json,
    has_mini_swe_agent_steps,
    read_cast,
    read_tb_results,
    terminal_text,
    without_session_end,
)
from tracegraph.schema import RunTrace

# terminal-bench appends this to each command it must wait for; it is harness plumbing, not the command.
_HARNESS_WAIT = "; tmux wait -S done"
# terminal-bench sets an installed agent up with scripts from this folder, then types one command to start it; the
# agent then works inside its own process, so nothing typed at the prompt is the agent's.
_INSTALLED_AGENT = "/installed-agent/"


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
        for ch in ANSI_ESCAPE.sub("", event.data):  # arrow keys and other escape input carry no command text
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
    return without_session_end("\n".join(lines)).strip("\n")


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


class TerminalRecordingParser:
    """Fallback for terminal-bench trials whose agent left no structured log, only sessions/agent.cast."""

    name = "terminal"
    recognises = ("terminal-bench trial folders with only a terminal recording (sessions/agent.cast): "
                  "one step per command typed into the session")

    def detect(self, path: Path) -> bool:
        cast = path / "sessions" / "agent.cast"
        if not path.is_dir() or not cast.is_file():
            return False
        return not has_mini_swe_agent_steps(path) and not cast_has_claude_stream_json(cast)

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
