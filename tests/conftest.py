"""Shared fixtures: real fixture paths, gold records, and a `store` parametrised over both engines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.support import FIXTURES


ENGINES = ["falkordb", "neo4j"]

SESSION_WATCHDOG_S = 45 * 60
"""The whole suite takes 6-10 minutes. A hang that pytest-timeout cannot break (a test's own timeout covers one
test, not a stuck teardown or a child it waits on) then ends the run with every thread's stack on stderr, well
inside CI's 90 minutes, instead of a silent CI timeout."""


def pytest_sessionstart(session):
    import faulthandler

    # Capture is suspended here, so fd 2 is the real stderr; a copy of it stays the terminal (or CI log) while
    # tests run with fd 2 captured.
    faulthandler.dump_traceback_later(SESSION_WATCHDOG_S, exit=True, file=os.fdopen(os.dup(2), "w"))


def _open(engine: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A fresh, empty store: embedded in `tmp_path`, or the session's Neo4j server wiped."""
    from tracegraph.store import open_store

    if engine == "falkordb":
        return open_store(str(tmp_path / "store"))
    store = open_store(request.getfixturevalue("neo4j_uri"))
    store.reset()
    store.init_schema()
    return store


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """The bundled Neo4j (scripts/neo4j.sh), started on first use and stopped when the session ends; NEO4J_URI,
    NEO4J_USER and NEO4J_PASSWORD point at it meanwhile. None when $TRACEGRAPH_TEST_NEO4J_URI names a server to
    use instead (its own NEO4J_USER / NEO4J_PASSWORD): the tests wipe it, so a plain $NEO4J_URI is never taken."""
    from tests.neo4j_server import Neo4jServer, missing_tools

    if os.environ.get("TRACEGRAPH_TEST_NEO4J_URI"):
        yield None
        return
    why_not = missing_tools()
    if why_not:
        pytest.skip(why_not)
    # C1-only JIT: a third of the start-up time on a busy machine, and the tests' queries are short.
    os.environ.setdefault("NEO4J_JAVA_OPTS", "-XX:TieredStopAtLevel=1")
    server = Neo4jServer(tmp_path_factory.mktemp("neo4j"))
    saved = {k: os.environ.get(k) for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")}
    os.environ.update(NEO4J_URI=server.uri, NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def neo4j_uri(neo4j_server) -> str:
    """The Neo4j server the tests use: the bundled one, or $TRACEGRAPH_TEST_NEO4J_URI."""
    return neo4j_server.uri if neo4j_server else os.environ["TRACEGRAPH_TEST_NEO4J_URI"]


@pytest.fixture(params=ENGINES)
def store(request, tmp_path):
    """A fresh, empty store on each engine: embedded FalkorDB, and the session's Neo4j server."""
    s = _open(request.param, tmp_path, request)
    yield s
    s.close()


@pytest.fixture(scope="session")
def harbor_store(tmp_path_factory):
    """One embedded store loaded with every harbor-atif fixture trial (read-only use)."""
    from tracegraph import ingest_paths
    from tracegraph.store import open_store

    s = open_store(str(tmp_path_factory.mktemp("harbor") / "store"))
    ingest_paths([FIXTURES / "harbor-atif"], s)
    yield s
    s.close()

# Formats the machine's user learned must not change what the tests find: the suite starts with none.
os.environ["TRACEGRAPH_FORMATS"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"tracegraph-no-formats-{os.getpid()}")
