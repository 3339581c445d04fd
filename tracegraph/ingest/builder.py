"""TraceBuilder: the one way parsers turn what they read into a RunTrace with canonical step numbers and ids."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from pathlib import Path
from typing import Any

from tracegraph.semantics.shell import CommandEffect, is_noop_command, noop_intent
from tracegraph.semantics.tools import tool_effects
from tracegraph.ingest.triage import SessionEvidence, triage_run
from tracegraph.ingest.revision import reader_revision
from tracegraph.schema import (
    DeltaOp, Observation, Outcome, Run, RunTrace, StateDelta, Step, Task, TestCase, ToolCall,
)
from tracegraph.schema.keys import run_key

OBSERVATION_LIMIT = 4000
"""Characters of each tool result kept in the graph (the full size is kept in `size`)."""
SUMMARY_LIMIT = 600
THOUGHT_LIMIT = 2000
ARGUMENTS_LIMIT = 20000

_ERROR_PATTERNS = re.compile(
    r"Traceback \(most recent call last\)|command not found|No such file or directory|Permission denied|"
    r"^(?:E|Error|ERROR|error|fatal|FATAL)[: ]|Exception:|exit code [1-9]|Exit code [1-9]|"
    r"SyntaxError|ModuleNotFoundError|ImportError|segmentation fault|Segmentation fault|Killed$",
    re.MULTILINE,
)


def looks_like_error(text: str) -> bool:
    """A tool result that reports a failure, judged from its text when the format gives no flag."""
    return bool(_ERROR_PATTERNS.search(text[:20000]))


_ARGUMENTS_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
"""json.dumps(value, ensure_ascii=False, default=str) without a new encoder made per call (two per step)."""


def hash_files(paths: list[Path]) -> str:
    """Content hash of a run's artifact files: the basis of its deterministic id."""
    h = hashlib.sha1()
    # Read into one buffer: a new bytes object per chunk cost a quarter of the hashing.
    buffer = bytearray(1 << 18)
    view = memoryview(buffer)
    for p in sorted(paths):
        h.update(p.name.encode())
        with open(p, "rb", buffering=0) as fh:
            while size := fh.readinto(buffer):
                h.update(view[:size])
    return h.hexdigest()


def hash_text(*parts: str) -> str:
    h = hashlib.sha1()
    for part in parts:
        h.update(part.encode("utf-8", "replace"))
        h.update(b"\0")
    return h.hexdigest()


def clip_text(text: str | None, limit: int) -> str | None:
    """The text cut to `limit` characters, saying how many more there were."""
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more chars]"


