"""Write mined patterns into the graph: Pattern nodes, EXHIBITS edges from runs and MATCHES edges to steps."""

from __future__ import annotations

import json

from tracegraph.mine.patterns import MinedPattern
from tracegraph.schema import Edge, Pattern, RelType
from tracegraph.store import Statement, Store
from tracegraph.store.plan import edges_statements, nodes_statements


def step_node_id(run_id: str, k: int) -> str:
    """A Step node's id, as ingest/builder.py gives it."""
    return f"{run_id}#{k}"


def to_node(pattern: MinedPattern, rank: int) -> Pattern:
    return Pattern(id=pattern.id, kind=pattern.kind, signature=pattern.signature, features=pattern.features,
                   statement=pattern.statement, support=pattern.support, support_solved=pattern.support_solved,
                   confidence=pattern.confidence, lift=pattern.lift, p_value=pattern.p_value,
                   q_value=pattern.q_value, explained=pattern.explained, rank=rank,
                   holders_json=json.dumps([h.model_dump() for h in pattern.holders]),
                   example_run_id=pattern.example_run_id)


def patterns_plan(patterns: list[MinedPattern]) -> list[Statement]:
    """Delete all Pattern nodes, then write these with an EXHIBITS edge from every run that shows each and a
    MATCHES edge to every step it matched."""
    plan = [Statement("MATCH (p:Pattern) DETACH DELETE p", {})]
    plan += nodes_statements(to_node(p, i) for i, p in enumerate(patterns, start=1))
    onset = {(p.id, rid) for p in patterns for rid in p.onset_run_ids}
    plan += edges_statements(
        Edge(RelType.EXHIBITS, run_id, p.id, {"outcome": outcome, "at_onset": (p.id, run_id) in onset})
        for p in patterns for outcome, ids in (("failed", p.run_ids), ("solved", p.solved_run_ids)) for run_id in ids)
    plan += edges_statements(Edge(RelType.MATCHES, p.id, step_node_id(run_id, k), {})
                             for p in patterns for run_id, ks in p.steps.items() for k in ks)
    return plan


def write_patterns(store: Store, patterns: list[MinedPattern]) -> None:
    """Replace the stored patterns with these, as one unit."""
    store.execute(patterns_plan(patterns))
