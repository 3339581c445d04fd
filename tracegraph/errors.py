"""Named errors of the library; only the CLI turns them into exit codes."""

from __future__ import annotations

from pathlib import Path


class TracegraphError(Exception):
    """Base of every error tracegraph raises on purpose."""


class IngestError(TracegraphError):
    """A run could not be read: names the file and the problem in one line."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class UnknownNameError(TracegraphError):
    """A format, engine, query or method name that does not exist; lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(sorted(valid))}")


class StoreError(TracegraphError):
    """The graph store failed or cannot be reached."""


class StoreRestartedError(StoreError):
    """The embedded server died on a write and was started again: that write left nothing behind."""


class StoreLockedError(StoreError):
    """Another process holds the embedded store."""


class SchemaVersionError(StoreError):
    """The graph was written by another schema version."""


class QueryError(TracegraphError):
    """A Cypher query failed or was refused."""


class RunNotFoundError(TracegraphError):
    """No run matches the given id or name."""
