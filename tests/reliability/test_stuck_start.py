"""A freshly started embedded server that never answers its first graph query is replaced, not waited on forever.

FalkorDB 4.16.3 sometimes deadlocks on a fresh server's first graph command; a stopped (SIGSTOP) server is the same
silence, made on purpose.
"""

from __future__ import annotations

import os
import signal

import tracegraph.store.falkordb as falkordb
from tracegraph.store.falkordb import EmbeddedStore
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
