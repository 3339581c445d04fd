"""mini-SWE-agent runs: .traj.json trajectories and terminal-bench 1 trial folders (agent.log step blocks).

Step k is the k-th bash action mini-SWE-agent ran. A reply with no code block or several is a format error the
agent never ran, so it is no step, like agent text without a tool call in other formats.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.harbor_outcome import read_json
from tracegraph.ingest.terminal_bench import (
    MINI_SWE_AGENT_STEP_HEADER,
    Cast,
    has_mini_swe_agent_steps,
    read_cast,
    read_tb_results,
    terminal_text,
)
from tracegraph.schema import Outcome, RunTrace

# v1 asks for ```bash blocks, v2 for ```mswea_bash_command (so prompt examples are not taken as actions).
_ACTION = re.compile(r"```(?:bash|mswea_bash_command)[ \t]*\r?\n(.*?)\r?\n```", re.DOTALL)
_RETURNCODE = re.compile(r"<returncode>(-?\d+)</returncode>")
_TIMED_OUT = "timed out and has been killed"
_USER_LINE = re.compile(r"User:(?<=^User:)[ \t]*$", re.MULTILINE)  # `^User:`, literal first (see _MODEL_OPTION)
# What closes an observation in the log: the rule before the next query, the trajectory save, a shell prompt.
_OBSERVATION_END = re.compile(r"^(?:─{40,}|Saved trajectory to |[\w.-]+@[\w.-]+:\S*[#$] ?$)", re.MULTILINE)
# The command line that started the agent. `mini(?<!\wmini)` is `\bmini` with the literal first, so the engine
# jumps between occurrences of "mini" instead of trying every position of a long log.
_MODEL_OPTION = re.compile(r"mini(?<!\wmini) (?:.* )?(?:-m|--model) (\S+)")
_SPINNER = re.compile(r"[\u2800-\u28ff] Waiting for the LM to respond\.*")
# LiteLLM logs (with tracebacks) from another thread land anywhere in the output, mostly inside observations.
_LOG_NOISE = re.compile(
    r"^\d\d:\d\d:\d\d - LiteLLM[^\n]*\n"
    r"(?:Traceback \(most recent call last\):\n(?:[ \t][^\n]*\n)*[A-Za-z_][\w.]*(?::[^\n]*)?\n"
    r"(?:\n?(?:During handling of the above exception, another exception occurred:|"
    r"The above exception was the direct cause of the following exception:)\n\n?)?)*",
    re.MULTILINE,
)


def _is_traj_json(path: Path) -> bool:
    if not path.name.endswith(".traj.json"):
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096)
    start = head.lstrip()[:1]
    if start == b"[":
        return b'"role"' in head
    return start == b"{" and any(k in head for k in (b'"messages"', b'"info"', b'"trajectory_format"'))


class MiniSweAgentParser:
    """mini-SWE-agent trajectories and the terminal-bench trials it ran in."""

    name = "mini-swe-agent"
    recognises = ("mini-SWE-agent .traj.json trajectories (legacy message list or info/messages) and terminal-bench "
                  "trial folders whose agent.log shows `mini-swe-agent (step N, $cost):` blocks")

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return _is_traj_json(path)
        return path.is_dir() and has_mini_swe_agent_steps(path)

    def parse(self, path: Path) -> Iterator[RunTrace]:
        yield parse_traj_json(path) if path.is_file() else parse_mini_trial(path)


# --- .traj.json -------------------------------------------------------------------------------------------------

def parse_traj_json(path: Path) -> RunTrace:
    """A .traj.json trajectory: the legacy list of messages, or the info/messages/trajectory_format object."""
    data = read_json(path)
    if isinstance(data, list):
        messages, info = data, {}
    elif isinstance(data, dict):
        messages, info = data.get("messages"), data.get("info")
        info = {} if info is None else info
    else:
        raise IngestError(path, f"is {type(data).__name__}, not a message list or trajectory object")
    if not isinstance(messages, list):
        raise IngestError(path, f"'messages' is {type(messages).__name__}, not a list")
    if not isinstance(info, dict):
        raise IngestError(path, f"'info' is {type(info).__name__}, not an object")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise IngestError(path, f"message {index} is not an object with a role")
    name = path.name.removesuffix(".json").removesuffix(".traj")
    builder = TraceBuilder(framework="mini-swe-agent", source=path, name=name, content_hash=hash_files([path]))
    _fill_from_messages(builder, messages, path)
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    version = info.get("mini_version")
    builder.set(model=model.get("model_name"), agent=f"mini-swe-agent {version}" if version else "mini-swe-agent",
                task_id=data.get("instance_id") if isinstance(data, dict) else None)
    outcome, reason = _traj_outcome(info)
    builder.set(outcome=outcome, outcome_reason=reason)
    return builder.build()


def _fill_from_messages(builder: TraceBuilder, messages: list[dict], path: Path) -> None:
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "user" and "task_text" not in builder.run_fields:
            builder.set(task_text=_content(message) or None)
        if role != "assistant":
            continue
        text = _content(message)
        builder.set(final_message=text or None)
        following = list(itertools.takewhile(lambda m: m["role"] != "assistant", messages[index + 1:]))
        calls = message.get("tool_calls")
        if calls:
            if not isinstance(calls, list):
                raise IngestError(path, f"message {index}: 'tool_calls' is not a list")
            _add_tool_calls(builder, calls, text, following, path, index)
            continue
        replies = [m for m in following if m["role"] == "user"]
        block = _ACTION.search(text)
        thought = text[:block.start()] if block else text
        for number, command in enumerate(_commands_of(message, text)):
            reply = replies[number] if number < len(replies) else None
            _add_bash_step(builder, "bash", {"command": command}, thought.strip(), *_observed(reply))


def _commands_of(message: dict, text: str) -> list[str]:
    """The commands mini-SWE-agent ran for one reply: v2 keeps them in extra.actions, v1 only in the text."""
    actions = (message.get("extra") or {}).get("actions") if isinstance(message.get("extra"), dict) else None
    if isinstance(actions, list):
        return [a["command"] for a in actions if isinstance(a, dict) and isinstance(a.get("command"), str)]
    found = _ACTION.findall(text)
    return found if len(found) == 1 else []


def _add_tool_calls(builder: TraceBuilder, calls: list, text: str, following: list[dict], path: Path,
                    index: int) -> None:
    results = {m.get("tool_call_id"): m for m in following if m["role"] == "tool"}
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise IngestError(path, f"message {index}: tool call without a function")
        args = function.get("arguments")
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                args = {"input": args}
        _add_bash_step(builder, str(function.get("name") or "bash"), args if isinstance(args, dict) else {},
                       text.strip(), *_observed(results.get(call.get("id"))), call_id=call.get("id"))


def _observed(reply: dict | None) -> tuple[str, int | None]:
    """Observation text and exit code of the message answering an action (v2 keeps the code in extra)."""
    if reply is None:
        return "", None
    observation = _content(reply)
    extra = reply.get("extra") if isinstance(reply.get("extra"), dict) else {}
    code = extra.get("returncode")
    return observation, code if isinstance(code, int) else _returncode(observation)


def _add_bash_step(builder: TraceBuilder, tool: str, args: dict, thought: str | None, observation: str,
                   exit_code: int | None, *, call_id: str | None = None, timestamp_ms: int | None = None) -> None:
    builder.add_step(tool, args, thought=thought or None, observation=observation, exit_code=exit_code,
                     is_error=True if _TIMED_OUT in observation else None, call_id=call_id,
                     timestamp_ms=timestamp_ms)


def _content(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # v2 multimodal messages hold a list of parts
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return content if isinstance(content, str) else ""


def _returncode(observation: str) -> int | None:
    m = _RETURNCODE.search(observation[:200])
    return int(m.group(1)) if m else None


def _traj_outcome(info: dict) -> tuple[Outcome, str]:
    status = info.get("exit_status")
    if not status:
        return Outcome.unknown, "no exit status recorded"
    if str(status).lower() == "submitted":
        what = "a submission" if info.get("submission") else "an empty submission"
        return Outcome.unknown, f"exit_status Submitted with {what}; the trajectory holds no verifier result"
    # LimitsExceeded, a timeout or an exception name: the agent stopped before submitting.
    return Outcome.incomplete, f"exit_status {status}"


# --- terminal-bench trial folders -------------------------------------------------------------------------------

class LoggedStep(NamedTuple):
    number: int
    """mini-SWE-agent's own step counter (it counts format errors too, so it can run ahead of k)."""
    command: str
    thought: str
    observation: str


