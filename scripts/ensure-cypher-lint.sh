#!/usr/bin/env bash
# Install Neo4j's Cypher analyser (npm package, pinned in tests/neo4j_dialect) for the Neo4j dialect test.
# Allowed to fail (no node, no registry): the test then skips and says why.
set -u
cd "$(dirname "$0")/../tests/neo4j_dialect" || exit 1
if [ -d node_modules/@neo4j-cypher/language-support ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-cypher-lint: no npm here; the Neo4j dialect test will be skipped" >&2
    exit 1
fi
if ! npm ci --silent --no-audit --no-fund >/dev/null 2>&1; then
    echo "ensure-cypher-lint: npm could not install the analyser; the Neo4j dialect test will be skipped" >&2
    exit 1
fi
