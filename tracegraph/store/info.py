"""Read-only views of what a store holds: counts per label, schema version, runs."""

from __future__ import annotations

from typing import Any

from tracegraph.errors import RunNotFoundError
from tracegraph.schema import LABELS, REL_SPECS, SCHEMA_VERSION
from tracegraph.store.base import Store


def db_status(store: Store) -> dict[str, Any]:
    """Engine, location, schema version, and node/relationship counts per label and type."""
    version = store.query("MATCH (s:SchemaInfo {id: 'schema'}) RETURN s.version AS v")
    nodes = {label: store.query(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"] for label in LABELS}
    rels = {rel.value: store.query(f"MATCH ()-[e:{rel.value}]->() RETURN count(e) AS c")[0]["c"] for rel in REL_SPECS}
    return {"engine": store.engine, "location": store.location,
            "schema_version": version[0]["v"] if version else None, "code_schema_version": SCHEMA_VERSION,
            "nodes": nodes, "relationships": rels}


RUNS_QUERY = """
MATCH (r:Run) WHERE r.status = 'loaded'
OPTIONAL MATCH (r)-[:HAS_DIAGNOSIS]->(d:Diagnosis)
WITH r, collect(d) AS ds
RETURN r.id AS run_id, r.name AS name, r.framework AS framework, r.model AS model, r.task_id AS task_id,
       r.outcome AS outcome, r.step_count AS steps, r.fidelity AS fidelity, r.triage AS triage,
       r.triage_reason AS triage_reason,
       [x IN ds | {method: x.method, onset_k: x.onset_k, category: x.category, onset_stage: x.onset_stage}]
         AS diagnoses
ORDER BY r.name
"""


def list_runs(store: Store) -> list[dict[str, Any]]:
    """Every loaded run with outcome, step count, fidelity, triage verdict and its diagnoses."""
    return store.query(RUNS_QUERY)


def resolve_run(store: Store, ref: str) -> str:
    """A run id from an id, a name, or a unique prefix of either."""
    rows = store.query("MATCH (r:Run) WHERE r.id = $ref OR r.name = $ref RETURN r.id AS id", {"ref": ref})
    if not rows:
        rows = store.query("MATCH (r:Run) WHERE r.id STARTS WITH $ref OR r.name STARTS WITH $ref "
                           "OR r.name CONTAINS $ref RETURN r.id AS id", {"ref": ref})
    ids = sorted({r["id"] for r in rows})
    if len(ids) != 1:
        raise RunNotFoundError(f"no run matches {ref!r}" if not ids else
                               f"{ref!r} matches {len(ids)} runs: {', '.join(ids[:5])}")
    return ids[0]
