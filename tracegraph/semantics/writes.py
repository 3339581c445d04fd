"""Is this a write: the one test every stage asks (the trace tree's change steps, the diagnosis rules, reports,
mining), over state deltas and command effects alike."""

from __future__ import annotations

from tracegraph.schema.nodes import DeltaOp

WRITE_OPS = frozenset({DeltaOp.create, DeltaOp.modify, DeltaOp.delete})
"""Delta operations that change state; read and execute do not."""
CHANGE_EFFECTS = frozenset({"install", "service", "build", "download", "archive", "edit", "delete"})
"""Effects of a write that names no file but still changes the machine (git-* effects count too)."""


def is_write(op: DeltaOp, path: str | None = None, effect: str | None = None) -> bool:
    """A delta or command effect that changes state: a write op on a file, or one with a change effect (an install,
    a service, a build, a git change); `chmod` with no file named is not one we can tell."""
    return op in WRITE_OPS and (path is not None or effect in CHANGE_EFFECTS or (effect or "").startswith("git-"))


def is_file_write(op: DeltaOp, path: str | None) -> bool:
    """A write that names the file it changes."""
    return bool(path) and op in WRITE_OPS
