"""Google Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/`): one step per tool call.

Two layouts: a single JSON object with a `messages` array (legacy), and JSONL whose first line is the session header,
then message records and `{"$set": ...}` header patches. In JSONL a message is written again, same `id`, as its tool
calls progress: the last copy wins. Step k is the k-th distinct tool call of the `gemini` messages, in order of first
appearance; its observation is the `functionResponse` output stored with the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.jsontext import jsonl_objects, loads
from tracegraph.semantics.shell import CommandEffect
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import DeltaOp, RunTrace

_HEADER_KEYS = (b'"sessionId"', b'"projectHash"')
_EXIT_CODE = re.compile(r"Exit Code: (-?\d+)")
# Gemini CLI's own tool names; the rest go through the shared structured-tool vocabulary.
_EFFECTS = {"replace": DeltaOp.modify, "write_file": DeltaOp.create, "read_file": DeltaOp.read}
_SEARCHES = {"glob", "search_file_content", "grep_search", "list_directory", "read_many_files", "google_web_search",
             "web_fetch"}


class GeminiCliParser:
    name = "gemini-cli"
    recognises = "Gemini CLI chat recordings: session-*.json (messages array) and the newer header-first .jsonl"

    def detect(self, path: Path) -> bool:
        if not (path.is_file() and path.suffix in (".json", ".jsonl")):
            return False
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if not all(key in head for key in _HEADER_KEYS):
            return False
        if path.suffix == ".jsonl":
            return True
        return b'"messages"' in head or b'"messages"' in _tail(path)

    def parse(self, path: Path) -> Iterator[RunTrace]:
        header, messages = read_gemini_session(path)
        builder = TraceBuilder(framework=self.name, source=path, name=path.stem, content_hash=hash_files([path]))
        builder.set(started_at_ms=iso_to_ms(header.get("startTime")), ended_at_ms=iso_to_ms(header.get("lastUpdated")),
                    outcome_reason="a chat recording records no verdict")
        fill_from_messages(builder, messages)
        yield builder.build()


def _tail(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - (1 << 20)))
        return fh.read()


def read_gemini_session(path: Path) -> tuple[dict, list[dict]]:
    """(header, messages) of either layout; in JSONL the last copy of each message id wins, in first-seen order."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            data = loads(text)
        except (json.JSONDecodeError, ValueError) as exc:
            raise IngestError(path, f"not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            raise IngestError(path, "no 'messages' array in this Gemini CLI session")
        return data, [m for m in data["messages"] if isinstance(m, dict)]
    header: dict = {}
    by_id: dict[str, dict] = {}
    for obj in jsonl_objects(path, text):
        if not header and "sessionId" in obj:
            header = obj
        elif isinstance(obj.get("$set"), dict):
            header = {**header, **obj["$set"]}
        elif "type" in obj and obj.get("id") is not None:
            by_id[str(obj["id"])] = obj  # a dict keeps the first position of a key and takes the last value
    if not header:
        raise IngestError(path, "no session header (sessionId) in this Gemini CLI recording")
    return header, list(by_id.values())


def fill_from_messages(builder: TraceBuilder, messages: list[dict]) -> None:
    """Add the steps, task text, model, tokens and final message of a session's messages."""
    prompt = completion = 0
    last_said = None
    for message in messages:
        kind = message.get("type")
        if kind == "user" and builder.run_fields.get("task_text") is None:
            builder.set(task_text=_text(message.get("content")) or None)
        if kind != "gemini":
            continue
        builder.set(model=message.get("model") if isinstance(message.get("model"), str) else None)
        tokens = message.get("tokens") if isinstance(message.get("tokens"), dict) else {}
        prompt += tokens.get("input") or 0
        completion += tokens.get("output") or 0
        said = _text(message.get("content"))
        last_said = said or last_said
        thoughts = [t.get("description") for t in message.get("thoughts") or []
                    if isinstance(t, dict) and isinstance(t.get("description"), str)]
        thought = "\n".join(thoughts + ([said] if said else [])) or None
        for call in message.get("toolCalls") or []:
            if isinstance(call, dict):
                _add_call(builder, call, thought, iso_to_ms(call.get("timestamp") or message.get("timestamp")))
    builder.set(prompt_tokens=prompt or None, completion_tokens=completion or None, final_message=last_said)


def _add_call(builder: TraceBuilder, call: dict, thought: str | None, stamp: int | None) -> None:
    name = str(call.get("name") or "unknown")
    args = call.get("args") if isinstance(call.get("args"), dict) else {}
    observation = "\n".join(_text((r.get("functionResponse") or {}).get("response", {}).get("output"))
                            for r in call.get("result") or [] if isinstance(r, dict))
    if not observation and isinstance(call.get("resultDisplay"), str):
        observation = call["resultDisplay"]
    code = _EXIT_CODE.search(observation) if name == "run_shell_command" else None
    exit_code = int(code.group(1)) if code else None
    # The recorded status decides (a file read that mentions an error is no failure), then a shell's exit code.
    status = call.get("status")
    is_error = None if status is None else status != "success" or exit_code not in (None, 0)
    effects = None
    path = args.get("file_path") or args.get("absolute_path") or args.get("path")
    if name in _EFFECTS and isinstance(path, str):
        effects = [CommandEffect(_EFFECTS[name], path)]
    elif name in _SEARCHES:
        effects = [CommandEffect(DeltaOp.read, path if isinstance(path, str) else None, "search")]
    command = args.get("command") if name == "run_shell_command" and isinstance(args.get("command"), str) else None
    builder.add_step(name, args, command=command, effects=effects, observation=observation, is_error=is_error,
                     exit_code=exit_code, call_id=call.get("id"), timestamp_ms=stamp,
                     thought=thought, cwd=args.get("cwd") if isinstance(args.get("cwd"), str) else None)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        return "\n".join(c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str)).strip()
    return ""
