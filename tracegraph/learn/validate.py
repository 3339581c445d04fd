"""Check what a generated parser returned before anything of it loads: models, numbering, no invented content.

The JSON a parser returns for a file must fit `ParsedRun`; its steps must be numbered 1..N; every line of a command,
observation, thought or argument string must occur in the input (decoded, for JSON text); the step count must be
plausible (at least one step, at most one per record of the input); the RunTrace built from it must pass the
ingest's quality gate. Each failed check is one line that names the step, so it can go back to the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.semantics.shell import command_effects
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import RunTrace

MAX_PROBLEMS = 8
"""Problems reported per file (the first ones are what the model needs to fix)."""


class ParsedStep(BaseModel):
    """One agent tool call, as a generated parser returns it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    k: int
    """1-based position among the run's tool calls."""
    tool: str = Field(min_length=1)
    """Tool name as the log names it (e.g. shell, read_file, edit)."""
    arguments: dict[str, Any] = {}
    """The call's arguments as recorded."""
    command: str | None = None
    """The shell command text, for shell tool calls only."""
    observation: str = ""
    """The tool's output as recorded ("" when the log has none)."""
    is_error: bool | None = None
    """True/False when the log says whether the call failed; null when it does not."""
    exit_code: int | None = None
    """Exit code of a shell command, when recorded."""
    thought: str | None = None
    """What the agent said or reasoned just before the call, when recorded."""
    timestamp: str | None = None
    """ISO-8601 time of the call, when recorded."""


class ParsedRun(BaseModel):
    """One run: the steps in order and what the log says about the run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    steps: list[ParsedStep]
    task_text: str | None = None
    """The user's first request."""
    model: str | None = None
    """The LLM the agent used."""
    agent: str | None = None
    """Harness name and version."""
    final_message: str | None = None
    """The agent's last message."""


class InputText:
    """The text a parser's strings must come from: the file's lines, and every string a JSON document holds."""

    def __init__(self, path: Path) -> None:
        raw = path.read_text(encoding="utf-8", errors="replace")
        pieces = [raw]
        self.records = 0
        values = _json_values(raw)
        for value in values:
            self.records += _collect(value, pieces)
        if not values:
            self.records = sum(1 for line in raw.splitlines() if line.strip())
        self.text = "\n\0".join(_normal(p) for p in pieces)

    def has(self, text: str) -> bool:
        """True when every line of `text` occurs in the input (line ends and trailing blanks aside)."""
        return all(line.strip() in self.text for line in _normal(text).split("\n") if line.strip())


def _normal(text: str) -> str:
    return re.sub(r"[ \t]+\n", "\n", text.replace("\r\n", "\n").replace("\r", "\n"))


def _json_values(raw: str) -> list[Any]:
    try:
        return [json.loads(raw)]
    except (json.JSONDecodeError, ValueError):
        pass
    values = []
    for line in raw.splitlines():
        if line.strip().startswith(("{", "[")):
            try:
                values.append(json.loads(line))
            except (json.JSONDecodeError, ValueError):
                continue
    return values


def _collect(value: Any, pieces: list[str], depth: int = 0) -> int:
    """Add the strings of a JSON value (and of JSON text inside them) to `pieces`; returns its object count."""
    if depth > 50:
        return 0
    if isinstance(value, str):
        pieces.append(value)
        if value[:1] in "{[":
            try:
                return _collect(json.loads(value), pieces, depth + 1)
            except (json.JSONDecodeError, ValueError):
                return 0
        return 0
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            pieces.append(" ".join(value))  # an argv array reads as its words joined
        return sum(_collect(v, pieces, depth + 1) for v in value)
    if isinstance(value, dict):
        return 1 + sum(_collect(v, pieces, depth + 1) for v in value.values())
    return 0


def check_run(data: Any, source: InputText) -> tuple[ParsedRun | None, list[str]]:
    """The parsed run and the problems found in it (none: it may load)."""
    if not isinstance(data, dict):
        return None, [f"parse() returned {type(data).__name__}, not a JSON object with 'steps'"]
    try:
        run = ParsedRun.model_validate(data)
    except ValidationError as exc:
        return None, [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()[:MAX_PROBLEMS]]
    problems = []
    if not run.steps:
        problems.append("no steps: every run of this format holds tool calls")
    if len(run.steps) > max(source.records, 1):
        problems.append(f"{len(run.steps)} steps from {source.records} records: more steps than the input has "
                        "records")
    for i, step in enumerate(run.steps, 1):
        if step.k != i:
            problems.append(f"step {i}: k is {step.k}; steps are numbered 1..N in order")
        for field, text in _texts(step):
            if not source.has(text):
                problems.append(f"step {i}: {field} is not in the input ({_excerpt(text)}); copy text verbatim")
    for field in ("task_text", "final_message"):
        text = getattr(run, field)
        if text and not source.has(text):
            problems.append(f"{field} is not in the input ({_excerpt(text)})")
    return run, problems[:MAX_PROBLEMS]


def _texts(step: ParsedStep) -> list[tuple[str, str]]:
    out = [(f, getattr(step, f)) for f in ("command", "observation", "thought") if getattr(step, f)]
    out += [(f"arguments.{key}", text) for key, text in _strings(step.arguments, "")]
    return out


def _strings(value: Any, key: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(key, value)] if value.strip() else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{key}.{k}" if key else str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return []


def _excerpt(text: str) -> str:
    line = next((line for line in text.splitlines() if line.strip()), "")
    return repr(line[:80])


def build_trace(run: ParsedRun, path: Path, format_name: str, name: str | None = None) -> RunTrace:
    """The RunTrace of a checked run, built as every parser builds one."""
    builder = TraceBuilder(framework=f"learned:{format_name}", source=path, name=name or path.stem,
                           content_hash=hash_files([path]))
    builder.set(task_text=run.task_text, model=run.model, agent=run.agent, final_message=run.final_message,
                outcome_reason="read by a learned parser: the log records no verdict")
    for step in run.steps:
        builder.add_step(step.tool, step.arguments, command=step.command,
                         effects=command_effects(step.command) if step.command else None,
                         observation=step.observation, is_error=step.is_error, exit_code=step.exit_code,
                         thought=step.thought, timestamp_ms=iso_to_ms(step.timestamp))
    return builder.build()


def quality_problems(trace: RunTrace) -> list[str]:
    """What the ingest's quality gate says of the run (empty when it passes)."""
    from tracegraph.ingest.quality import check_batch

    return [f"quality gate: {issue}" for issue in check_batch([trace]).get(trace.run_id, [])]