class TraceBuilder:
    """Collects steps, tests and run facts in order, then builds the RunTrace."""

    def __init__(self, *, framework: str, source: Path | str, name: str, content_hash: str,
                 fidelity: str = "structured", observation_limit: int = OBSERVATION_LIMIT) -> None:
        self.run_id = run_key(name, content_hash)
        self.framework = framework
        self.source = str(source)
        self.name = name
        self.content_hash = content_hash
        self.fidelity = fidelity
        self.observation_limit = observation_limit
        self.run_fields: dict[str, Any] = {}
        self.cwd: str | None = None
        self.steps: list[Step] = []
        self.calls: list[ToolCall] = []
        self.observations: list[Observation] = []
        self.deltas: list[StateDelta] = []
        self.tests: list[TestCase] = []
        self.test_files: dict[str, list[str]] = {}
        self.observation_full: dict[int, str] = {}
        self.clipped_full: dict[tuple[str, str], str] = {}
        self.session = SessionEvidence()
        """What the artifacts show of the agent's session besides its steps (read by triage)."""
        self._written: set[str] = set()
        self._test_ids: set[str] = set()

    def set(self, **fields: Any) -> None:
        """Set Run properties (outcome, model, task_id, tokens, ...); None values are ignored."""
        self.run_fields.update({k: v for k, v in fields.items() if v is not None})

    def add_step(self, tool: str, arguments: dict[str, Any] | str | None = None, *, action: str | None = None,
                 thought: str | None = None, observation: str | None = None, is_error: bool | None = None,
                 exit_code: int | None = None, timestamp_ms: int | None = None, call_id: str | None = None,
                 role: str | None = None, cwd: str | None = None,
                 effects: list[CommandEffect] | None = None, command: str | None = None) -> int:
        """Append the next canonical step; returns its number k. Deltas are inferred unless `effects` is given."""
        k = len(self.steps) + 1
        if not isinstance(tool, str):
            from tracegraph.errors import IngestError

            raise IngestError(self.source, f"step {k}: tool name is {type(tool).__name__}, not a string")
        args = arguments if isinstance(arguments, dict) else ({"input": arguments} if arguments else {})
        inferred_command, inferred = tool_effects(tool, args)
        command = command if command is not None else inferred_command
        effects = inferred if effects is None else effects
        if action is None:
            action = command if command is not None else _action_text(args)
        observation = observation or ""
        if exit_code is None:
            exit_code = _exit_code_in(observation)
        if is_error is None:
            is_error = (exit_code not in (None, 0)) or looks_like_error(observation)
        intent = None
        is_noop = bool(command is not None and is_noop_command(command))
        if is_noop and command:
            intent = noop_intent(command)
        if is_error and command is None and any(e.op != DeltaOp.read for e in effects):
            # A structured edit/write the tool rejected changed nothing; keep what it tried as the intent.
            intent = "; ".join(f"{e.op.value} {e.path or e.effect}" for e in effects if e.op != DeltaOp.read)
            effects = [e for e in effects if e.op == DeltaOp.read]
        sid = f"{self.run_id}#{k}"
        base_cwd = cwd or self.cwd
        self.steps.append(Step(
            id=sid, run_id=self.run_id, k=k, tool=tool, action=self._clip(sid, "action", action, THOUGHT_LIMIT) or "",
            command=self._clip(sid, "command", command, THOUGHT_LIMIT), call_id=call_id,
            thought=self._clip(sid, "thought", thought, THOUGHT_LIMIT),
            observation=clip_text(observation, SUMMARY_LIMIT), observation_size=len(observation),
            is_error=bool(is_error), exit_code=exit_code, timestamp_ms=timestamp_ms, role=role,
            is_noop=is_noop, intent=self._clip(sid, "intent", intent, 500),
        ))
        self.calls.append(ToolCall(
            id=f"{sid}/call", run_id=self.run_id, k=k, name=tool, call_id=call_id,
            arguments_json=self._clip(f"{sid}/call", "arguments_json",
                                      _ARGUMENTS_JSON.encode(args), ARGUMENTS_LIMIT)))
        self.observations.append(Observation(
            id=f"{sid}/obs", run_id=self.run_id, k=k, content=clip_text(observation, self.observation_limit) or "",
            size=len(observation), truncated=len(observation) > self.observation_limit, is_error=bool(is_error)))
        self.observation_full[k] = observation
        cmd_cwd = _cd_target(command) if command else None
        for i, eff in enumerate(effects):
            if eff.path and ("\n" in eff.path or len(eff.path) > 1024):
                continue  # a path holding file content is a malformed call, not a file
            path = normalize_path(eff.path, cmd_cwd or base_cwd) if eff.path else None
            op = eff.op
            if op == DeltaOp.create and path and path in self._written:
                op = DeltaOp.modify
            if path and op in (DeltaOp.create, DeltaOp.modify):
                self._written.add(path)
            self.deltas.append(StateDelta(id=f"{sid}/d{i}", run_id=self.run_id, k=k, op=op, path=path,
                                          effect=eff.effect))
        return k

    def add_test(self, name: str, status: str, message: str | None = None, files: list[str] | None = None) -> None:
        """Record one verifier check; `files` are paths it checks."""
        tid = f"{self.run_id}/test/{name}"
        if tid in self._test_ids:
            return
        self._test_ids.add(tid)
        self.tests.append(TestCase(id=tid, run_id=self.run_id, name=name, status=status,
                                   message=self._clip(tid, "message", message, 2000)))
        if files:
            self.test_files[name] = sorted(set(files))

    def build(self) -> RunTrace:
        """The finished RunTrace, triaged; the outcome defaults to unknown."""
        fields = dict(self.run_fields)
        fields.setdefault("outcome", Outcome.unknown)
        for key in ("verifier_output", "task_text", "final_message"):
            if fields.get(key):
                fields[key] = self._clip(self.run_id, key, fields[key], 4000 if key != "final_message" else 2000)
        run = Run(id=self.run_id, run_id=self.run_id, name=self.name, framework=self.framework, source=self.source,
                  fidelity=self.fidelity, content_hash=self.content_hash, reader_revision=reader_revision(),
                  step_count=len(self.steps), **fields)
        task = Task(id=run.task_id, name=run.task_id) if run.task_id else None
        trace = RunTrace(run=run, task=task, steps=self.steps, tool_calls=self.calls, observations=self.observations,
                         deltas=self.deltas, tests=self.tests, test_files=self.test_files,
                         observation_full=self.observation_full, clipped_full=self.clipped_full)
        verdict, reason = triage_run(trace, self.session)
        run.triage, run.triage_reason = verdict, self._clip(self.run_id, "triage_reason", reason, 500)
        return trace

    def _clip(self, node_id: str, field: str, text: str | None, limit: int) -> str | None:
        """`clip_text`, keeping the whole text of a cut one so redaction can mask a secret the cut splits."""
        clipped = clip_text(text, limit)
        if clipped is not text and text is not None:
            self.clipped_full[(node_id, field)] = text
        return clipped


def _action_text(args: dict[str, Any]) -> str:
    if not args:
        return ""
    if len(args) == 1:
        value = next(iter(args.values()))
        return value if isinstance(value, str) else _ARGUMENTS_JSON.encode(value)
    return _ARGUMENTS_JSON.encode(args)


_EXIT = re.compile(r"(?:exit code|Exit code|exit status|exited with code|returncode)[:= ]+(-?\d+)")


def _exit_code_in(observation: str) -> int | None:
    tail = observation[-2000:]
    # Every phrase of _EXIT holds "xit" or is "returncode": without them the regex, which starts a try at every
    # "e", "E" and "r" of the text, cannot match (3x faster over the fixtures' observations).
    if "xit" not in tail and "returncode" not in tail:
        return None
    m = _EXIT.search(tail)
    return int(m.group(1)) if m else None


def _cd_target(command: str) -> str | None:
    m = re.match(r"\s*cd\s+([^\s;&|]+)", command)
    return m.group(1) if m and m.group(1).startswith("/") else None


def normalize_path(path: str, cwd: str | None) -> str:
    """Absolute, normalised form of a path as the agent saw it, relative ones joined to the working dir."""
    path = path.strip().strip("'\"")
    if path.startswith("~"):
        return path
    if not path.startswith("/") and cwd:
        path = posixpath.join(cwd, path)
    return posixpath.normpath(path) if path else path
