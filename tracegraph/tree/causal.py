"""DEPENDS_ON and REPEATS edges between the steps of one run, from what each step wrote, read, ran and retried."""

from __future__ import annotations

import functools
import re

from rapidfuzz.distance import LCSseq

from tracegraph.schema import DeltaOp, Dependency, DependencyKind, Repeat, RunTrace, Step
from tracegraph.semantics.writes import is_file_write
from tracegraph.semantics.activity import BUILDING, Act, Activity
from tracegraph.tree.semantics import shell_rejected, trace_activities

REPEAT_SIMILARITY = 0.9
"""Two consecutive actions at least this similar (difflib ratio) form a REPEATS edge."""
RETRY_WINDOW = 3
"""A failed action repeated within this many steps is a retry that depends on the failed attempt."""
CHECKED_CHANGES = 5
"""A check depends on at most this many of the most recent unchecked changes."""

_CHECKS = {Act.test, Act.run_own, Act.probe}


SIMILARITY_CHARS = 600
"""Characters of each action compared: difflib's ratio is quadratic, and retries differ (or not) near the start."""
_NUMBERS = re.compile(r"\d+")


@functools.lru_cache(maxsize=64)
def normalized_action(action: str) -> str:
    """Action text with whitespace and numbers folded, so retries that differ trivially compare equal.

    Cached: each step's action is compared with the one before it and the one after it.
    """
    text = " ".join(action[:4 * SIMILARITY_CHARS].split())  # _SPACES.sub(" ", ...strip()), 3x faster
    return _NUMBERS.sub("0", text)[:SIMILARITY_CHARS]


@functools.lru_cache(maxsize=256)
def similarity(a: str, b: str) -> float:
    """How alike two actions are, 0..1: difflib's ratio of the normalised texts, rounded to 3 places.

    A pair that an upper bound puts under REPEAT_SIMILARITY gets 0.0 without the quadratic ratio (runs have
    thousands of steps). Cached: a consecutive pair is compared for REPEATS and again, when the earlier step
    failed, for retries.
    """
    a, b = normalized_action(a), normalized_action(b)
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    # Each bound is the ratio of a count of characters that difflib's matching blocks cannot exceed, cheapest
    # first: the shorter length (difflib's real_quick_ratio), then the longest common subsequence (the blocks are
    # one; rapidfuzz counts it in C). The LCS bound is rounded as the result is, since the caller compares the
    # rounded value; most pairs fail one of them. The ratio itself stays difflib's: rapidfuzz's Indel similarity
    # is the LCS ratio, which differs from it for some pairs (0.963 against 0.96 on one fixture pair).
    if _ratio(min(len(a), len(b)), a, b) < REPEAT_SIMILARITY:
        return 0.0
    if round(_ratio(LCSseq.similarity(a, b), a, b), 3) < REPEAT_SIMILARITY:
        return 0.0
    return round(_ratio(difflib_matches(a, b), a, b), 3)


def difflib_matches(a: str, b: str) -> int:
    """Characters in the matching blocks of difflib.SequenceMatcher(None, a, b, autojunk=False): the same blocks,
    found with str.find in C instead of difflib's per-character loop in Python (5x faster on the fixtures' pairs).

    difflib takes the longest common block (the earliest in `a`, then in `b`), then does the same left and right of
    it; the total of the block sizes makes its ratio.
    """
    total = 0
    todo = [(0, len(a), 0, len(b))]
    while todo:
        alo, ahi, blo, bhi = todo.pop()
        i, j, k = _longest_block(a, b, alo, ahi, blo, bhi)
        if k:
            total += k
            if alo < i and blo < j:
                todo.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                todo.append((i + k, ahi, j + k, bhi))
    return total


