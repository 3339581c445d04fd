"""The Store protocol both engines fit, and what both engines share (time limit message, opening an existing graph)."""

from __future__ import annotations

from typing import Any, Protocol

from tracegraph.errors import SchemaVersionError
from tracegraph.store.plan import (
    PARTIAL_RUNS, REPLACED, REPLACED_RUNS, Statement, prune_unlinked_statements, settle_runs_statements,
)

QUERY_TIMEOUT_S = 300.0
"""Default server-side time limit of a read query."""


class Store(Protocol):
    """A Cypher graph store: atomic write plans, read-only parameterised queries, schema set-up."""

    engine: str
    """`falkordb` or `neo4j`."""
    location: str
    """Where the data lives (folder or URI), for messages."""

    def init_schema(self) -> None:
        """Create constraints and indexes from the models and record the schema version (idempotent)."""
        ...

    def execute(self, plan: list[Statement], cleanup: list[Statement] | None = None) -> None:
        """Run the statements as one unit: on failure nothing of it stays (cleanup undoes partial work)."""
        ...

    def query(self, cypher: str, params: dict[str, Any] | None = None,
              timeout: float = QUERY_TIMEOUT_S) -> list[dict[str, Any]]:
        """Run read-only Cypher; rows as dicts of plain values. Writes are refused. The server stops the query
        after `timeout` seconds (QueryError), so a runaway query never outlives its caller."""
        ...

    def shortest_path_lengths(self, src_id: str, dst_id: str, rel: str) -> int | None:
        """Hops of the shortest `rel` path between two steps (engine-specific text lives in the engine)."""
        ...

    def reset(self) -> None:
        """Delete every node and relationship."""
        ...

    def close(self) -> None:
        """Release the connection (and stop the embedded server this process started)."""
        ...


def timed_out(timeout: float) -> str:
    """The message of a query the server stopped at its time limit (same words on both engines)."""
    return f"the query ran past its {timeout:g} s time limit and was stopped (raise it with --timeout)"


def open_existing_schema(store: Store, location: str) -> bool:
    """For a store that already holds a graph: refuse another schema version, sweep runs a killed process left
    half-written (all or nothing per run), and say True. False for an empty store, which needs its schema made."""
    from tracegraph.schema import SCHEMA_VERSION

    rows = store.query("MATCH (s:SchemaInfo {id: 'schema'}) RETURN s.version AS version")
    if not rows:
        return False
    if rows[0]["version"] != SCHEMA_VERSION:
        raise SchemaVersionError(f"store {location} holds schema version {rows[0]['version']}, this tracegraph "
                                 f"writes {SCHEMA_VERSION}: run `tracegraph db reset`")
    unsettled = [r["id"] for r in store.query(PARTIAL_RUNS)]
    unsettled += [r["id"][:-len(REPLACED)] for r in store.query(REPLACED_RUNS) if r["id"].endswith(REPLACED)]
    if unsettled:
        # Shared File and Task nodes the half-written runs created would be left without edges: they go too.
        store.execute(settle_runs_statements(sorted(set(unsettled))) + prune_unlinked_statements())
    return True
