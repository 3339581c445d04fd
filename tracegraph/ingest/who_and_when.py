"""Who&When multi-agent failure logs: every agent message in `history[]` is one step, labels kept as gold.

The benchmark ships two shapes: algorithm-generated logs (AG2 CaptainAgent group chats, entries with `name`, code
run by `Computer_terminal`) and hand-crafted ones (Magentic-One, the speaker in `role`, e.g.
`Orchestrator (-> WebSurfer)`). Step rules:
- the human's question is not a step (it becomes task_text);
- a tool-result entry (Computer_terminal) is not a step either: it is the observation of the step before it,
  because the terminal only runs the code of the message it answers;
- every other entry is one step: tool and role = the agent's name (`Orchestrator (thought)` → `Orchestrator`, the
  parenthesis kept as the call's `channel`), action = the message text.
`mistake_step` indexes history[] from 0, so it is converted to the step number k holding that entry; a label on a
terminal entry maps to the step it answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.harbor_outcome import read_json
from tracegraph.ingest.jsontext import loads
from tracegraph.semantics.shell import CommandEffect, command_effects
from tracegraph.schema import DeltaOp, Outcome, RunTrace

_TOOL_SPEAKER = re.compile(r"terminal|executor", re.IGNORECASE)
_HUMAN = {"human", "user"}
_SPEAKER = re.compile(r"^(.*?)\s*\((.+)\)\s*$")
_CODE_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
_EXITCODE = re.compile(r"^exitcode: (-?\d+)", re.MULTILINE)
_DETECT_LIMIT = 64 * 1024 * 1024


def is_who_and_when(data: Any) -> bool:
    """A Who&When log: history[] of {content, role/name} with the benchmark's question or mistake labels."""
    if not isinstance(data, dict) or "trajectory" in data or "info" in data:
        return False
    history = data.get("history")
    return (isinstance(history, list) and bool(history)
            and all(isinstance(h, dict) and "content" in h and ("role" in h or "name" in h) for h in history)
            and any(k in data for k in ("mistake_agent", "mistake_step", "question")))


class WhoAndWhenParser:
    name = "who-and-when"
    recognises = "Who&When logs (.json: history[] of agent messages, mistake_agent/mistake_step labels)"

    def detect(self, path: Path) -> bool:
        if not path.is_file() or path.suffix != ".json" or path.stat().st_size > _DETECT_LIMIT:
            return False
        with open(path, "rb") as fh:
            if not fh.read(64).lstrip().startswith(b"{"):
                return False
        try:
            return is_who_and_when(loads(path.read_text(encoding="utf-8", errors="replace")))
        except json.JSONDecodeError:
            return False

    def parse(self, path: Path) -> Iterator[RunTrace]:
        yield parse_who_and_when(path)


def parse_who_and_when(path: Path) -> RunTrace:
    """One Who&When log → RunTrace with outcome failed and the mistake labels as gold_json."""
    data = read_json(path)
    if not is_who_and_when(data):
        raise IngestError(path, "not a Who&When log (no history[] of {role/name, content} with question or labels)")
    builder = TraceBuilder(framework="who-and-when", source=path, name=f"{path.parent.name}-{path.stem}",
                           content_hash=hash_files([path]))
    history = data["history"]
    step_of_entry: dict[int, int] = {}
    pending: tuple[int, str, str, dict[str, Any]] | None = None  # entry index, agent, text, arguments
    observation: list[str] = []

    def flush() -> None:
        if pending is not None:
            index, agent, text, args = pending
            step_of_entry[index] = _add_message(builder, agent, text, args, "\n".join(observation))

    for index, entry in enumerate(history):
        speaker = str(entry.get("name") or entry.get("role") or "")
        text = entry.get("content") if isinstance(entry.get("content"), str) else json.dumps(entry.get("content"))
        if _TOOL_SPEAKER.search(speaker):
            if pending is not None:
                observation.append(text)
                step_of_entry[index] = len(builder.steps) + 1
            continue
        if speaker.lower() in _HUMAN and not entry.get("name"):
            continue
        flush()
        agent, channel = _split_speaker(speaker)
        pending, observation = (index, agent, text, {"channel": channel} if channel else {}), []
    flush()

    gold = _gold(data, step_of_entry, path)
    speakers = {str(h.get("role") or "") for h in history}
    builder.set(task_id=data.get("question_ID"), task_text=data.get("question"), gold_json=json.dumps(gold),
                agent="Magentic-One" if any(s.startswith("Orchestrator") for s in speakers) else "AG2 CaptainAgent",
                outcome=Outcome.failed,
                outcome_reason=f"Who&When holds only failed runs (final answer wrong; ground truth "
                               f"{data.get('ground_truth')!r})",
                verifier_output=f"ground truth: {data.get('ground_truth')}",
                final_message=builder.steps[-1].action if builder.steps else None,
                extra_json=json.dumps({k: data.get(k) for k in ("level", "ground_truth", "is_correct", "is_corrected")
                                       if k in data} | {"subset": path.parent.name}))
    return builder.build()


def _split_speaker(speaker: str) -> tuple[str, str | None]:
    match = _SPEAKER.match(speaker)
    return (match.group(1), match.group(2)) if match else (speaker, None)


def _add_message(builder: TraceBuilder, agent: str, text: str, args: dict[str, Any], observation: str) -> int:
    exit_match = _EXITCODE.search(observation)
    exit_code = int(exit_match.group(1)) if exit_match else None
    # The terminal's exit code is the failure signal; without one, judge the result text (none: plain talk).
    is_error = exit_code != 0 if exit_code is not None else (None if observation else False)
    return builder.add_step(agent, args, action=text, observation=observation, role=agent, exit_code=exit_code,
                            is_error=is_error, effects=_effects(agent, text, observation))


def _effects(agent: str, text: str, observation: str) -> list[CommandEffect]:
    """Code a terminal ran for this message, or a browse by a web agent; plain talk changes nothing."""
    if "websurfer" in agent.lower():
        return [CommandEffect(DeltaOp.read, None, "browse")]
    if not observation:
        return []
    effects: list[CommandEffect] = []
    for lang, code in _CODE_BLOCK.findall(text):
        # AG2 saves a block to the file named on its first line (`# filename: x.py`) before running it.
        named = re.match(r"\s*#\s*filename:\s*(\S+)", code)
        if named:
            effects += [CommandEffect(DeltaOp.create, named.group(1)), CommandEffect(DeltaOp.execute, named.group(1))]
        elif lang in {"sh", "bash", "shell", "console"}:
            effects += command_effects(code)
        else:
            effects.append(CommandEffect(DeltaOp.execute, None, "script"))
    return effects


def _gold(data: dict[str, Any], step_of_entry: dict[int, int], path: Path) -> dict[str, Any]:
    raw = data.get("mistake_step")
    try:
        raw_index = int(raw) if raw is not None and str(raw).strip() != "" else None
    except ValueError:
        raise IngestError(path, f"mistake_step {raw!r} is not an integer") from None
    return {"mistake_agent": data.get("mistake_agent"),
            "mistake_step": step_of_entry.get(raw_index) if raw_index is not None else None,
            "mistake_step_raw": raw_index,
            "mistake_reason": data.get("mistake_reason"),
            **({"mistake_type": data["mistake_type"]} if "mistake_type" in data else {})}
