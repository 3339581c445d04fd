"""A store whose snapshot FalkorDB 4.16.3 cannot read back still opens, with every node, across restarts.

FalkorDB writes a value of 255,993 to 256,000 bytes into a snapshot in a form its reader misreads (see
tracegraph/store/falkordb_snapshot.py); the two shapes below are the smallest stores that hit it.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.support import live_children
import tracegraph.store.falkordb_snapshot as snapshot
from tracegraph.store import open_store
from tracegraph.store.plan import Statement

SHAPES = {
    # 255,999 characters and the closing NUL: a 256,000-byte string property.
    "text-of-255999-characters": Statement("CREATE (:Pad {v: $v})", {"v": "x" * 255_999}),
    # 64,000 distinct (source, target) pairs: a 256,000-byte array of 4-byte row indices in the adjacency matrix.
    "64000-edges": Statement("UNWIND range(1, 64000) AS i CREATE (:Pad {i: i})-[:R]->(:Pad)", {}),
}
WRITES_OUT_OF_THE_WINDOW = {
    "text-of-255999-characters": Statement("MATCH (n:Pad) SET n.v = n.v + 'y'", {}),
    "64000-edges": Statement("CREATE (:Pad {i: -1})-[:R]->(:Pad)", {}),
}


def _contents(store) -> dict:
    row = store.query("MATCH (n:Pad) OPTIONAL MATCH (n)-[r:R]->() "
                      "RETURN count(DISTINCT n) AS nodes, count(r) AS edges, max(size(n.v)) AS longest")[0]
    return row


def _crashes_logged(folder) -> int:
    return (folder / "server.log").read_text(errors="replace").count("REDIS BUG REPORT START")


def _no_leftovers(folder) -> None:
    assert not (folder / snapshot.KEPT_DIR).exists()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(snapshot.LOG_DIR)) == [snapshot.LOG_DIR]
    assert [pid for pid, cmd in live_children(os.getpid()) if b"redis-server" in cmd] == []


@pytest.mark.parametrize("shape", SHAPES)
def test_store_whose_snapshot_cannot_be_read_opens_again_and_folds_after_its_next_write(tmp_path, shape):
    folder = tmp_path / "store"
    with open_store(str(folder)) as store:
        store.execute([SHAPES[shape]])
        written = _contents(store)
    assert _crashes_logged(folder) == 1  # the throwaway server, on the snapshot that would have lost the store
    assert (folder / snapshot.REFUSED_FILE).exists()
    _no_leftovers(folder)

    for _ in range(2):  # and across restarts, without folding (and crashing a check) again
        with open_store(str(folder)) as store:
            assert _contents(store) == written
        assert _crashes_logged(folder) == 1
        _no_leftovers(folder)

    with open_store(str(folder)) as store:
        store.execute([WRITES_OUT_OF_THE_WINDOW[shape]])
        grown = _contents(store)
    assert not (folder / snapshot.REFUSED_FILE).exists()
    with open_store(str(folder)) as store:
        assert _contents(store) == grown
        assert not store._log_replayed()  # loaded from the new snapshot
    _no_leftovers(folder)


def test_process_killed_while_checking_a_snapshot_leaves_a_store_that_opens(tmp_path):
    folder = tmp_path / "store"
    store = open_store(str(folder))
    store.execute([SHAPES["text-of-255999-characters"]])
    written = _contents(store)
    snapshot.keep_log(folder)
    store._compact(force=True)  # the unreadable snapshot is in place; then tracegraph dies (its server lives on)
    store._lock_fh.close()
    try:
        with open_store(str(folder)) as again:
            assert _contents(again) == written
        with open_store(str(folder)) as again:
            assert _contents(again) == written
    finally:
        if store._server.poll() is None:
            os.kill(store._server.pid, signal.SIGKILL)
        store._server.wait()
    _no_leftovers(folder)
