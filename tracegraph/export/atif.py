"""A run from the graph as an ATIF trajectory: the task, one agent step per tool call with its result, the end."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from tracegraph.export.validate import check_atif
from tracegraph.schema import RunTrace
from tracegraph.store import Store
from tracegraph.store.read import load_trace

ATIF_VERSION = "ATIF-v1.2"
"""Every field written here exists since v1.1; v1.2 is what Harbor's own trajectories in the fixtures declare."""

_VERSION = re.compile(r"v?\d[\w.+\-]*")
_COST_KEYS = ("total_cost_usd", "cost_usd", "instance_cost")


def build_atif(store: Store, run_id: str, *, upto_k: int | None = None) -> dict[str, Any]:
    """The run as an ATIF document (validated); with `upto_k`, only its steps 1..upto_k, as a resumable prefix."""
    trace = load_trace(store, run_id, upto_k=upto_k)
    run = trace.run.model_dump(mode="json", exclude_none=True)
    rows = _step_rows(trace)
    steps: list[dict[str, Any]] = []
    if run.get("task_text"):
        steps.append(_drop_none({"step_id": 1, "timestamp": _iso(run.get("started_at_ms")), "source": "user",
                                 "message": run["task_text"]}))
    for row in rows:
        steps.append(_agent_step(len(steps) + 1, row))
    if upto_k is None and run.get("final_message"):
        steps.append(_drop_none({"step_id": len(steps) + 1, "timestamp": _iso(run.get("ended_at_ms")),
                                 "source": "agent", "message": run["final_message"]}))
    if not steps:
        # ATIF needs at least one step; a run with neither task text nor tool calls still says it was empty.
        steps.append({"step_id": 1, "source": "system", "message": "the run recorded no task text and no tool calls"})
    document = {
        "schema_version": ATIF_VERSION,
        "session_id": run_id if upto_k is None else f"{run_id}/prefix-{upto_k}",
        "agent": _agent(run),
        "steps": steps,
        "notes": _notes(run, rows, upto_k),
        "final_metrics": _final_metrics(run, len(steps), whole_run=upto_k is None),
        "extra": {"tracegraph": _drop_none({
            "run_id": run_id, "name": run.get("name"), "framework": run.get("framework"),
            "fidelity": run.get("fidelity"), "task_id": run.get("task_id"), "outcome": run.get("outcome"),
            "outcome_reason": run.get("outcome_reason"), "reward": run.get("reward"), "source": run.get("source"),
            "step_count": run.get("step_count"), "prefix_upto_k": upto_k})},
    }
    check_atif(document)
    return document


def _step_rows(trace: RunTrace) -> list[dict[str, Any]]:
    """Per step: its properties, its tool call's name, id and arguments, its observation as stored."""
    calls = {c.k: c for c in trace.tool_calls}
    outputs = {o.k: o for o in trace.observations}
    rows = []
    for step in trace.steps:
        call, out = calls.get(step.k), outputs.get(step.k)
        rows.append({"step": step.model_dump(mode="json", exclude_none=True),
                     "name": call.name if call else None, "call_id": call.call_id if call else None,
                     "arguments": call.arguments_json if call else None, "content": out.content if out else None,
                     "size": out.size if out else None, "truncated": out.truncated if out else None})
    return rows


def _agent_step(step_id: int, row: dict[str, Any]) -> dict[str, Any]:
    step = row["step"]
    k = step["k"]
    call_id = row.get("call_id") or step.get("call_id") or f"call_{k}"
    extra = {"tool_result_is_error": bool(step.get("is_error")),
             "tracegraph": _drop_none({"k": k, "exit_code": step.get("exit_code"), "role": step.get("role"),
                                       "observation_size": row.get("size"),
                                       "observation_truncated": row.get("truncated") or None})}
    return _drop_none({
        "step_id": step_id,
        "timestamp": _iso(step.get("timestamp_ms")),
        "source": "agent",
        "message": step.get("thought") or "",
        "tool_calls": [{"tool_call_id": call_id, "function_name": row.get("name") or step["tool"],
                        "arguments": _arguments(row.get("arguments"))}],
        "observation": {"results": [{"source_call_id": call_id, "content": row.get("content") or ""}]},
        "extra": extra,
    })


def _arguments(arguments_json: str | None) -> dict[str, Any]:
    if not arguments_json:
        return {}
    try:
        value = json.loads(arguments_json)
    except json.JSONDecodeError:
        # The graph cuts very long argument strings, which can leave the JSON unterminated; keep the text.
        return {"input": arguments_json}
    return value if isinstance(value, dict) else {"input": value}


def _agent(run: dict[str, Any]) -> dict[str, Any]:
    text = (run.get("agent") or "").strip()
    name, _, version = text.rpartition(" ")
    if not (name and _VERSION.fullmatch(version)):
        name, version = text or run.get("framework") or "unknown", "unknown"
    return _drop_none({"name": name, "version": version, "model_name": run.get("model")})


def _final_metrics(run: dict[str, Any], steps: int, *, whole_run: bool) -> dict[str, Any]:
    metrics: dict[str, Any] = {"total_steps": steps}
    if whole_run:
        metrics["total_prompt_tokens"] = run.get("prompt_tokens")
        metrics["total_completion_tokens"] = run.get("completion_tokens")
        metrics["total_cost_usd"] = _cost(run.get("extra_json"))
    return _drop_none(metrics)


def _cost(extra_json: str | None) -> float | None:
    try:
        extra = json.loads(extra_json or "{}")
    except json.JSONDecodeError:
        return None
    for key in _COST_KEYS:
        value = extra.get(key) if isinstance(extra, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def _notes(run: dict[str, Any], rows: list[dict[str, Any]], upto_k: int | None) -> str:
    what = (f"steps 1-{upto_k} of {run.get('step_count', len(rows))}" if upto_k is not None
            else f"all {len(rows)} steps")
    return (f"Exported by tracegraph from a {run.get('framework')} run ({what}). One agent step per tool call; "
            "observation contents are as stored in the graph, long ones cut and marked with their full size.")


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    stamp = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
