"""The typed facts rules read, computed once per run: failing checks, files they name, writes, scratch scripts,
tool-call arguments and each step's activities."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tracegraph.schema import Category, DeltaOp, RunTrace
from tracegraph.semantics.activity import Activity, is_scratch_path, is_test_path
from tracegraph.semantics.writes import is_file_write
from tracegraph.tree.semantics import trace_activities

_FAILED = {"failed", "error", "errored", "fail"}
# How a verifier says a file it needs is not there: open() errors as C tools, shells and Python print them.
_MISSING = re.compile(
    r"Failed to open(?: file)? [\"'“`]?(?P<a>[^\s\"'“”`:]+)"
    r"|No such file or directory: [\"'“`](?P<b>[^\s\"'“”`]+)[\"'”`]"
    r"|can(?:no|')t open (?:file )?[\"'“`](?P<c>[^\s\"'“”`]+)[\"'”`]"
    r"|(?P<d>[^\s\"'“”`:()]+)[\"'“”`]?: No such file or directory")
# Paths in the verifier's own tree or its toolchain are not files the agent was to make.
_HARNESS = ("/tests/", "/logs/", "/verifier/", "site-packages", "/.local/")
# Names agents give throwaway scripts: reproductions, probes and demos of the real thing.
_THROWAWAY_NAME = re.compile(r"(?:^|[-_.])(?:repro(?:duce)?|debug|demo|check|verify|validate|try|scratch|tmp|temp|"
                             r"example|sample|probe|explore)(?:[-_.]|$)", re.IGNORECASE)


@dataclass
class Firing:
    """One rule firing: the candidate onset step, its score, the category it implies, steps involved, reason."""

    rule: str
    k: int
    score: float
    category: Category
    reason: str
    steps: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TraceFacts:
    """One run's trace and what every rule asks of it."""

    trace: RunTrace
    failing: list[str]
    """Names of the checks that did not pass, sorted."""
    checked: set[str]
    """Files failing checks name, spelled as deltas spell paths."""
    written: dict[str, list[int]]
    """Path → steps that created, modified or deleted it, in order."""
    scratch: set[str]
    """Files the agent created and ran itself as throwaways (reproduction, test, debug scripts), never a checked file;
    a script it created and ran that is named as neither (e.g. the server or pipeline it builds) is the deliverable."""
    arguments: dict[int, str]
    """Step → its tool call's arguments (JSON text)."""
    activities: list[list[Activity]]
    """What each step did, in step order."""
    folders: set[str]
    """Paths the run shows to be folders: another path it touches or checks lies inside them."""
    missing: set[str] = field(default_factory=set)
    """Paths the verifier output says it could not find or open, spelled as the verifier did (maybe relative)."""


def failing_tests(trace: RunTrace) -> list[str]:
    """Names of the checks that did not pass, sorted (the order a run read back from the graph has)."""
    return sorted(t.name for t in trace.tests if t.status.lower() in _FAILED)


def missing_paths(trace: RunTrace) -> set[str]:
    """Files the verifier's output (and its failing checks' messages) say could not be found or opened."""
    texts = [trace.run.verifier_output or ""] + [t.message or "" for t in trace.tests if t.status.lower() in _FAILED]
    out = set()
    for m in (m for text in texts for m in _MISSING.finditer(text)):
        path = next(g for g in m.groups() if g).rstrip(".,;")
        if "/" in path and not any(h in path for h in _HARNESS):
            out.add(posixpath.normpath(path))
    return out


def writes_by_path(trace: RunTrace) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for d in trace.deltas:
        if is_file_write(d.op, d.path):
            out.setdefault(d.path, []).append(d.k)
    return out


def facts_of(trace: RunTrace) -> TraceFacts:
    """Compute the facts of one run (rules never recompute them)."""
    failing = failing_tests(trace)
    checked = {posixpath.normpath(p) for name in failing for p in trace.test_files.get(name, [])}
    created = {d.path for d in trace.deltas if d.path and d.op == DeltaOp.create}
    executed = {d.path for d in trace.deltas if d.path and d.op == DeltaOp.execute}
    paths = {d.path for d in trace.deltas if d.path} | {p for ps in trace.test_files.values() for p in ps}
    folders = {posixpath.dirname(p) for p in paths}
    folders |= {f for f in list(folders) for f in _parents(f)}
    return TraceFacts(trace=trace, failing=failing, checked=checked, written=writes_by_path(trace),
                      scratch={p for p in created & executed - checked if _throwaway(p, trace)},
                      arguments={c.k: c.arguments_json for c in trace.tool_calls}, activities=trace_activities(trace),
                      folders=folders & paths, missing=missing_paths(trace))


def _throwaway(path: str, trace: RunTrace) -> bool:
    """A script the agent made and ran to try something out, not to build what the task asks for: a temp or test
    location or name, a throwaway name, or deleted again by the agent."""
    name = posixpath.splitext(posixpath.basename(path))[0]
    return (is_scratch_path(path) or is_test_path(path) or bool(_THROWAWAY_NAME.search(name))
            or any(d.path == path and d.op == DeltaOp.delete for d in trace.deltas))


def _parents(path: str) -> list[str]:
    out = []
    while path not in ("", "/", "."):
        path = posixpath.dirname(path)
        out.append(path)
    return out
