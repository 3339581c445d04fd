"""A store written by another schema version is refused with a way out; a current one opens as it is."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES
from tracegraph.errors import SchemaVersionError
from tracegraph import ingest_paths
from tracegraph.schema import SCHEMA_VERSION
from tracegraph.store.info import db_status
from tracegraph.store.plan import Statement


def test_other_schema_version_is_refused_and_reset_recovers(store):
    store.execute([Statement("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = $v", {"v": SCHEMA_VERSION + 1})])
    with pytest.raises(SchemaVersionError, match=f"schema version {SCHEMA_VERSION + 1}.*tracegraph db reset"):
        store.init_schema()
    store.reset()
    store.init_schema()
    assert db_status(store)["schema_version"] == SCHEMA_VERSION


def test_reopening_a_current_store_keeps_its_runs(store):
    ingest_paths([FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz"], store)
    before = db_status(store)
    store.init_schema()
    assert db_status(store) == before
