"""Outcome and verifier checks of a Harbor trial: reward.txt, result.json, verifier/ctrf.json, test-stdout.txt."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tracegraph.ingest.builder import TraceBuilder
from tracegraph.ingest.jsontext import loads
from tracegraph.schema import Outcome

# Verifier output that shows the checks never ran because the sandbox could not reach the network or lacked the
# runner: the agent is not at fault (seen in Harbor trials whose test.sh fetches uv from GitHub).
_INFRA = re.compile(
    r"Failed to connect to \S+ port \d+|Could not resolve host|Temporary failure in name resolution|"
    r"Network is unreachable|Connection timed out|uvx: command not found|pytest: command not found",
)
# The look-behind sits after the leading "/" (a "/" preceded by no word character or dot), so the pattern starts with
# a literal the engine can skip ahead to instead of trying every position of a long test log.
_PATH_IN_TEXT = re.compile(r"(/(?<![\w.]/)(?:app|workdir|home|root|srv|var|etc|opt|tmp|data|usr/local)/[\w./@+-]+)")


def read_json(path: Path) -> Any:
    from tracegraph.errors import IngestError

    try:
        return loads(path.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",") or "null")
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None


def paths_in(text: str) -> list[str]:
    """Absolute sandbox paths named in verifier text (what a test checks)."""
    return sorted({m.rstrip(".,:;)'\"") for m in _PATH_IN_TEXT.findall(text)
                   if not m.startswith("/usr/local/lib") and "site-packages" not in m})


def read_harbor_outcome(trial: Path, builder: TraceBuilder, has_trajectory: bool) -> None:
    """Set outcome, reward, timestamps and tests on the builder from a Harbor trial folder."""
    from tracegraph.ingest.timeparse import iso_to_ms

    result = read_json(trial / "result.json") if (trial / "result.json").is_file() else {}
    verifier = trial / "verifier"
    stdout_path = verifier / "test-stdout.txt"
    stdout = stdout_path.read_text(errors="replace") if stdout_path.is_file() else ""
    reward = _reward(trial, result)
    exc = (result or {}).get("exception_info") or {}
    builder.set(
        task_id=(result.get("task_name") or (result.get("task_id") or {}).get("path")) if result else None,
        started_at_ms=iso_to_ms(result.get("started_at")) if result else None,
        ended_at_ms=iso_to_ms(result.get("finished_at")) if result else None,
        reward=reward, verifier_output=stdout[-4000:] if stdout else None,
    )
    agent_info = (result or {}).get("agent_info") or {}
    if agent_info.get("name"):
        builder.set(agent=f"{agent_info['name']} {agent_info.get('version') or ''}".strip())
    ctrf = verifier / "ctrf.json"
    if ctrf.is_file():
        for test in ((read_json(ctrf) or {}).get("results") or {}).get("tests") or []:
            text = f"{test.get('trace') or ''}\n{test.get('message') or ''}"
            builder.add_test(str(test.get("name")), str(test.get("status")),
                             message=(test.get("trace") or test.get("message")), files=paths_in(text))
    _note_session(result or {}, builder)
    outcome, reason = _decide(reward, exc, stdout, has_trajectory, ctrf.is_file())
    builder.set(outcome=outcome, outcome_reason=reason)


def _note_session(result: dict, builder: TraceBuilder) -> None:
    """How long the agent ran and whether Harbor stopped it for time, as triage evidence."""
    from tracegraph.ingest.timeparse import iso_to_ms

    execution = result.get("agent_execution") or {}
    start, end = iso_to_ms(execution.get("started_at")), iso_to_ms(execution.get("finished_at"))
    if start is not None and end is not None:
        builder.session.session_ms = end - start
    exc = result.get("exception_info") or {}
    kind = str(exc.get("exception_type") or "")
    if "AgentTimeout" in kind:
        message = " ".join(str(exc.get("exception_message") or "").split())[:120]
        builder.session.timeout = f"result.json exception {kind}" + (f": {message}" if message else "")


def _reward(trial: Path, result: dict) -> float | None:
    reward_file = trial / "verifier" / "reward.txt"
    if reward_file.is_file():
        try:
            return float(reward_file.read_text().strip())
        except ValueError:
            pass
    rewards = ((result or {}).get("verifier_result") or {}).get("rewards") or {}
    value = rewards.get("reward")
    return float(value) if isinstance(value, (int, float)) else None


def _decide(reward: float | None, exc: dict, stdout: str, has_trajectory: bool,
            has_ctrf: bool) -> tuple[Outcome, str]:
    if not has_trajectory:
        return Outcome.incomplete, "no agent trajectory was written (agent crashed or never started)"
    if reward is not None and reward >= 1.0:
        note = f"; {exc.get('exception_type')} reported" if exc else ""
        return Outcome.solved, f"reward {reward:g}{note}"
    if not has_ctrf and _INFRA.search(stdout):
        return Outcome.infra_error, "verifier could not run its checks: " + _INFRA.search(stdout).group(0)
    if exc and exc.get("exception_type") and reward is None:
        return Outcome.infra_error, f"{exc.get('exception_type')}: {str(exc.get('exception_message'))[:200]}"
    if reward is None:
        return Outcome.unknown, "no reward recorded"
    return Outcome.failed, f"reward {reward:g}"
