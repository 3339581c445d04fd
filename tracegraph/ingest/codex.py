"""OpenAI Codex CLI / IDE-extension rollout files (`rollout-*.jsonl`): one step per model tool call.

Each line is `{timestamp, type, payload}`. Step k is the k-th tool call among the `response_item` lines (function,
custom, local-shell, tool-search, web-search and image-generation calls), paired with its output by `call_id`. The
`event_msg` lines repeat the same calls for the UI (exec_command_end, mcp_tool_call_end, ...), so they add no step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.jsontext import jsonl_objects
from tracegraph.semantics.shell import CommandEffect, command_effects
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import DeltaOp, RunTrace

_CALLS = {"function_call", "custom_tool_call", "local_shell_call", "tool_search_call", "web_search_call",
          "image_generation_call"}
_OUTPUTS = {"function_call_output", "custom_tool_call_output", "tool_search_output"}
_SHELL_WRAPPER = re.compile(r"^(?:ba|z)?sh$")
_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.MULTILINE)
_PATCH_OPS = {"Add": DeltaOp.create, "Update": DeltaOp.modify, "Delete": DeltaOp.delete}


class CodexRolloutParser:
    name = "codex"
    recognises = "OpenAI Codex CLI / IDE-extension rollout .jsonl files (session_meta, response_item, event_msg)"

    def detect(self, path: Path) -> bool:
        if not (path.is_file() and path.suffix == ".jsonl"):
            return False
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = next((line for line in fh if line.strip()), "")
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            return False
        return isinstance(obj, dict) and obj.get("type") == "session_meta" and isinstance(obj.get("payload"), dict)

    def parse(self, path: Path) -> Iterator[RunTrace]:
        builder = TraceBuilder(framework=self.name, source=path, name=path.stem, content_hash=hash_files([path]))
        fill_from_rollout(builder, _read_lines(path), path)
        builder.set(outcome_reason="a rollout records no verdict")
        yield builder.build()


def _read_lines(path: Path) -> list[dict]:
    return list(jsonl_objects(path, path.read_text(encoding="utf-8", errors="replace")))


def fill_from_rollout(builder: TraceBuilder, lines: list[dict], path: Path) -> None:
    """Add the steps, model, task text and final message of a rollout's lines."""
    calls: list[tuple[dict, int | None, str | None]] = []
    outputs: dict[str, Any] = {}
    thoughts: list[str] = []
    last_said = None
    for obj in lines:
        kind, payload = obj.get("type"), obj.get("payload")
        if not isinstance(payload, dict):
            continue
        if kind == "session_meta" and builder.cwd is None:
            builder.cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
            version = payload.get("cli_version")
            builder.set(agent=f"codex {version}" if isinstance(version, str) else "codex")
        elif kind == "turn_context" and isinstance(payload.get("model"), str):
            builder.set(model=payload["model"])
        elif kind == "event_msg" and payload.get("type") == "user_message":
            if builder.run_fields.get("task_text") is None and isinstance(payload.get("message"), str):
                builder.set(task_text=payload["message"])
        elif kind == "response_item":
            item = payload.get("type")
            if item in _CALLS:
                calls.append((payload, iso_to_ms(obj.get("timestamp")), "\n".join(thoughts) or None))
                thoughts = []
            elif item in _OUTPUTS and payload.get("call_id"):
                outputs[payload["call_id"]] = payload.get("output", payload.get("tools"))
            elif item == "reasoning":
                thoughts += [s.get("text") for s in payload.get("summary") or []
                             if isinstance(s, dict) and isinstance(s.get("text"), str)]
            elif item == "message" and payload.get("role") == "assistant":
                said = _content_text(payload.get("content"))
                if said:
                    thoughts.append(said)
                    last_said = said
    if not lines or lines[0].get("type") != "session_meta":
        raise IngestError(path, "not a Codex rollout (the first line is not session_meta)")
    for payload, stamp, thought in calls:
        _add_call(builder, payload, outputs.get(payload.get("call_id")), stamp, thought)
    builder.set(final_message=last_said)


def _add_call(builder: TraceBuilder, payload: dict, output: Any, stamp: int | None, thought: str | None) -> None:
    item = payload["type"]
    name = payload.get("name") if isinstance(payload.get("name"), str) else item.removesuffix("_call")
    raw = payload.get("arguments", payload.get("input", payload.get("action")))
    args = _arguments(raw)
    observation, exit_code = _output_text(output)
    command, effects = None, None
    argv = args.get("command") if "command" in args else args.get("cmd")
    if isinstance(argv, list | str) and (name in ("shell", "exec_command", "local_shell") or item == "local_shell_call"):
        command = _command_text(argv)
        effects = command_effects(command)
    elif name == "apply_patch" and isinstance(raw, str):
        effects = [CommandEffect(_PATCH_OPS[op], p.strip()) for op, p in _PATCH_FILE.findall(raw)] or None
    # A recorded exit code decides failure; output that merely mentions an error (a file shown) is not one.
    is_error = exit_code != 0 if exit_code is not None else None
    builder.add_step(name, args, command=command, effects=effects, observation=observation, exit_code=exit_code,
                     is_error=is_error,
                     call_id=payload.get("call_id"), timestamp_ms=stamp, thought=thought)


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return {"input": raw}  # apply_patch sends its patch text as freeform input
        return value if isinstance(value, dict) else {"input": raw}
    return {}


def _command_text(argv: list | str) -> str:
    """The script of `bash -lc SCRIPT` (Codex wraps every command so), else the argv joined."""
    if isinstance(argv, str):
        return argv
    words = [str(w) for w in argv]
    if len(words) == 3 and _SHELL_WRAPPER.match(Path(words[0]).name) and words[1] in ("-lc", "-c"):
        return words[2]
    return " ".join(words)


def _output_text(output: Any) -> tuple[str, int | None]:
    """(text, exit code) of a call's output: a JSON string {output, metadata.exit_code}, plain text, or content."""
    if isinstance(output, str):
        try:
            value = json.loads(output)
        except json.JSONDecodeError:
            return output, None
        if isinstance(value, dict) and "output" in value:
            code = (value.get("metadata") or {}).get("exit_code")
            return str(value["output"]), code if isinstance(code, int) else None
        return output, None
    if output is None:
        return "", None
    return _content_text(output) or json.dumps(output, ensure_ascii=False), None


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        return "\n".join(c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str))
    return ""
