"""One Store interface over two Cypher engines: embedded FalkorDB (default) and a Neo4j server."""

from tracegraph.store.base import Store
from tracegraph.store.open import ENGINES, default_store_uri, open_store
from tracegraph.store.plan import Statement

__all__ = ["ENGINES", "Store", "Statement", "default_store_uri", "open_store"]
