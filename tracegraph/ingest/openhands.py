"""OpenHands V0 event histories: evaluation output.jsonl (one run per line) and saved event-list .json files.

Step k is the k-th action the agent took as a tool call: run, run_ipython, read, edit, browse, think, finish,
... Agent messages, the system prompt and recalls are text, not steps. An agent error observation that no action
caused is the model's tool call OpenHands rejected before running it (bad arguments, unknown tool); it cost the
agent an iteration, so it is a step too (with it, a run stopped at max_iterations has exactly that many steps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files, hash_text
from tracegraph.ingest.harbor_outcome import read_json
from tracegraph.ingest.jsontext import loads
from tracegraph.semantics.shell import CommandEffect
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import Outcome, RunTrace
from tracegraph.schema.nodes import DeltaOp

# Actions that are conversation or bookkeeping, never a tool call (unless tool_call_metadata says otherwise).
_NOT_TOOL_ACTIONS = {"system", "message", "recall", "condensation", "change_agent_state", "null"}
# The tool each action type comes from, for events saved without tool_call_metadata.
_TOOL_OF_ACTION = {"run": "execute_bash", "run_ipython": "execute_ipython_cell", "read": "str_replace_editor",
                   "edit": "str_replace_editor", "browse": "browser", "browse_interactive": "browser"}
# Arguments that describe how OpenHands ran a call, not what the agent asked for.
_BOOKKEEPING_ARGS = {"thought", "impl_source", "confirmation_state", "security_risk", "hidden", "is_static",
                     "blocking", "is_input", "translated_ipython_code"}
_EDITOR_COMMAND = re.compile(r"""['"]command['"]\s*:\s*['"](\w+)['"]""")


class OpenHandsParser:
    """OpenHands runs from evaluation output.jsonl files and saved event lists."""

    name = "openhands"
    recognises = "OpenHands output.jsonl (instance_id + history per line) and .json event lists (action/observation)"

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        if path.suffix == ".jsonl":
            with open(path, "rb") as fh:
                first = fh.readline()
            return first.lstrip().startswith(b"{") and b'"history"' in first and b'"instance_id"' in first
        if path.suffix == ".json":
            with open(path, "rb") as fh:
                head = fh.read(65536)
            return (head.lstrip().startswith(b"[") and b'"source"' in head
                    and (b'"action"' in head or b'"observation"' in head))
        return False

    def parse(self, path: Path) -> Iterator[RunTrace]:
        if path.suffix == ".jsonl":
            yield from parse_output_jsonl(path)
            return
        events = read_json(path)
        if not isinstance(events, list):
            raise IngestError(path, f"is {type(events).__name__}, not a list of events")
        builder = TraceBuilder(framework=self.name, source=path, name=path.stem, content_hash=hash_files([path]))
        fill_from_events(builder, events, path)
        builder.set(outcome=Outcome.unknown, outcome_reason="an event list holds no evaluation result")
        yield builder.build()


def parse_output_jsonl(path: Path) -> Iterator[RunTrace]:
    """One run per line; a bad line fails only its run, reported after the good ones are yielded."""
    problems: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield _parse_record(line, number, path)
            except IngestError as exc:
                problems.append(exc.problem)
    if problems:
        raise IngestError(path, "; ".join(problems))


def _parse_record(line: str, number: int, path: Path) -> RunTrace:
    try:
        record = loads(line.strip())
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"line {number}: not valid JSON ({exc.msg}: column {exc.colno})") from None
    if not isinstance(record, dict):
        raise IngestError(path, f"line {number}: is {type(record).__name__}, not an object")
    history, instance_id = record.get("history"), record.get("instance_id")
    if not isinstance(history, list):
        raise IngestError(path, f"line {number}: 'history' is {type(history).__name__}, not a list")
    if not isinstance(instance_id, str) or not instance_id:
        raise IngestError(path, f"line {number}: 'instance_id' is missing or not text")
    builder = TraceBuilder(framework="openhands", source=path, name=instance_id, content_hash=hash_text(line))
    fill_from_events(builder, history, path, where=f"line {number}: ")
    metadata = _dict(record.get("metadata"))
    usage = _dict(_dict(record.get("metrics")).get("accumulated_token_usage"))
    builder.set(task_id=instance_id, model=_dict(metadata.get("llm_config")).get("model"),
                agent=metadata.get("agent_class"),
                prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"))
    if isinstance(record.get("instruction"), str):
        builder.set(task_text=record["instruction"])
    outcome, reason = _record_outcome(record, finished=any(s.tool == "finish" for s in builder.steps))
    builder.set(outcome=outcome, outcome_reason=reason)
    return builder.build()


def _record_outcome(record: dict, finished: bool) -> tuple[Outcome, str]:
    """solved/failed from an evaluation's `resolved`; otherwise what the agent left behind."""
    test_result = _dict(record.get("test_result"))
    report = _dict(test_result.get("report"))
    for source, holder in (("test_result.report", report), ("test_result", test_result), ("record", record)):
        if isinstance(holder.get("resolved"), bool):
            return (Outcome.solved, f"{source}.resolved true") if holder["resolved"] else (
                Outcome.failed, f"{source}.resolved false")
    error = record.get("error")
    if error:
        return Outcome.incomplete, f"agent stopped: {str(error)[:200]}"
    patch = "a patch" if test_result.get("git_patch") else "no patch"
    if not finished:
        return Outcome.incomplete, f"the agent never called finish; {patch}, not evaluated in this file"
    return Outcome.unknown, f"finished with {patch}, not evaluated in this file"


def fill_from_events(builder: TraceBuilder, events: list, path: Path, where: str = "") -> None:
    """Add the steps, task text and final message of an OpenHands V0 event list to the builder."""
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise IngestError(path, f"{where}event {index} is {type(event).__name__}, not an object")
    caused = {e["cause"]: e for e in events if "observation" in e and isinstance(e.get("cause"), (int, str))}
    times = [t for t in (iso_to_ms(e.get("timestamp")) for e in events) if t is not None]
    if times:
        builder.set(started_at_ms=min(times), ended_at_ms=max(times))
    for index, event in enumerate(events):
        source, action = event.get("source"), event.get("action")
        args = event.get("args") if event.get("args") is not None else {}
        if not isinstance(args, dict):
            raise IngestError(path, f"{where}event {event.get('id', index)}: 'args' is not an object")
        if source == "user" and action == "message" and "task_text" not in builder.run_fields:
            builder.set(task_text=_text(args.get("content")) or _text(event.get("message")) or None)
        if source != "agent":
            continue
        if action is not None:
            if action == "message":
                builder.set(final_message=_text(args.get("content")) or _text(event.get("message")) or None)
            if action not in _NOT_TOOL_ACTIONS or event.get("tool_call_metadata"):
                _add_action(builder, event, args, caused.get(event.get("id")))
        elif event.get("observation") == "error" and event.get("cause") is None:
            builder.add_step("invalid_tool_call", {}, observation=_text(event.get("content")), is_error=True,
                             effects=[], timestamp_ms=iso_to_ms(event.get("timestamp")))


def _add_action(builder: TraceBuilder, event: dict, args: dict, result: dict | None) -> None:
    action = str(event["action"])
    meta = _dict(event.get("tool_call_metadata"))
    tool = meta.get("function_name") or _TOOL_OF_ACTION.get(action, action)
    extras = _dict(result.get("extras")) if result else {}
    run_meta = _dict(extras.get("metadata"))  # newer runs nest exit code and working dir here
    exit_code = run_meta.get("exit_code", extras.get("exit_code"))
    exit_code = exit_code if isinstance(exit_code, int) else None
    content = _text(result.get("content")) if result else ""
    effects = [_edit_effect(args, extras)] if action == "edit" and isinstance(args.get("path"), str) else None
    if action == "finish":
        builder.set(final_message=_text(args.get("final_thought")) or _text(args.get("thought"))
                    or _text(event.get("message")) or None)
    # think's only argument is the thought; for every other action it is the model's text around the call.
    hidden = _BOOKKEEPING_ARGS - {"thought"} if action == "think" else _BOOKKEEPING_ARGS
    builder.add_step(
        tool, {k: v for k, v in args.items() if k not in hidden and v is not None},
        thought=_text(args.get("thought")) or None, observation=content, exit_code=exit_code,
        is_error=_is_error(result, content, exit_code), call_id=meta.get("tool_call_id"),
        timestamp_ms=iso_to_ms(event.get("timestamp")), cwd=_text(run_meta.get("working_dir")) or None,
        effects=effects,
    )


def _is_error(result: dict | None, content: str, exit_code: int | None) -> bool | None:
    """The failure OpenHands itself reports; None leaves other observations to the builder's text check."""
    if result is None:
        return None
    if result.get("observation") == "error":
        return True
    if exit_code is not None:
        return exit_code != 0
    if result.get("observation") in ("read", "edit", "write"):
        # The editor reports a refused call as ERROR:; the file text it shows may say anything.
        return content.lstrip().startswith("ERROR:")
    return None


def _edit_effect(args: dict, extras: dict) -> CommandEffect:
    """create or modify on the edited path: from the editor command, else whether the file existed before."""
    command = args.get("command")
    if not command:  # older events keep the editor call only as translated Python
        found = _EDITOR_COMMAND.search(str(args.get("translated_ipython_code") or ""))
        command = found.group(1) if found else None
    if command is None and extras.get("prev_exist") is False and extras.get("old_content") is None:
        command = "create"
    return CommandEffect(DeltaOp.create if command == "create" else DeltaOp.modify, args["path"])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
