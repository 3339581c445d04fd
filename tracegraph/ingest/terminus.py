"""Terminus 2 episode logs of terminal-bench trials: each keystroke command of a response is one step.

A trial folder holds agent-logs/episode-N/ with prompt.txt (what the model was shown: task and screen in episode
0, then the terminal output left by the previous batch) and response.txt (the model's answer: analysis, plan,
commands [{keystrokes, duration}], task_complete; JSON, or XML for the xml parser). A command's observation is
therefore in the next episode's prompt.txt. Terminus 2's own ATIF trajectories go through the harbor-atif parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.terminal_bench import read_tb_results
from tracegraph.schema import Outcome, RunTrace

_EPISODE = re.compile(r"episode-(\d+)$")
# Wrappers Terminus puts around the terminal output in a follow-up prompt (terminus_2.py, tmux_session.py).
_OUTPUT_PREFIXES = ("Current terminal state:\n", "New Terminal Output:\n", "Current Terminal Screen:\n")
_CONFIRMATION = "\n\nAre you sure you want to mark the task as complete?"
_XML_KEYSTROKES = re.compile(r"<keystrokes(?:\s+duration=\"([\d.]+)\")?\s*>(.*?)</keystrokes>", re.DOTALL)


@dataclass
class TerminusResponse:
    """One parsed response.txt."""

    analysis: str
    plan: str
    commands: list[tuple[str, float]]
    task_complete: bool


class TerminusParser:
    name = "terminus"
    recognises = "terminal-bench trial folders with Terminus agent-logs/episode-N/{prompt,response}.txt"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and any((d / "response.txt").is_file() for d in _episode_dirs(path))

    def parse(self, path: Path) -> Iterator[RunTrace]:
        yield parse_terminus_trial(path)


def parse_terminus_trial(trial: Path) -> RunTrace:
    """A terminal-bench trial folder run by Terminus: steps from its episodes, outcome from results.json."""
    episodes = _episode_dirs(trial)
    if not episodes:
        raise IngestError(trial, "no agent-logs/episode-N folders")
    files = [f for d in episodes for f in (d / "prompt.txt", d / "response.txt") if f.is_file()]
    files += [f for f in (trial / "results.json",) if f.is_file()]
    builder = TraceBuilder(framework="terminus", source=trial, name=trial.name, content_hash=hash_files(files))
    builder.set(agent="terminus", model=_model_of(episodes), task_text=_task_text(episodes[0] / "prompt.txt"))
    last_thought = None
    for index, episode in enumerate(episodes):
        response_file = episode / "response.txt"
        if not response_file.is_file():
            continue  # the run stopped while waiting for the model
        response = parse_terminus_response(response_file.read_text(encoding="utf-8", errors="replace"))
        next_prompt = _read(episodes[index + 1] / "prompt.txt") if index + 1 < len(episodes) else None
        # Terminus executes nothing from a response it cannot parse and says so in the next prompt.
        if response is None or (next_prompt or "").startswith("Previous response had parsing errors"):
            continue
        thought = "\n".join(part for part in (f"Analysis: {response.analysis}" if response.analysis else "",
                                              f"Plan: {response.plan}" if response.plan else "") if part) or None
        last_thought = thought or last_thought
        keys = [k for k, _ in response.commands]
        outputs = split_batch_output(terminal_output(next_prompt or ""), keys)
        number = _EPISODE.search(episode.name).group(1)
        for j, ((keystrokes, duration), output) in enumerate(zip(response.commands, outputs), start=1):
            builder.add_step("terminal", {"keystrokes": keystrokes, "duration": duration}, thought=thought,
                             observation=output, call_id=f"call_{number}_{j}")
    builder.set(final_message=last_thought)
    read_tb_results(trial, builder)
    if not builder.steps and builder.run_fields.get("outcome") in (None, Outcome.unknown):
        builder.set(outcome=Outcome.incomplete, outcome_reason="no command was ever executed")
    return builder.build()


def parse_terminus_response(text: str) -> TerminusResponse | None:
    """The analysis, plan and commands of a Terminus response (JSON or XML); None when it cannot be read."""
    if "<response>" in text or "<commands>" in text:
        commands = [(keys, float(duration or 1.0)) for duration, keys in _XML_KEYSTROKES.findall(text)]
        return TerminusResponse(_xml_field(text, "analysis"), _xml_field(text, "plan"), commands,
                                _xml_field(text, "task_complete").lower() == "true")
    # Terminus tolerates text around the JSON object (with a warning), so read from the first { to the last }.
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start:end + 1]) if start >= 0 else None
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("commands", []), list):
        return None
    commands = [(str(c.get("keystrokes", "")), float(c.get("duration") or 1.0))
                for c in data.get("commands") or [] if isinstance(c, dict)]
    done = data.get("task_complete")
    return TerminusResponse(str(data.get("analysis") or ""), str(data.get("plan") or ""), commands,
                            done is True or str(done).lower() == "true")


def terminal_output(prompt: str) -> str:
    """The terminal output inside a follow-up prompt, without Terminus's warning and confirmation wrappers."""
    if prompt.startswith("Previous response had warnings:"):
        prompt = prompt.split("\n\n", 1)[1] if "\n\n" in prompt else ""
    for prefix in _OUTPUT_PREFIXES:
        if prompt.startswith(prefix):
            prompt = prompt[len(prefix):]
    return prompt.split(_CONFIRMATION)[0].lstrip("\n")


def split_batch_output(output: str, keystrokes: list[str]) -> list[str]:
    """Each command's share of the output its batch left, cut where the terminal echoes the next command.

    Terminus reads the terminal once per batch. When an echo cannot be found (special keys such as C-c, input to
    a running program, truncated output) the whole output goes to the batch's last command.
    """
    if not keystrokes:
        return []
    starts, position = [], 0
    for keys in keystrokes:
        echo = keys.strip().split("\n")[0].strip()
        at = output.find(echo, position) if len(echo) >= 3 else -1
        if at < 0:
            return [""] * (len(keystrokes) - 1) + [output]
        starts.append(output.rfind("\n", 0, at) + 1)
        position = at + len(echo)
    bounds = [0] + starts[1:] + [len(output)]
    return [output[a:b] for a, b in zip(bounds, bounds[1:])]


def _episode_dirs(trial: Path) -> list[Path]:
    logs = trial / "agent-logs"
    if not logs.is_dir():
        return []
    found = [(int(m.group(1)), d) for d in logs.iterdir() if d.is_dir() and (m := _EPISODE.search(d.name))]
    return [d for _, d in sorted(found)]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _xml_field(text: str, tag: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return m.group(1).strip() if m else ""


def _task_text(first_prompt: Path) -> str | None:
    text = _read(first_prompt) or ""
    m = re.search(r"Task Description:\n(.*?)\n\nCurrent terminal state:", text, re.DOTALL)
    return m.group(1).strip() if m else None


def _model_of(episodes: list[Path]) -> str | None:
    # debug.json is LiteLLM's record of the call; its "model" is the model Terminus asked for.
    for episode in episodes:
        debug = episode / "debug.json"
        if debug.is_file():
            try:
                model = json.loads(debug.read_text(encoding="utf-8", errors="replace")).get("model")
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(model, str):
                return model
    return None
