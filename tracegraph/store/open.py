"""Open a store from a URI: the short-name → engine table and the factory (engines import base, never this)."""

from __future__ import annotations

import os
from pathlib import Path

from tracegraph.errors import StoreError
from tracegraph.store.base import Store

ENGINES = {
    "falkordb": "tracegraph.store.falkordb:EmbeddedStore",
    "neo4j": "tracegraph.store.neo4j:Neo4jStore",
}


def default_store_uri() -> str:
    """$TRACEGRAPH_STORE, then $NEO4J_URI, then ./.tracegraph (embedded)."""
    return os.environ.get("TRACEGRAPH_STORE") or os.environ.get("NEO4J_URI") or ".tracegraph"


def open_store(uri: str | None = None, create: bool = True) -> Store:
    """Open a store from a URI: neo4j:// bolt:// neo4j+s:// → Neo4j; anything else is an embedded store folder,
    made when missing only with `create`."""
    uri = uri or default_store_uri()
    if uri.split("://", 1)[0] in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        from tracegraph.store.neo4j import Neo4jStore

        store: Store = Neo4jStore(uri)
    else:
        from tracegraph.store.falkordb import EmbeddedStore

        folder = Path(uri.removeprefix("falkordb://"))
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"store path {folder} is a file, not a store folder")
        if not create and not folder.exists():
            raise StoreError(f"no store at {folder} (`tracegraph ingest` or `tracegraph db init` makes one)")
        store = EmbeddedStore(folder)
    try:
        store.init_schema()
    except BaseException:
        store.close()  # a failed open leaves no server running
        raise
    return store
