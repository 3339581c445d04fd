"""Claude Code stream-json runs: terminal-bench trial folders (the stream inside sessions/agent.cast) and bare files.

Step k is the k-th distinct `tool_use` block of the assistant messages, in order of appearance; its observation is
the `tool_result` with the same id. A trial's outcome and per-test results come from terminal_bench.read_tb_results.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.filescan import file_holds
from tracegraph.ingest.jsontext import loads
from tracegraph.ingest.terminal_bench import as_text, event_fields, event_lines, read_tb_results
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import RunTrace

# asciinema JSON-encodes the terminal output, so inside a .cast file a stream-json assistant line reads like this.
_CAST_MARKER = b'{\\"type\\":\\"assistant\\"'
_STREAM_MARKER = b'{"type":"assistant"'
_OBJECT_START = '{"type":"'
_DETECT_BYTES = 256 << 20
"""How far into a file detection looks for Claude Code's messages."""
_MESSAGE_TYPES = {"system", "assistant", "user", "result"}
_DECODER = json.JSONDecoder()


class ClaudeCodeParser:
    name = "claude-code"
    recognises = ("terminal-bench trial folders whose sessions/agent.cast holds Claude Code stream-json "
                  "(results.json, panes/), .cast files and bare stream-json .jsonl/.txt files")

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            cast = path / "sessions" / "agent.cast"
            return cast.is_file() and file_holds(cast, (_CAST_MARKER,), _DETECT_BYTES)
        if path.is_file() and path.suffix == ".cast":
            return file_holds(path, (_CAST_MARKER,), _DETECT_BYTES)
        if path.is_file() and path.suffix in (".jsonl", ".txt"):
            return _starts_as_stream(path) and file_holds(path, (_STREAM_MARKER,), _DETECT_BYTES)
        return False

    def parse(self, path: Path) -> Iterator[RunTrace]:
        if path.is_dir():
            yield parse_tb_trial(path)
            return
        builder = TraceBuilder(framework=self.name, source=path, name=path.stem, content_hash=hash_files([path]))
        if path.suffix == ".cast":
            _fill_from_cast(builder, path)
        else:
            parse_claude_code_stream(path, builder)
        builder.set(outcome_reason="no results.json: a bare stream records no verdict")
        yield builder.build()


def parse_tb_trial(trial: Path) -> RunTrace:
    """One terminal-bench trial folder: the stream inside sessions/agent.cast plus results.json and panes/."""
    cast = trial / "sessions" / "agent.cast"
    if not cast.is_file():
        raise IngestError(trial, "no sessions/agent.cast in this trial folder")
    results = trial / "results.json"
    builder = TraceBuilder(framework="claude-code", source=trial, name=trial.name,
                           content_hash=hash_files([p for p in (cast, results) if p.is_file()]))
    _fill_from_cast(builder, cast)
    read_tb_results(trial, builder)
    return builder.build()


