"""A runaway read query is stopped by the store itself at its time limit, on both engines and from the CLI."""

from __future__ import annotations

import json

import pytest

from tests.reliability.conftest import WHO_AND_WHEN, error_lines, tracegraph
from tracegraph.errors import QueryError
from tracegraph import ingest_paths

RUNAWAY = "MATCH (a), (b), (c) WHERE a.id <> c.id RETURN count(*) AS n"
"""A cartesian product: over 1e8 rows over the hand-crafted Who&When runs, minutes of work for either engine (the
filter keeps Neo4j from answering a bare count(*) from its count store in 0.1 s)."""


def test_runaway_query_is_stopped_at_its_time_limit(store):
    report = ingest_paths([WHO_AND_WHEN / "hand-crafted"], store)
    assert not report.errors
    with pytest.raises(QueryError, match=r"ran past its 0\.5 s time limit and was stopped"):
        store.query(RUNAWAY, timeout=0.5)
    assert store.query("MATCH (r:Run) RETURN count(r) AS n") == [{"n": len(report.runs)}]  # it still answers


def test_query_command_takes_a_timeout(tmp_path):
    store_dir = str(tmp_path / "store")
    assert tracegraph("--store", store_dir, "ingest", str(WHO_AND_WHEN / "hand-crafted")).returncode == 0
    done = tracegraph("--store", store_dir, "query", RUNAWAY, "--timeout", "0.5")
    assert done.returncode != 0
    assert error_lines(done.stderr) == [
        "error: the query ran past its 0.5 s time limit and was stopped (raise it with --timeout)"]
    done = tracegraph("--store", store_dir, "query", "MATCH (r:Run) RETURN count(r) AS n", "--timeout", "30",
                      "--json")
    assert done.returncode == 0 and json.loads(done.stdout)[0]["n"] > 0
