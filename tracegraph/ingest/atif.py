"""ATIF v1.x trajectories (Harbor trials and bare trajectory files): one step per agent tool call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files
from tracegraph.ingest.claude_code import parse_claude_code_stream
from tracegraph.ingest.harbor_outcome import read_harbor_outcome, read_json
from tracegraph.ingest.timeparse import iso_to_ms
from tracegraph.schema import Outcome, RunTrace


def is_atif(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("schema_version", "")).startswith("ATIF") and "steps" in data


def _is_harbor_trial(path: Path) -> bool:
    return path.is_dir() and (path / "result.json").is_file() and (path / "config.json").is_file() and (
        (path / "agent").is_dir() or (path / "verifier").is_dir())


class HarborAtifParser:
    name = "harbor-atif"
    recognises = "Harbor trial folders (agent/trajectory.json ATIF, result.json, verifier/) and bare ATIF .json files"

    def detect(self, path: Path) -> bool:
        if _is_harbor_trial(path):
            return True
        if path.is_file() and path.suffix == ".json" and path.stat().st_size < 512 * 1024 * 1024:
            with open(path, "rb") as fh:
                head = fh.read(4096)
            return b'"schema_version"' in head and b"ATIF" in head
        return False

    def parse(self, path: Path) -> Iterator[RunTrace]:
        if path.is_file():
            yield parse_atif_trajectory(path, name=path.stem, source=path)
            return
        trajectory = path / "agent" / "trajectory.json"
        # Without Harbor's trajectory (an agent that timed out or crashed), the agent's own log is the next best
        # record of its steps, read before anyone concludes the agent never ran.
        agent_log = path / "agent" / "claude-code.txt"
        fallback = not trajectory.is_file() and agent_log.is_file() and agent_log.stat().st_size > 0
        files = [p for p in (trajectory, agent_log if fallback else None, path / "result.json",
                             path / "verifier" / "reward.txt", path / "verifier" / "ctrf.json") if p and p.is_file()]
        builder = TraceBuilder(framework=self.name, source=path, name=path.name, content_hash=hash_files(files),
                               fidelity="agent_log" if fallback else "structured")
        if trajectory.is_file():
            fill_from_atif(builder, read_json(trajectory), trajectory)
        elif fallback:
            parse_claude_code_stream(agent_log, builder)
        builder.session.sources = ["agent/trajectory.json" + ("" if trajectory.is_file() else " (missing)")] + (
            ["agent/claude-code.txt"] if fallback else [])
        read_harbor_outcome(path, builder, has_trajectory=trajectory.is_file() or bool(builder.steps))
        config = path / "config.json"
        if config.is_file():
            agent = (read_json(config) or {}).get("agent") or {}
            builder.set(model=builder.run_fields.get("model") or agent.get("model_name"))
            builder.set(agent=builder.run_fields.get("agent") or agent.get("name"))
        yield builder.build()


def parse_atif_trajectory(path: Path, *, name: str, source: Path) -> RunTrace:
    """A bare ATIF file: steps only, outcome unknown."""
    builder = TraceBuilder(framework="harbor-atif", source=source, name=name, content_hash=hash_files([path]))
    fill_from_atif(builder, read_json(path), path)
    return builder.build()


def fill_from_atif(builder: TraceBuilder, data: Any, path: Path) -> None:
    """Add the steps, task text, model and token totals of an ATIF document to the builder."""
    if not is_atif(data):
        raise IngestError(path, "not an ATIF trajectory (no schema_version 'ATIF-v1.x' with steps)")
    if not isinstance(data["steps"], list):
        raise IngestError(path, "'steps' is not a list")
    agent = data.get("agent") or {}
    builder.set(agent=" ".join(x for x in (agent.get("name"), agent.get("version")) if x) or None,
                model=agent.get("model_name"))
    cwds = (agent.get("extra") or {}).get("cwds") or []
    builder.cwd = cwds[0] if cwds else None
    metrics = data.get("final_metrics") or {}
    builder.set(prompt_tokens=metrics.get("total_prompt_tokens"),
                completion_tokens=metrics.get("total_completion_tokens"))
    last_text = None
    for index, step in enumerate(data["steps"]):
        if not isinstance(step, dict):
            raise IngestError(path, f"step {index} is {type(step).__name__}, not an object")
        source = step.get("source")
        message = step.get("message") if isinstance(step.get("message"), str) else None
        if source == "user" and builder.run_fields.get("task_text") is None and message:
            builder.set(task_text=message)
        if source != "agent":
            continue
        calls = step.get("tool_calls") or []
        if not calls:
            if message:
                last_text = message
            continue
        results = {r.get("source_call_id"): r.get("content")
                   for r in ((step.get("observation") or {}).get("results") or []) if isinstance(r, dict)}
        extra = step.get("extra") or {}
        said = message if message and not message.startswith("Executed ") else None
        thought = step.get("reasoning_content") or said
        for call in calls:
            if not isinstance(call, dict) or "function_name" not in call:
                raise IngestError(path, f"step {step.get('step_id', index)}: tool call without function_name")
            args = call.get("arguments")
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except json.JSONDecodeError:
                    args = {"input": args}
            content = results.get(call.get("tool_call_id"))
            observation = _content_text(content)
            flagged = extra.get("tool_result_is_error") if len(calls) == 1 else None
            builder.add_step(
                call["function_name"], args or {}, thought=thought, observation=observation,
                is_error=bool(flagged) if flagged is not None else None, call_id=call.get("tool_call_id"),
                timestamp_ms=iso_to_ms(step.get("timestamp")), cwd=extra.get("cwd"),
            )
    if last_text:
        builder.set(final_message=last_text)
    if not builder.steps and builder.run_fields.get("outcome") is None:
        builder.set(outcome=Outcome.incomplete)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_content_text(c.get("text") if isinstance(c, dict) else c) for c in content)
    return json.dumps(content, ensure_ascii=False)
