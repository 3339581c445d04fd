"""What the miner sees of a run: per-step features a person recognises and per-run features.

Step features are `kind:value` strings (`tool:Bash`, `cmd:pip install`, `cmd:: pip install` for a `:`-prefixed
no-op, `act:install`, `writes:.py`, `reads:.json`, `error:command not found`, `stage:verification`) and the flags
`noop` and `repeat`. Run features are `model:`, `agent:`, `framework:` and `task:`. What a command or a step does is
read from tree/ (command_families, trace_activities): the same vocabulary diagnosis uses.
"""

from __future__ import annotations

import posixpath
import re

from pydantic import BaseModel

from tracegraph.store.read import load_trace
from tracegraph.schema import DeltaOp, RunTrace
from tracegraph.store import Store
from tracegraph.semantics.activity import Act
from tracegraph.semantics.commands import command_families
from tracegraph.semantics.writes import is_file_write
from tracegraph.tree.semantics import trace_activities

RUN_KINDS = ("model", "agent", "framework", "task")
"""Prefixes of the features a whole run has."""

_ERROR_KINDS: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(rx, re.IGNORECASE)) for kind, rx in (
    ("command not found", r"command not found|: not found\b"),
    ("edit rejected", r"No replacement was performed|proposed edit has introduced|old_str"),
    ("timeout", r"timed out|timeout|Exit code 124\b"),
    ("permission denied", r"Permission denied|EACCES|requested permissions"),
    ("install failed", r"externally-managed-environment|subprocess-exited-with-error|No matching distribution|"
                       r"Could not find a version|Unable to locate package|ResolutionImpossible"),
    ("syntax error", r"syntax error|unexpected EOF|unexpected end of file"),
    ("missing file", r"No such file or directory|does not exist|can't cd to|not found\. Please"),
    ("tests failed", r"\d+ failed|FAILED |AssertionError"),
    ("usage error", r"^usage:|\busage: |is expected to be one of|Parameter `?\w+`? is required"),
)]
TELLING_ACTS = {Act.install, Act.test, Act.write_intent, Act.probe, Act.service, Act.env_probe, Act.write_test,
                Act.write_scratch, Act.finish, Act.run_own}
"""Activities that say something about a run; reading, writing, planning and running happen in every run."""
_EXCEPTION = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception))\b")


class MinedRun(BaseModel):
    """One run as the miner sees it."""

    run_id: str
    name: str
    outcome: str
    """failed (a run mined for causes) or solved (the comparison)."""
    model: str | None = None
    agent: str | None = None
    onset_k: int | None = None
    steps: list[list[str]]
    """steps[k - 1]: step k's features."""
    run_features: list[str]

    def positions(self) -> dict[str, list[int]]:
        """Feature → the steps (k) that show it, in order."""
        out: dict[str, list[int]] = {}
        for k, feats in enumerate(self.steps, start=1):
            for f in feats:
                out.setdefault(f, []).append(k)
        return out


def error_kind(observation: str | None, exit_code: int | None) -> str:
    """What kind of error a failed step met, in a few words (an exception's name when one is raised)."""
    text = (observation or "")[:2000]
    exception = _EXCEPTION.search(text)
    if exception and exception.group(1) not in {"AssertionError", "SyntaxError"}:
        return exception.group(1)
    for kind, rx in _ERROR_KINDS:
        if rx.search(text):
            return kind
    if exception:
        return exception.group(1)
    return f"exit {exit_code}" if exit_code not in (None, 0) else "tool error"


def file_type(path: str) -> str:
    """`.py`, `.json`, ...; a name without a suffix stands for itself (`Makefile`), a folder-like path for none."""
    name = posixpath.basename(path.rstrip("/"))
    suffix = posixpath.splitext(name)[1].lower()
    return suffix if suffix and len(suffix) <= 8 else ("no suffix" if name else "folder")


def step_features(trace: RunTrace) -> list[list[str]]:
    """Features of each step of a trace, in step order."""
    deltas: dict[int, list] = {}
    for d in trace.deltas:
        deltas.setdefault(d.k, []).append(d)
    repeats = {r.src_k for r in trace.repeats}
    out = []
    for step, acts in zip(trace.steps, trace_activities(trace), strict=True):
        # A shell step is told by its commands (`pip install`); the tool (Bash) only names an editor's write.
        feats = ([f"cmd:{family}" for family in command_families(step.command)] if step.command
                 else [f"tool:{step.tool}"])
        feats += [f"act:{a.act.value}" for a in acts if a.act in TELLING_ACTS]
        for d in deltas.get(step.k, []):
            if is_file_write(d.op, d.path):
                feats.append(f"writes:{file_type(d.path)}")
            elif d.path and d.op == DeltaOp.read:
                feats.append(f"reads:{file_type(d.path)}")
        if step.is_noop:
            feats.append("noop")
        if step.is_error:
            feats.append(f"error:{error_kind(step.observation, step.exit_code)}")
        if step.k in repeats:
            feats.append("repeat")
        if step.stage:
            feats.append(f"stage:{step.stage.value}")
        out.append(list(dict.fromkeys(feats)))
    return out


RUNS_QUERY = """
MATCH (r:Run)
WHERE r.status = 'loaded'
  AND (r.outcome = 'solved' OR (r.outcome IN $outcomes AND coalesce(r.triage, 'agent_failed') IN $verdicts))
  AND ($model IS NULL OR toLower(coalesce(r.model, '')) CONTAINS toLower($model))
  AND ($agent IS NULL OR toLower(coalesce(r.agent, '')) CONTAINS toLower($agent))
OPTIONAL MATCH (r)-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})
RETURN r.id AS run_id, r.outcome AS outcome, count(d) AS diagnosed, collect(d.onset_k)[0] AS onset_k
ORDER BY run_id
"""


def load_runs(store: Store, *, method: str, outcomes: list[str], verdicts: list[str], model: str | None = None,
              agent: str | None = None) -> list[MinedRun]:
    """Solved runs and runs that failed through the agent (outcome in `outcomes`, triage verdict in `verdicts`),
    optionally only of a model or agent (case-insensitive substring); failed runs a `method` diagnosis found no
    agent onset in are left out."""
    rows = store.query(RUNS_QUERY, {"outcomes": outcomes, "verdicts": verdicts, "model": model, "agent": agent,
                                    "method": method})
    out = []
    for row in rows:
        solved = row["outcome"] == "solved"
        if not solved and row["diagnosed"] and row["onset_k"] is None:
            continue  # diagnosed as not the agent's fault
        trace = load_trace(store, row["run_id"])
        r = trace.run
        run_features = [f"{kind}:{value}" for kind, value in zip(
            RUN_KINDS, (r.model, r.agent, r.framework, r.task_id), strict=True) if value]
        out.append(MinedRun(run_id=r.id, name=r.name, outcome="solved" if solved else "failed", model=r.model,
                            agent=r.agent, onset_k=None if solved else row["onset_k"], steps=step_features(trace),
                            run_features=run_features))
    return out


__all__ = ["MinedRun", "error_kind", "file_type", "load_runs", "step_features"]