def parse_claude_code_stream(path: Path, builder: TraceBuilder) -> None:
    """Fill `builder` from a file of Claude Code stream-json lines (e.g. Harbor's agent/claude-code.txt)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    messages, lost = extract_stream_messages(lines)
    if not messages:
        raise IngestError(path, "no Claude Code stream-json messages in this file")
    fill_from_stream(builder, messages, path)
    _note_lost(builder, lost)


def _fill_from_cast(builder: TraceBuilder, cast: Path) -> None:
    messages, lost = read_cast_messages(cast)
    fill_from_stream(builder, messages, cast)
    _note_lost(builder, lost)


def _note_lost(builder: TraceBuilder, lost: int) -> None:
    # A truncated or garbled recording is parsed as far as it is readable; the run says how much was skipped.
    if lost:
        builder.set(extra_json=json.dumps({"unreadable_stream_fragments": lost}))


# --- reading the stream out of a terminal recording -------------------------------------------------------------

def read_cast_messages(cast: Path) -> tuple[list[tuple[dict, int | None]], int]:
    """The stream-json messages in an asciinema v2 recording's output with their epoch-ms times, and how many
    events or stream fragments could not be read."""
    output, width, lost_events = _cast_output(cast)
    messages, lost_fragments = extract_stream_messages(output.lines, output.stamp, wrap_width=width)
    if not messages:
        raise IngestError(cast, "no Claude Code stream-json messages in the terminal output")
    return messages, lost_events + lost_fragments


class CastOutput:
    """A recording's output text cut into lines, each with the epoch-ms time of the event that completed it.

    Events split the output at arbitrary points, so lines are cut from the joined text at \n (in C, not per event).
    A line keeps the \r of a \r\n ending and its time is looked up only when a message is read from it: most lines
    are terminal noise that no one reads.
    """

    def __init__(self, texts: tuple[str, ...], times: list[int] | None) -> None:
        joined = "".join(texts)
        lines = joined.split("\n")
        self._times = times
        self._event_ends = list(accumulate(map(len, texts)))  # output offset after each event
        self._line_ends = list(accumulate(map(len, lines)))  # without the newlines between lines
        if not lines[-1]:
            lines.pop()  # the output ended with a newline (or is empty)
        self.lines = lines

    def stamp(self, i: int) -> int | None:
        if self._times is None:
            return None
        if i == len(self._line_ends) - 1:
            return self._times[-1]  # the unfinished last line: the time of the last event
        newline_at = self._line_ends[i] + i
        return self._times[bisect_right(self._event_ends, newline_at)]


def _cast_output(cast: Path) -> tuple[CastOutput, int | None, int]:
    # Lines as a text-mode read cuts them (at \n, \r and \r\n, as bytes.splitlines() does), each read by event_fields.
    raw_lines = cast.read_bytes().splitlines()
    try:
        header = json.loads(as_text(raw_lines[0])) if raw_lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("version") != 2:
        raise IngestError(cast, "not an asciinema v2 recording (first line is not a version-2 header)")
    outputs, dropped = _output_events(raw_lines)
    start = header.get("timestamp")
    ats, texts = zip(*outputs) if outputs else ((), ())
    times = [int((start + at) * 1000) for at in ats] if isinstance(start, (int, float)) else None
    try:
        output = CastOutput(texts, times)
    except TypeError:
        raise IngestError(cast, "an output event whose data is not text") from None
    width = header.get("width")
    return output, width if isinstance(width, int) else None, dropped


def _output_events(raw_lines: list[bytes]) -> tuple[list, int]:
    """The output ("o") events of a recording's lines (header first): "i" is what was typed, not what the agent
    printed. Also how many lines could not be read: a cut-off or corrupted event is skipped and the rest kept."""
    try:
        # A 3-item unpack is what event_fields does too; any line that fails it takes the careful path below.
        return [(at, text) for at, kind, text in map(orjson.loads, event_lines(raw_lines)) if kind == "o"], 0
    except (ValueError, TypeError):
        pass  # some line needs event_fields' careful reading (orjson's decode error is a ValueError)
    outputs, dropped = [], 0
    for raw in raw_lines[1:]:
        try:
            fields = event_fields(raw)
            if fields is None:
                continue
            at, kind, text = fields
        except (json.JSONDecodeError, ValueError, TypeError):
            dropped += 1
            continue
        if kind == "o":
            outputs.append((at, text))
    return outputs, dropped


def _no_stamp(i: int) -> None:
    return None


def extract_stream_messages(lines: list[str], stamp: Callable[[int], int | None] = _no_stamp,
                            wrap_width: int | None = None) -> tuple[list[tuple[dict, int | None]], int]:
    """Stream-json objects found in text lines mixed with other output, with their epoch-ms times (`stamp(i)`: line
    i's, else the message's own); also the count of unreadable fragments.

    An object may start after terminal noise on its line. With `wrap_width`, a line the terminal hard-wrapped (it
    fills the width and the object is unfinished) is rejoined: JSON text never holds a raw newline, so the
    continuation is glued back on without one.
    """
    found: list[tuple[dict, int | None]] = []
    seen: set[str] = set()
    starts = [k for k, line in enumerate(lines) if _OBJECT_START in line]  # one C-speed pass over the noise
    dropped, i = 0, 0
    while True:
        next_start = bisect_left(starts, i)
        if next_start == len(starts):
            break
        first = starts[next_start]
        line = lines[first].rstrip("\r")
        text, width, i = line[line.find(_OBJECT_START):], len(line), first + 1
        resume, last = i, first
        obj, end = None, 0
        try:  # the usual line: one whole object and nothing after it (jsontext.loads' orjson, and its one difference)
            obj, end = orjson.loads(text), len(text.rstrip(" \t\r\n"))
        except orjson.JSONDecodeError:
            pass
        while obj is None:
            try:
                obj, end = _DECODER.raw_decode(text)
                break
            except json.JSONDecodeError as exc:
                # Out of text (an unterminated string, or a cut inside an escape): the object may go on below.
                ran_out = len(text) - exc.pos <= 6 or exc.msg.startswith("Unterminated string")
                if not (ran_out and wrap_width and width >= wrap_width and i < len(lines)):
                    break
                line, last = lines[i].rstrip("\r"), i
                text, width, i = text + line, len(line), i + 1
        if not isinstance(obj, dict) or obj.get("type") not in _MESSAGE_TYPES:
            dropped += 1
            i = resume  # what was glued on may hold objects of its own
            continue
        # The same line can be printed twice (echo and output); an identical copy adds nothing.
        key = text[:end]
        if key not in seen:
            seen.add(key)
            at = stamp(last)
            found.append((obj, at if at is not None else iso_to_ms(obj.get("timestamp"))))
    return found, dropped


# --- turning messages into steps ---------------------------------------------------------------------------------

@dataclass
class _Call:
    id: str
    name: str
    arguments: dict
    message_id: str | None
    thought: str | None
    subagent: bool
    timestamp_ms: int | None


@dataclass
class _Stream:
    calls: dict[str, _Call] = field(default_factory=dict)
    results: dict[str, tuple[str, bool]] = field(default_factory=dict)
    texts: dict[str | None, list[str]] = field(default_factory=dict)
    last_text: str | None = None
    result: dict | None = None


def fill_from_stream(builder: TraceBuilder, messages: Iterable[tuple[dict, int | None]], path: Path) -> None:
    """Add the steps, model, task text, tokens and final message of a stream-json message sequence."""
    stream = _Stream()
    for obj, stamp in messages:
        kind = obj.get("type")
        if kind == "system" and obj.get("subtype") == "init" and "model" not in builder.run_fields:
            builder.set(model=obj.get("model"), agent=f"claude-code {obj.get('claude_code_version') or ''}".strip())
            builder.cwd = obj.get("cwd") or builder.cwd
        elif kind == "assistant":
            _read_assistant(stream, obj, stamp, path)
        elif kind == "user":
            _read_user(stream, builder, obj)
        elif kind == "result":
            stream.result = obj
    for call in stream.calls.values():
        observation, is_error = stream.results.get(call.id, ("", False))
        builder.add_step(call.name, call.arguments, thought=call.thought, observation=observation, is_error=is_error,
                         call_id=call.id, timestamp_ms=call.timestamp_ms, role="subagent" if call.subagent else None)
    final = stream.result or {}
    result_text = final.get("result")
    builder.set(final_message=result_text if isinstance(result_text, str) and result_text.strip() else stream.last_text)
    builder.set(**_token_totals(final))


def _read_assistant(stream: _Stream, obj: dict, stamp: int | None, path: Path) -> None:
    message = obj.get("message")
    if not isinstance(message, dict):
        raise IngestError(path, "assistant line without a message object")
    message_id = message.get("id")
    texts = stream.texts.setdefault(message_id, [])
    subagent = obj.get("parent_tool_use_id") is not None
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") in ("text", "thinking"):
            text = block.get("text") or block.get("thinking") or ""
            # "(no content)" is Claude Code's stand-in for an empty text block, not something the model said.
            if text.strip() and text.strip() != "(no content)":
                texts.append(text.strip())
                if not subagent and block.get("type") == "text":
                    stream.last_text = text.strip()
        elif block.get("type") == "tool_use" and block.get("id"):
            known = stream.calls.get(block["id"])
            if known and known.message_id == message_id:
                continue
            if known:
                # Some providers stream a preview of the turn, then the final message reusing the call id: the
                # later copy is the call that ran, so it replaces the preview and takes its place in the order.
                del stream.calls[block["id"]]
            args = block.get("input")
            stream.calls[block["id"]] = _Call(
                id=block["id"], name=str(block.get("name") or "unknown"),
                arguments=args if isinstance(args, dict) else {"input": args}, message_id=message_id,
                thought="\n".join(texts) or None, subagent=subagent, timestamp_ms=stamp)


def _read_user(stream: _Stream, builder: TraceBuilder, obj: dict) -> None:
    content = (obj.get("message") or {}).get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_result" and block.get("tool_use_id"):
            stream.results[block["tool_use_id"]] = (_result_text(block.get("content")), block.get("is_error") is True)
        elif block.get("type") == "text" and obj.get("parent_tool_use_id") is None:
            builder.set(task_text=builder.run_fields.get("task_text") or block.get("text"))


def _result_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [c.get("text", "") if c.get("type") == "text" else f"[{c.get('type')}]"
                 for c in content if isinstance(c, dict)]
        return "\n".join(parts)
    return json.dumps(content, ensure_ascii=False)


def _token_totals(result: dict) -> dict[str, int | None]:
    """Prompt and completion totals of the run; zeros mean the model proxy reported nothing, so they are dropped."""
    per_model = result.get("modelUsage") or {}
    if per_model:
        prompt = sum((m.get("inputTokens") or 0) + (m.get("cacheReadInputTokens") or 0)
                     + (m.get("cacheCreationInputTokens") or 0) for m in per_model.values())
        completion = sum(m.get("outputTokens") or 0 for m in per_model.values())
    else:
        usage = result.get("usage") or {}
        prompt = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                                  "cache_creation_input_tokens"))
        completion = usage.get("output_tokens") or 0
    return {"prompt_tokens": prompt or None, "completion_tokens": completion or None}


# --- cheap content checks for detect() ---------------------------------------------------------------------------

def _starts_as_stream(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                # A first line without the key's name (plain or \u-escaped) cannot have it: JSON Lines of other
                # formats (an OpenHands output.jsonl line is a whole run) are not decoded to find that out.
                if "session_id" not in line and "\\u" not in line:
                    return False
                try:
                    first = loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(first, dict) and first.get("type") in _MESSAGE_TYPES and "session_id" in first
    return False
