"""The Neo4j server path under failure: the server killed mid-ingest, a re-ingest, a wrong password."""

from __future__ import annotations

import os
import time

import pytest

from tests.reliability.conftest import (
    assert_no_partial_runs, clean_counts, error_lines, graph_counts, make_copies, start_tracegraph, tracegraph,
)
from tests.support import FIXTURES
from tracegraph.store import open_store

COPIES = 30
"""Of the 15 who-and-when runs: 450 runs in two write batches; the server dies once the first is in."""


def _loaded_runs(uri: str) -> int:
    with open_store(uri) as store:
        return store.query("MATCH (r:Run) WHERE r.status = 'loaded' RETURN count(r) AS c")[0]["c"]


@pytest.mark.timeout(900)
def test_neo4j_killed_mid_ingest_is_one_line_error_and_reingest_completes(neo4j_server, tmp_path):
    """The server dies as a crash would (no shutdown, no checkpoint) while the second batch is on its way; after a
    restart on the same data the graph holds whole runs only, and a re-ingest gives what a clean ingest gives."""
    if neo4j_server is None:
        pytest.skip("kills the server: runs on the bundled Neo4j only, not on $TRACEGRAPH_TEST_NEO4J_URI")
    uri = neo4j_server.uri
    with open_store(uri) as store:
        store.reset()
    runs = make_copies(tmp_path / "runs", COPIES)
    proc = start_tracegraph("--store", uri, "ingest", str(runs))
    deadline = time.monotonic() + 300
    while _loaded_runs(uri) == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    neo4j_server.kill()
    try:
        _, stderr = proc.communicate(timeout=300)
    finally:
        neo4j_server.restart()
    assert proc.returncode != 0, "the ingest finished before the server died"
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and uri in lines[0], lines[0]
    with open_store(uri) as store:
        kept = assert_no_partial_runs(store)
    assert 0 < kept < COPIES * 15  # the first batch, whole; nothing of the one the crash cut off

    expected = clean_counts([runs], tmp_path)
    for _ in range(2):  # the second ingest changes nothing
        done = tracegraph("--store", uri, "ingest", str(runs))
        assert done.returncode == 0, done.stderr
        with open_store(uri) as store:
            assert assert_no_partial_runs(store) == COPIES * 15
            assert graph_counts(store) == expected


def test_wrong_neo4j_password_is_one_clear_line(neo4j_uri):
    done = tracegraph("--store", neo4j_uri, "runs", timeout=120,
                      env={"NEO4J_PASSWORD": "not-the-password"})
    assert done.returncode != 0
    user = os.environ.get("NEO4J_USER", "neo4j")
    assert error_lines(done.stderr) == [
        f"error: Neo4j at {neo4j_uri} refused user {user!r}: wrong NEO4J_USER or NEO4J_PASSWORD"]
