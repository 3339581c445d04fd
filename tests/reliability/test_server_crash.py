"""A crashing embedded server costs the ingest one run, never a wait or the disk: it writes no core dump, and one
that logged its crash but lingers is killed and counted dead.

Where core dumps are on (`ulimit -c unlimited`, as on some CI machines), each FalkorDB crash used to write a 150 MB
core into the store folder; a slow disk made the crash outlast the 5 s the ingest waits for the dead server.
"""

from __future__ import annotations

import os
import resource
import signal

import tracegraph.store.falkordb as falkordb
from tracegraph.store.falkordb import EmbeddedStore


def _core_limit(pid: int) -> str:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max core file size"):
            return line.split()[4]
    raise AssertionError(f"no core limit for {pid}")


def test_the_server_writes_no_core_even_where_core_dumps_are_on(tmp_path):
    before = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (before[1], before[1]))
    try:
        with EmbeddedStore(tmp_path / "store") as store:
            assert _core_limit(store._server.pid) == "0"
            assert _core_limit(os.getpid()) != "0"  # tracegraph's own limit is left as the user set it
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, before)


def test_a_server_that_logged_its_crash_but_lingers_is_killed_and_counted_dead(tmp_path, monkeypatch):
    with EmbeddedStore(tmp_path / "store") as store:
        server = store._server
        os.kill(server.pid, signal.SIGSTOP)  # alive and silent: the answer to "has it exited" is no
        monkeypatch.setattr(falkordb, "SERVER_EXIT_TIMEOUT_S", 0.5)
        assert not store._server_exited()
        with open(store.folder / "server.log", "a") as log:  # what redis writes first when it crashes
            log.write(f"{server.pid}:M 05 Dec 2026 12:00:00.000 # Redis 8.2.3 crashed by signal: 11, si_code: 1\n")
        assert store._server_exited()
        assert server.returncode == -signal.SIGKILL
        store._revive()
        assert store.query("RETURN 1 AS one") == [{"one": 1}]


def test_closing_a_store_whose_server_is_stuck_ends_and_kills_it(tmp_path, monkeypatch):
    """FalkorDB 4.16.3 can deadlock (see test_stuck_start.py); a stopped server is the same silence. Closing then
    gives up on the housekeeping (the log still holds every write) and kills the server instead of waiting forever."""
    monkeypatch.setattr(falkordb, "CONTROL_TIMEOUT_S", 0.5)
    monkeypatch.setattr(falkordb, "STOP_TIMEOUT_S", 0.5)
    store = EmbeddedStore(tmp_path / "store")
    store.graph.query("CREATE (:Probe {n: 1})")
    server = store._server
    os.kill(server.pid, signal.SIGSTOP)
    store.close()
    assert server.returncode == -signal.SIGKILL
    with EmbeddedStore(tmp_path / "store") as again:  # the write is still there, from the log
        assert again.query("MATCH (p:Probe) RETURN p.n AS n") == [{"n": 1}]
