"""Export diagnoses in CodeTracer's CodeTraceBench label format."""

from __future__ import annotations

from typing import Any

from tracegraph.store import Store


def codetracebench_labels(store: Store, method: str = "heuristic") -> list[dict[str, Any]]:
    """Per run: run_id and the stage list [{stage_id, incorrect_step_ids, unuseful_step_ids, reasoning}]."""
    rows = store.query(
        "MATCH (r:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method}) "
        "RETURN r.id AS run_id, r.name AS name, d.incorrect_ks AS incorrect, d.unuseful_ks AS unuseful, "
        "d.reasoning AS reasoning, d.onset_k AS onset, d.category AS category ORDER BY run_id", {"method": method})
    out = []
    for row in rows:
        stages = store.query("MATCH (s:Stage {run_id: $id}) RETURN s.ordinal AS stage_id, s.label AS label, "
                             "s.start_k AS start, s.end_k AS end ORDER BY stage_id", {"id": row["run_id"]})
        inc, unu = set(row["incorrect"] or []), set(row["unuseful"] or [])
        labels = []
        for st in stages:
            ks = set(range(st["start"], st["end"] + 1))
            if ks & (inc | unu):
                labels.append({"stage_id": st["stage_id"], "incorrect_step_ids": sorted(ks & inc),
                               "unuseful_step_ids": sorted(ks & unu), "reasoning": row["reasoning"]})
        out.append({"run_id": row["run_id"], "name": row["name"], "onset_step_id": row["onset"],
                    "category": row["category"], "labels": labels})
    return out
