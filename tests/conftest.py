"""Shared fixtures: real fixture paths, gold records, and a `store` parametrised over both engines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.support import FIXTURES


ENGINES = ["falkordb", "neo4j"]


def _open(engine: str, tmp_path: Path):
    from tracegraph.store import open_store

    if engine == "falkordb":
        return open_store(str(tmp_path / "store"))
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("neo4j engine: NEO4J_URI is not set (start one with `docker compose up -d`)")
    store = open_store(uri)
    store.reset()
    store.init_schema()
    return store


@pytest.fixture(params=ENGINES)
def store(request, tmp_path):
    """A fresh, empty store on each engine: embedded FalkorDB always, Neo4j when NEO4J_URI is set."""
    s = _open(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def harbor_store(tmp_path_factory):
    """One embedded store loaded with every harbor-atif fixture trial (read-only use)."""
    from tracegraph.ingest import ingest_paths
    from tracegraph.store import open_store

    s = open_store(str(tmp_path_factory.mktemp("harbor") / "store"))
    ingest_paths([FIXTURES / "harbor-atif"], s)
    yield s
    s.close()

# Formats the machine's user learned must not change what the tests find: the suite starts with none.
os.environ["TRACEGRAPH_FORMATS"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"tracegraph-no-formats-{os.getpid()}")