def _longest_block(a: str, b: str, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """SequenceMatcher.find_longest_match without junk: the longest a[i:i+k] found in b[blo:bhi], i from alo."""
    besti, bestj, size = alo, blo, 0
    # Only a block longer than the best so far changes the answer: at each i, try the next longer one (find gives
    # its earliest place in b) until b lacks it, then move on; no longer block fits once i + size reaches ahi.
    i = alo
    while i + size < ahi:
        j = b.find(a[i:i + size + 1], blo, bhi)
        if j >= 0:
            besti, bestj, size = i, j, size + 1
        else:
            i += 1
    return besti, bestj, size


def _ratio(matches: int, a: str, b: str) -> float:
    """difflib's ratio for `matches` matched characters (the same float expression, so bounds compare alike)."""
    return 2.0 * matches / (len(a) + len(b))


def _same_action(a: Step, b: Step) -> float:
    return similarity(a.action, b.action) if a.tool == b.tool else 0.0


def link_steps(trace: RunTrace, acts: list[list[Activity]] | None = None) -> None:
    """Fill trace.dependencies and trace.repeats.

    DEPENDS_ON (later → earlier step, with a reason): reading, running or rewriting a file depends on its last
    writer; a check (test run, run of the agent's own code, probe of what it built) depends on the changes made
    since the previous check; retrying a failed action depends on the failed attempt. REPEATS: an action
    near-identical to the one just before it (loops, including `:` no-op commands sent again and again).
    """
    acts = acts if acts is not None else trace_activities(trace)
    deps: dict[tuple[int, int], tuple[DependencyKind, str]] = {}
    by_k: dict[int, list] = {}
    for d in trace.deltas:
        by_k.setdefault(d.k, []).append(d)
    last_writer: dict[str, int] = {}
    unchecked: list[int] = []
    built = False
    for step, step_acts in zip(trace.steps, acts):
        k = step.k
        ran = not step.is_noop and not shell_rejected(step)
        deltas = by_k.get(k, []) if ran else []
        step_acts = [a for a in step_acts if a.ran]
        for path, verb in _uses(deltas, step_acts):
            if path in last_writer and last_writer[path] != k:
                writer = last_writer[path]
                deps.setdefault((k, writer), (verb, f"{verb} {path} written at step {writer}"))
        for d in deltas:
            if d.path and d.op in (DeltaOp.modify, DeltaOp.delete) and d.path in last_writer:
                deps.setdefault((k, last_writer[d.path]), (DependencyKind.changes_again, f"changes {d.path} again "
                                                           f"(written at step {last_writer[d.path]})"))
        if any(a.act in _CHECKS and (a.act != Act.probe or built) for a in step_acts):
            for c in unchecked[-CHECKED_CHANGES:]:
                deps.setdefault((k, c), (DependencyKind.checks, f"checks the change made at step {c}"))
            unchecked = []
        for d in deltas:
            if is_file_write(d.op, d.path):
                last_writer[d.path] = k
        if any(a.act in BUILDING for a in step_acts):
            unchecked.append(k)
            built = True
    _retries(trace.steps, deps)
    trace.dependencies = [Dependency(src_k=s, dst_k=d, kind=kind, reason=r)
                          for (s, d), (kind, r) in sorted(deps.items())]
    trace.repeats = repeats_of(trace.steps)


def _uses(deltas: list, acts: list[Activity]) -> list[tuple[str, DependencyKind]]:
    """(path, reads or runs) for every file the step reads or runs, from its deltas and what its commands name."""
    out = [(d.path, DependencyKind.reads if d.op == DeltaOp.read else DependencyKind.runs) for d in deltas
           if d.path and d.op in (DeltaOp.read, DeltaOp.execute)]
    for a in acts:
        if a.act in (Act.run_own, Act.test, Act.read_own):
            verb = DependencyKind.reads if a.act == Act.read_own else DependencyKind.runs
            out += [(p, verb) for p in a.paths if p]
    return out


def _retries(steps: list[Step], deps: dict[tuple[int, int], tuple[DependencyKind, str]]) -> None:
    for i, step in enumerate(steps):
        for prev in reversed(steps[max(0, i - RETRY_WINDOW):i]):
            if prev.is_error and _same_action(prev, step) >= REPEAT_SIMILARITY:
                deps.setdefault((step.k, prev.k),
                                (DependencyKind.retries, f"retries the failed action of step {prev.k}"))
                break


def repeats_of(steps: list[Step]) -> list[Repeat]:
    """REPEATS edges for consecutive near-identical actions (same tool, similar action text)."""
    out = []
    for prev, step in zip(steps, steps[1:]):
        sim = _same_action(prev, step)
        if sim >= REPEAT_SIMILARITY:
            out.append(Repeat(src_k=step.k, dst_k=prev.k, similarity=sim))
    return out