def parse_mini_trial(trial: Path) -> RunTrace:
    """A terminal-bench trial of mini-SWE-agent, read from the step blocks it printed to the terminal."""
    files = [p for p in (trial / "sessions" / "agent.log", trial / "sessions" / "agent.cast",
                         trial / "results.json") if p.is_file()]
    builder = TraceBuilder(framework="mini-swe-agent", source=trial, name=trial.name,
                           content_hash=hash_files(files), fidelity="terminal")
    cast_path = trial / "sessions" / "agent.cast"
    if (trial / "sessions" / "agent.log").is_file():
        text = _log_text(trial)
        # The steps come from the log; the recording only times their headers, so only its lines holding "step"
        # are read (not megabytes of output decoded for a few headers).
        started = _header_times(read_cast(cast_path, holding="step")) if cast_path.is_file() else {}
    else:
        cast = read_cast(cast_path)
        text = _log_text(trial, cast)
        started = _header_times(cast)
    for step in logged_steps(text):
        _add_bash_step(builder, "bash", {"command": step.command}, step.thought, step.observation,
                       _returncode(step.observation), timestamp_ms=started.get(step.number))
    version = re.search(r"This is mini-swe-agent version ([\w.+-]+?)\.?[ \t]*$", text, re.MULTILINE)
    model = _MODEL_OPTION.search(text)
    builder.set(agent=f"mini-swe-agent {version.group(1)}" if version else "mini-swe-agent",
                model=model.group(1).strip("'\"") if model else None)
    if builder.steps:
        builder.set(final_message=builder.steps[-1].thought)
    read_tb_results(trial, builder)
    return builder.build()


