"""Neo4j server store through the official `neo4j` driver: one transaction per write plan."""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from tracegraph.errors import QueryError, StoreError
from tracegraph.schema import LABELS, REL_SPECS, RelType
from tracegraph.store.base import QUERY_TIMEOUT_S, open_existing_schema, timed_out
from tracegraph.store.plan import Statement, upsert_edges_cypher


RESET_CYPHER = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
"""Deletes everything in batches (one transaction for a large graph would exhaust the server's memory)."""


def shortest_path_cypher(rel: str) -> str:
    """Hops from $src to $dst along `rel` edges (the relationship type is checked against the schema first)."""
    return (f"MATCH (a:Step {{id: $src}}), (b:Step {{id: $dst}}) "
            f"MATCH p = shortestPath((a)-[:{rel}*]->(b)) RETURN length(p) AS hops")


def _quiet_driver_log() -> None:
    """neo4j 5 logs a failed routing lookup as an error of its own before raising; with no logging configured Python
    prints it to stderr, which turned "server down" into two lines. Configured logging still receives it. Set when a
    store opens, once, not at import."""
    log = logging.getLogger("neo4j")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())


class Neo4jStore:
    """A Neo4j 5 server; credentials from NEO4J_USER / NEO4J_PASSWORD, database from NEO4J_DATABASE."""

    engine = "neo4j"

    def __init__(self, uri: str) -> None:
        import neo4j
        from neo4j.exceptions import AuthError, ServiceUnavailable

        _quiet_driver_log()
        self.location = uri
        self.database = os.environ.get("NEO4J_DATABASE") or None
        user = os.environ.get("NEO4J_USER", "neo4j")
        auth = (user, os.environ.get("NEO4J_PASSWORD", "tracegraph"))
        try:
            # Notifications off: "label does not exist" hints about an empty graph only cost traffic and log lines.
            self._driver = neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=10,
                                                      max_transaction_retry_time=15,
                                                      notifications_min_severity="OFF")
            self._driver.verify_connectivity()
        except AuthError:
            self._driver.close()
            raise StoreError(f"Neo4j at {uri} refused user {user!r}: wrong NEO4J_USER or NEO4J_PASSWORD") from None
        except (ServiceUnavailable, OSError, ValueError) as exc:
            raise StoreError(f"cannot reach Neo4j at {uri}: {_one_line(exc)}") from None

    def _session(self, write: bool):
        import neo4j

        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def init_schema(self) -> None:
        from neo4j.exceptions import ClientError

        from tracegraph.schema import SCHEMA_VERSION
        from tracegraph.schema.ddl import neo4j_statements

        if open_existing_schema(self, self.location):
            return
        try:
            with self._session(write=True) as session:
                # One managed transaction each (schema commands cannot share one with data writes); managed, so
                # the deadlock two processes setting up the same empty server can hit is retried, not fatal.
                for stmt in neo4j_statements():
                    try:
                        session.execute_write(lambda tx, stmt=stmt: tx.run(stmt).consume())
                    except ClientError as exc:
                        # IF NOT EXISTS checks before it creates: the other process made the same rule meanwhile.
                        if not exc.code or "AlreadyExists" not in exc.code:
                            raise
                session.execute_write(lambda tx: tx.run("MERGE (s:SchemaInfo {id: 'schema'}) SET s.version = $v",
                                                        v=SCHEMA_VERSION).consume())
        except Exception as exc:
            raise StoreError(f"schema set-up on {self.location} failed: {_one_line(exc)}") from None

    def execute(self, plan: list[Statement], cleanup: list[Statement] | None = None) -> None:
        # One managed transaction: Neo4j rolls the whole plan back on failure, so `cleanup` is not needed.
        try:
            with self._session(write=True) as session:
                session.execute_write(run_plan, plan)
        except Exception as exc:
            raise StoreError(f"write to {self.location} failed: {_one_line(exc)}") from None

    def query(self, cypher: str, params: dict[str, Any] | None = None,
              timeout: float = QUERY_TIMEOUT_S) -> list[dict[str, Any]]:
        from neo4j import unit_of_work
        from neo4j.exceptions import ServiceUnavailable, SessionExpired

        @unit_of_work(timeout=timeout)  # a transaction timeout: the server stops the query
        def work(tx):
            return [dict(r) for r in tx.run(cypher, params or {})]

        try:
            with self._session(write=False) as session:
                rows = session.execute_read(work)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j at {self.location} went away: {_one_line(exc)}") from None
        except Exception as exc:
            if "TransactionTimedOut" in str(getattr(exc, "code", "")):
                raise QueryError(timed_out(timeout)) from None
            raise QueryError(_one_line(exc)) from None
        return [{k: _plain(v) for k, v in row.items()} for row in rows]

    def shortest_path_lengths(self, src_id: str, dst_id: str, rel: str) -> int | None:
        from tracegraph.schema import RelType

        rows = self.query(shortest_path_cypher(RelType(rel).value), {"src": src_id, "dst": dst_id})
        return rows[0]["hops"] if rows else None

    def reset(self) -> None:
        try:
            with self._session(write=True) as session:
                session.run(RESET_CYPHER).consume()
        except Exception as exc:
            raise StoreError(f"reset of {self.location} failed: {_one_line(exc)}") from None

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ELEMENT_ID_ENDS = "MATCH (a) WHERE elementId(a) = r.src MATCH (b) WHERE elementId(b) = r.dst"
"""Edge ends found by element id (Neo4j only: FalkorDB has id() alone, which Neo4j 5 deprecates)."""


