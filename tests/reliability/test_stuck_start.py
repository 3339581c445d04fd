"""A freshly started embedded server that never answers its first graph query is replaced, not waited on forever.

FalkorDB 4.16.3 sometimes deadlocks on a fresh server's first graph command; a stopped (SIGSTOP) server is the same
silence, made on purpose.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import tracegraph.store.falkordb as falkordb
import tracegraph.store.falkordb_snapshot as snapshot
from tracegraph.store.falkordb import EmbeddedStore
from tracegraph.store.falkordb_process import server_program
from tracegraph.store.plan import Statement


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not open(f"/proc/{pid}/stat").read().split(") ")[1].startswith("Z")


def test_a_silent_server_is_told_from_an_answering_one(tmp_path):
    with EmbeddedStore(tmp_path / "store") as store:
        os.kill(store._server.pid, signal.SIGSTOP)
        try:
            assert not store._answers_graph_queries(0.5)
        finally:
            os.kill(store._server.pid, signal.SIGCONT)
        assert store._answers_graph_queries(10.0)


def test_a_server_silent_on_its_first_query_is_started_again(tmp_path, monkeypatch):
    started: list[int] = []
    start_once = EmbeddedStore._start_server_once

    def start_then_freeze_the_first(self):
        client = start_once(self)
        started.append(self._server.pid)
        if len(started) == 1:
            os.kill(self._server.pid, signal.SIGSTOP)
        return client

    monkeypatch.setattr(falkordb, "FIRST_QUERY_TIMEOUT_S", 0.5)
    monkeypatch.setattr(EmbeddedStore, "_start_server_once", start_then_freeze_the_first)
    with EmbeddedStore(tmp_path / "store") as store:
        store.init_schema()
        store.execute([Statement("CREATE (:Probe {id: $id})", {"id": "p"})])
        assert store.query("MATCH (p:Probe) RETURN p.id AS id") == [{"id": "p"}]
        assert len(started) == 2 and not _alive(started[0]) and _alive(started[1])


SILENT_FIRST = """#!/bin/sh
# The first $SILENT check servers hang before they open their socket (stopped), the rest start normally.
n=$(cat "$COUNT" 2>/dev/null || echo 0)
echo $((n + 1)) > "$COUNT"
echo $$ >> "$PIDS"
if [ "$n" -lt "$SILENT" ]; then kill -STOP $$; fi
exec "$@"
"""


def _small_snapshot(tmp_path: Path) -> Path:
    with EmbeddedStore(tmp_path / "store") as store:
        store.init_schema()
        store.execute([Statement("CREATE (:Probe {id: $id})", {"id": "p"})])
    rdb = snapshot.snapshot_base(tmp_path / "store")
    assert rdb is not None and rdb.suffix == ".rdb"
    return rdb


@pytest.mark.parametrize("silent, verdict", [(1, True), (2, False)])
def test_a_silent_snapshot_check_server_is_replaced_then_given_up(tmp_path, monkeypatch, silent, verdict):
    """The check that a fresh snapshot loads runs on a throwaway server: one that hangs is killed and the check made
    on a fresh one; when every attempt hangs the snapshot counts as unproven (the log is kept), never a close that
    waits forever."""
    rdb = _small_snapshot(tmp_path)
    wrapper = tmp_path / "silent-first.sh"
    wrapper.write_text(SILENT_FIRST)
    wrapper.chmod(0o700)
    monkeypatch.setenv("SILENT", str(silent))
    monkeypatch.setenv("COUNT", str(tmp_path / "count"))
    monkeypatch.setenv("PIDS", str(tmp_path / "pids"))
    monkeypatch.setattr(snapshot, "_may_hold_unreadable_value", lambda _: True)  # check this small one too
    monkeypatch.setattr(snapshot, "CHECK_SOCKET_TIMEOUT_S", 2.0)
    server = [str(wrapper), *server_program()]
    assert snapshot.snapshot_loads(rdb, server, "check-secret", tmp_path / "check.log") is verdict
    pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
    assert len(pids) == (2 if verdict else snapshot.CHECK_ATTEMPTS) and not any(_alive(p) for p in pids)