def _log_text(trial: Path, cast: Cast | None = None) -> str:
    log = trial / "sessions" / "agent.log"
    if log.is_file():
        return terminal_text(log.read_text(encoding="utf-8", errors="replace"))
    cast = cast or read_cast(trial / "sessions" / "agent.cast")
    return terminal_text("".join(e.data for e in cast.events if e.kind == "o"))


def logged_steps(text: str) -> list[LoggedStep]:
    """The executed actions in mini-SWE-agent's terminal output, each with the observation printed after it."""
    text = _without_log_noise(_SPINNER.sub("", text))
    headers = list(MINI_SWE_AGENT_STEP_HEADER.finditer(text))
    steps = []
    for i, header in enumerate(headers):
        block = text[header.end():headers[i + 1].start() if i + 1 < len(headers) else len(text)]
        user = _USER_LINE.search(block)
        reply = block[:user.start()] if user else block
        actions = list(_ACTION.finditer(reply))
        if len(actions) != 1:
            continue  # rejected as a format error, never run
        observation = ""
        if user:  # no User: block when the run was killed while the command ran
            rest = block[user.end():]
            end = _OBSERVATION_END.search(rest)
            observation = (rest[:end.start()] if end else rest).strip("\n")
        steps.append(LoggedStep(int(header.group(1)), actions[0].group(1),
                                reply[:actions[0].start()].strip(), observation))
    return steps


_LOG_NOISE_MARK = " - LiteLLM"
"""What every _LOG_NOISE match holds right after its 8-character time stamp."""


def _without_log_noise(text: str) -> str:
    """_LOG_NOISE.sub("", text), trying the pattern only where its mark is: it starts at a line start, which the
    engine cannot skip ahead to, so a sub tried every position of a long log. The same matches, taken left to right
    as sub takes them (each match starts 8 characters before a mark)."""
    kept, pos = [], 0
    mark = text.find(_LOG_NOISE_MARK)
    while mark != -1:
        start = mark - 8
        match = _LOG_NOISE.match(text, start) if start >= pos else None
        if match:
            kept.append(text[pos:start])
            pos = match.end()
        mark = text.find(_LOG_NOISE_MARK, mark + 1)
    kept.append(text[pos:])
    return "".join(kept)


def _header_times(cast: Cast) -> dict[int, int]:
    """Epoch ms at which each `mini-swe-agent (step N` header appeared in the recording."""
    if cast.start is None:
        return {}
    times: dict[int, int] = {}
    for event in cast.events:
        if event.kind == "o" and "step" in event.data:
            for m in re.finditer(r"mini-swe-agent \(step (\d+),", terminal_text(event.data)):
                times.setdefault(int(m.group(1)), int((cast.start + event.time) * 1000))
    return times