@functools.cache
def nodes_returning_ids_cypher(cypher: str, label: str) -> str:
    """A node statement that also returns `[key, elementId(n)]` of every node it wrote."""
    return f"{cypher} RETURN collect([r.{LABELS[label].KEY}, elementId(n)]) AS ids"


@functools.cache
def edges_by_element_id_cypher(rel: RelType, create: bool) -> str:
    return upsert_edges_cypher(rel, create=create, ends=ELEMENT_ID_ENDS)


def run_plan(tx, plan: list[Statement]) -> None:
    """Run a write plan in `tx`; edges between nodes the plan wrote go by element id instead of two unique-index
    seeks per row (Neo4j 5.26, one copy of the fixtures, same server: median pass 0.66 s by key, 0.52 s by element
    id). Node statements return their nodes' element ids; an edge row whose ends were not both written here goes by
    key. Ids are forgotten at any other statement (it may delete nodes)."""
    ids: dict[tuple[str, Any], str] = {}
    for stmt in plan:
        writes = stmt.writes
        if writes is None:
            ids.clear()
            tx.run(stmt.cypher, stmt.params).consume()
        elif writes.label is not None:
            pairs = tx.run(nodes_returning_ids_cypher(stmt.cypher, writes.label), stmt.params).single()[0]
            ids.update(((writes.label, key), node) for key, node in pairs)
        else:
            spec = REL_SPECS[writes.rel]
            by_id, by_key = [], []
            for row in stmt.params["rows"]:
                a, b = ids.get((spec.src, row["src"])), ids.get((spec.dst, row["dst"]))
                if a is None or b is None:
                    by_key.append(row)
                else:
                    by_id.append({**row, "src": a, "dst": b})
            if by_id:
                tx.run(edges_by_element_id_cypher(writes.rel, writes.create), {"rows": by_id}).consume()
            if by_key:
                tx.run(stmt.cypher, {"rows": by_key}).consume()


def _plain(value: Any) -> Any:
    if type(value) is float:
        # FalkorDB returns doubles with 15 significant digits; the same here, so both engines give equal answers.
        return float(f"{value:.15g}")
    if hasattr(value, "items") and hasattr(value, "element_id"):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500]
