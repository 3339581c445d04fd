"""Write a DiagnosisResult into the graph: Diagnosis node, ONSET, LABELS and PROPAGATES_TO edges."""

from __future__ import annotations

import json
import time

from tracegraph.diagnose.result import DiagnosisResult
from tracegraph.schema import Diagnosis, Edge, RelType
from tracegraph.schema.nodes import DiagnosisVerdict
from tracegraph.store import Statement, Store
from tracegraph.store.plan import edges_statements, nodes_statements


def diagnosis_id(run_id: str, method: str) -> str:
    return f"{run_id}/diagnosis/{method}"


def to_node(result: DiagnosisResult) -> Diagnosis:
    return Diagnosis(
        id=diagnosis_id(result.run_id, result.method), **result.model_dump(include=set(DiagnosisVerdict.model_fields)),
        evidence_json=json.dumps([e.model_dump() for e in result.evidence]),
        candidates_json=json.dumps([c.model_dump() for c in result.candidates]),
        created_at_ms=int(time.time() * 1000),
    )


def writeback_plan(result: DiagnosisResult) -> list[Statement]:
    """Replace this run's diagnosis of this method: delete the old node and its chain edges, write the new."""
    did = diagnosis_id(result.run_id, result.method)
    sid = lambda k: f"{result.run_id}#{k}"  # noqa: E731
    plan = [
        Statement("MATCH (:Step {run_id: $run_id})-[e:PROPAGATES_TO {diagnosis_id: $did}]->() DELETE e",
                  {"run_id": result.run_id, "did": did}),
        Statement("MATCH (d:Diagnosis {id: $did}) DETACH DELETE d", {"did": did}),
    ]
    plan += nodes_statements([to_node(result)])
    reasons = {k: e.reason for e in result.evidence for k in e.steps}
    edges = [Edge(RelType.HAS_DIAGNOSIS, result.run_id, did, {})]
    if result.onset_k is not None:
        edges.append(Edge(RelType.ONSET, did, sid(result.onset_k), {"score": result.confidence}))
    for role, ks in (("incorrect", result.incorrect_ks), ("unuseful", result.unuseful_ks),
                     ("chain", result.chain_ks)):
        edges += [Edge(RelType.LABELS, did, sid(k), {"role": role, "reason": reasons.get(k)}) for k in ks]
    edges += [Edge(RelType.PROPAGATES_TO, sid(a), sid(b), {"diagnosis_id": did})
              for a, b in zip(result.chain_ks, result.chain_ks[1:])]
    # LABELS edges differ only by role; MERGE on (a)-[:LABELS]->(b) would fold them, so each role is its own row.
    plan += [s for s in edges_statements([e for e in edges if e.type != RelType.LABELS])]
    for role in ("incorrect", "unuseful", "chain"):
        rows = [{"src": did, "dst": sid(k), "role": role, "reason": reasons.get(k)}
                for k in {"incorrect": result.incorrect_ks, "unuseful": result.unuseful_ks,
                          "chain": result.chain_ks}[role]]
        if rows:
            plan.append(Statement(
                "UNWIND $rows AS r MATCH (a:Diagnosis {id: r.src}) MATCH (b:Step {id: r.dst}) "
                "MERGE (a)-[e:LABELS {role: r.role}]->(b) SET e.reason = r.reason", {"rows": rows}))
    return plan


def write_diagnosis(store: Store, result: DiagnosisResult) -> None:
    """Store the result, replacing an earlier diagnosis of the same run and method."""
    store.execute(writeback_plan(result))
