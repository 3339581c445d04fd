"""Write plans: the parameterised Cypher that puts a run (or a diagnosis) into either engine.

Everything here stays in the Cypher subset both engines run: MERGE on the key, SET each property, one label per
node, UNWIND over uniform rows, every parameter passed (None included).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, NamedTuple

from tracegraph.schema import LABELS, REL_SPECS, NODE_MODELS, Edge, Node, RelType, RunTrace
from tracegraph.schema.keys import graph_key, indexed_text

BATCH_ROWS = 2000
"""Rows per UNWIND statement (bench/ingest.py measures the choice)."""


class Writes(NamedTuple):
    """What a node or edge statement writes, for an engine that can use knowing it: Neo4j writes a plan's edges
    between nodes the plan wrote by their element ids instead of two unique-index seeks (store/neo4j.py)."""

    label: str | None = None
    """Node statements: the label of the nodes written (rows keyed by the label's KEY)."""
    rel: RelType | None = None
    """Edge statements: the relationship type written (rows' `src` and `dst` name the ends by key)."""
    create: bool = False
    """Edge statements: CREATE (every end is new) rather than MERGE."""


class Statement(NamedTuple):
    cypher: str
    params: dict[str, Any]
    writes: Writes | None = None
    """Set on node and edge statements; an engine may ignore it."""


_PLAIN_TYPES = frozenset({int, float, bool, type(None)})


def row_value(v: Any) -> Any:
    """A property value as a row holds it: text without NUL, an enum's value, a map as JSON text."""
    t = type(v)
    if t is str:
        return v.replace("\x00", "\ufffd") if "\x00" in v else v
    if t in _PLAIN_TYPES:
        return v
    return _other_value(v)


def _other_value(v: Any) -> Any:
    if isinstance(v, str):
        # FalkorDB 4.x cuts its CYPHER parameter header at a NUL byte, so the query fails to parse.
        return v.replace("\x00", "\ufffd") if "\x00" in v else v
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, list):
        return [row_value(x) for x in v]
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


_FIELDS: dict[type[Node], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def node_fields(model: type[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A model's fields, and those of its indexed properties that may hold long text (keys are bounded already)."""
    if model not in _FIELDS:
        texts = tuple(p for p in model.INDEXED if p not in (model.KEY, "run_id")
                      and model.model_fields[p].annotation in (str, str | None))
        _FIELDS[model] = (tuple(model.model_fields), texts)
    return _FIELDS[model]


def node_row(node: Node) -> dict[str, Any]:
    fields, indexed_texts = node_fields(type(node))
    values = node.__dict__  # pydantic keeps field values here; getattr per field was a third of plan time
    row = {k: row_value(values[k]) for k in fields}
    for p in indexed_texts:
        if row[p] is not None:
            row[p] = indexed_text(row[p])
    return row


def upsert_nodes_cypher(label: str) -> str:
    model = LABELS[label]
    sets = ", ".join(f"n.{p} = r.{p}" for p in model.model_fields if p != model.KEY)
    return f"UNWIND $rows AS r MERGE (n:{label} {{{model.KEY}: r.{model.KEY}}}) SET {sets}"


def create_nodes_cypher(label: str) -> str:
    # Rows carry every field, so the map sets them all (a None leaves the property out, as SET n.p = null does).
    return f"UNWIND $rows AS r CREATE (n:{label}) SET n = r"


def upsert_edges_cypher(rel: RelType, create: bool = False, ends: str | None = None) -> str:
    """Edges between nodes named by key in `r.src` and `r.dst`; `ends`, a clause binding `a` and `b`, finds them
    another way (an engine's own, see Writes)."""
    spec = REL_SPECS[rel]
    sets = "".join(f" SET e.{p} = r.{p}" if i == 0 else f", e.{p} = r.{p}" for i, p in enumerate(spec.properties))
    ends = ends or f"MATCH (a:{spec.src} {{id: r.src}}) MATCH (b:{spec.dst} {{id: r.dst}})"
    return f"UNWIND $rows AS r {ends} {'CREATE' if create else 'MERGE'} (a)-[e:{rel.value}]->(b){sets}"


def _chunks(rows: list, size: int = BATCH_ROWS) -> Iterable[list]:
    chunk = RenderedRows if rows and isinstance(rows[0], str) else list
    for i in range(0, len(rows), size):
        yield chunk(rows[i:i + size])


class RenderedRows(list):
    """A statement's rows already rendered by the store's `render_row` (a Cypher literal each, for an engine that
    takes parameters as query text): rendered where the run was parsed, so the writing process only sends."""


class RowRenderer(NamedTuple):
    """How an engine that takes parameters as query text renders rows where a run is parsed: each node's and edge's
    row straight from the node or edge, the same text as its rendering of node_row(node) or edge_row(edge) (no dict
    in between: building the row and walking it again was half the cost of a worker's write plan)."""
    node: Callable[[Node], str]
    edge: Callable[[Edge], str]


def nodes_statements(nodes: Iterable[Node], fresh_runs: bool = False) -> list[Statement]:
    """Upsert statements per label; with `fresh_runs` (the runs' old subgraphs were just deleted) nodes owned by a
    run are created instead: CREATE skips the key lookup MERGE does and wrote runs 1.6x faster on FalkorDB."""
    return label_statements(node_rows(nodes), fresh_runs)


def node_rows(nodes: Iterable[Node], render: RowRenderer | None = None) -> dict[str, list]:
    """Label → the nodes' rows, in order; each rendered by `render` when given (see RenderedRows)."""
    by_label: dict[str, list] = defaultdict(list)
    row = render.node if render else node_row
    for node in nodes:
        by_label[node.LABEL].append(row(node))
    return by_label


def label_statements(by_label: dict[str, list], fresh_runs: bool = False) -> list[Statement]:
    out = []
    for label, rows in by_label.items():
        cypher = create_nodes_cypher(label) if fresh_runs and LABELS[label].PER_RUN else upsert_nodes_cypher(label)
        out += [Statement(cypher, {"rows": chunk}, Writes(label=label)) for chunk in _chunks(rows)]
    return out


def edges_statements(edges: Iterable[Edge], fresh_runs: bool = False) -> list[Statement]:
    """Upsert statements per type; with `fresh_runs` every edge touches a node just created, so none can exist
    yet and CREATE replaces MERGE."""
    return type_statements(edge_rows(edges), fresh_runs)


def edge_row(e: Edge) -> dict[str, Any]:
    # Endpoints name nodes by key, so they take the key form the nodes were given (a File's id is its path).
    row = {"src": graph_key(e.src), "dst": graph_key(e.dst)}
    for p in REL_SPECS[e.type].properties:
        row[p] = row_value(e.props.get(p))
    return row


def edge_rows(edges: Iterable[Edge], render: RowRenderer | None = None) -> dict[RelType, list]:
    """Relationship type → the edges' rows, in order; each rendered by `render` when given."""
    by_type: dict[RelType, list] = defaultdict(list)
    row = render.edge if render else edge_row
    for e in edges:
        by_type[e.type].append(row(e))
    return by_type


def type_statements(by_type: dict[RelType, list], fresh_runs: bool = False) -> list[Statement]:
    out = []
    for rel, rows in by_type.items():
        writes = Writes(rel=rel, create=fresh_runs)
        out += [Statement(upsert_edges_cypher(rel, create=fresh_runs), {"rows": chunk}, writes)
                for chunk in _chunks(rows)]
    return out


PER_RUN_LABELS = [m.LABEL for m in NODE_MODELS if m.PER_RUN and m.LABEL != "Run"]


def delete_runs_statements(run_ids: list[str]) -> list[Statement]:
    """Remove runs' whole subgraphs; shared File/Task nodes left without edges go too."""
    out = [Statement(f"UNWIND $ids AS rid MATCH (n:{label} {{run_id: rid}}) DETACH DELETE n", {"ids": run_ids})
           for label in PER_RUN_LABELS]
    out.append(Statement("UNWIND $ids AS rid MATCH (n:Run {id: rid}) DETACH DELETE n", {"ids": run_ids}))
    return out


def prune_orphans_statements(file_ids: list[str], task_ids: list[str]) -> list[Statement]:
    return [
        Statement("UNWIND $ids AS fid MATCH (f:File {id: fid}) OPTIONAL MATCH (f)-[e]-() "
                  "WITH f, count(e) AS degree WHERE degree = 0 DELETE f", {"ids": file_ids}),
        Statement("UNWIND $ids AS tid MATCH (t:Task {id: tid}) OPTIONAL MATCH (t)-[e]-() "
                  "WITH t, count(e) AS degree WHERE degree = 0 DELETE t", {"ids": task_ids}),
    ]


def prune_unlinked_statements() -> list[Statement]:
    """Delete every File and Task node without edges (a scan: only for sweeping up after a crash)."""
    return [Statement(f"MATCH (n:{label}) OPTIONAL MATCH (n)-[e]-() WITH n, count(e) AS degree "
                      "WHERE degree = 0 DELETE n", {}) for label in ("File", "Task")]


REPLACED = "~replaced"
"""Appended to the ids of a run's old copy while its new copy is written: the old copy comes back if that fails."""


def set_aside_statements(run_ids: list[str]) -> list[Statement]:
    """Rename each run's current copy (if any) out of the new copy's way, its Run node first (status 'replaced'),
    so a half-done rename is recognised by that Run node."""
    params = {"ids": run_ids, "suffix": REPLACED}
    out = [Statement("UNWIND $ids AS rid MATCH (r:Run {id: rid}) "
                     "SET r.id = rid + $suffix, r.run_id = rid + $suffix, r.status = 'replaced'", params)]
    out += [Statement(f"UNWIND $ids AS rid MATCH (n:{label} {{run_id: rid}}) "
                      "SET n.id = n.id + $suffix, n.run_id = rid + $suffix", params) for label in PER_RUN_LABELS]
    return out


def write_runs_plan(traces: list[RunTrace]) -> list[Statement]:
    """Replace each run's subgraph: set the old copy aside, write Run (status loading), the rest, mark it loaded,
    then delete the old copy.

    Run ids must be distinct (the ingest loads a run found twice once): runs are created, not merged. Until the
    new copy is loaded the old one stays in the graph under other ids, so a failed or killed re-ingest gives it
    back (`cleanup_runs_plan`, and `settle_runs_statements` at the next open): a run is replaced whole or not at all.
    The Run node of the new copy is written first, as the marker of that state.
    """
    return write_rows_plan([run_rows(t) for t in traces])


class RunRows(NamedTuple):
    """One run's rows of `write_runs_plan`, grouped as its statements group them (so a worker process can build
    them and the writer only concatenates): the Run node, its other nodes by label, its edges by type."""
    run_id: str
    run: list
    nodes: dict[str, list]
    edges: dict[RelType, list]


def run_rows(trace: RunTrace, render: RowRenderer | None = None) -> RunRows:
    """The run's rows for `write_rows_plan`, each rendered by `render` when given (see RenderedRows)."""
    return RunRows(trace.run_id, node_rows([trace.run], render).get("Run", []),
                   node_rows(trace.nodes()[1:], render), edge_rows(trace.edges(), render))


def write_rows_plan(runs: list[RunRows]) -> list[Statement]:
    """`write_runs_plan` of runs whose rows are built already: the same statements, the runs' rows concatenated."""
    ids = [r.run_id for r in runs]
    nodes: dict[str, list] = defaultdict(list)
    edges: dict[RelType, list] = defaultdict(list)
    for r in runs:
        for label, rows in r.nodes.items():
            nodes[label] += rows
        for rel, rows in r.edges.items():
            edges[rel] += rows
    plan = set_aside_statements(ids)
    plan += label_statements({"Run": [row for r in runs for row in r.run]}, fresh_runs=True)
    plan += label_statements(nodes, fresh_runs=True)
    plan += type_statements(edges, fresh_runs=True)
    plan.append(Statement("UNWIND $ids AS rid MATCH (r:Run {id: rid}) SET r.status = 'loaded'", {"ids": ids}))
    plan += delete_runs_statements([rid + REPLACED for rid in ids])
    return plan


def cleanup_runs_plan(traces: list[RunTrace]) -> list[Statement]:
    """After a failed `write_runs_plan`: remove what it wrote of the new copies and give the old ones back."""
    return cleanup_plan([t.run_id for t in traces], [f.id for t in traces for f in t.files()],
                        [t.task.id for t in traces if t.task])


def cleanup_plan(run_ids: list[str], file_ids: list[str], task_ids: list[str]) -> list[Statement]:
    """`cleanup_runs_plan` from the runs' ids and the File and Task ids they name."""
    return settle_runs_statements(run_ids) + prune_orphans_statements(sorted(set(file_ids)), sorted(set(task_ids)))


def settle_runs_statements(run_ids: list[str]) -> list[Statement]:
    """Finish the replacement of runs whose write stopped anywhere in `write_runs_plan`; each step holds whatever
    state the write (or an earlier settling) stopped in, so running it again after a kill is safe.

    A new copy still 'loading' goes; a set-aside copy goes if its new copy is 'loaded', else gets its ids back.
    Nodes still under the run's own id with no 'loading' Run are the old copy's, not yet set aside: they stay.
    """
    params = {"ids": run_ids, "suffix": REPLACED}
    labels = [*PER_RUN_LABELS, "Run"]  # the Run node last: it is what marks the state of the rest
    unfinished = [Statement(f"UNWIND $ids AS rid MATCH (:Run {{id: rid, status: 'loading'}}) "
                            f"MATCH (n:{label} {{run_id: rid}}) DETACH DELETE n", params) for label in labels]
    superseded = [Statement(f"UNWIND $ids AS rid MATCH (:Run {{id: rid, status: 'loaded'}}) "
                            f"MATCH (n:{label} {{run_id: rid + $suffix}}) DETACH DELETE n", params)
                  for label in labels]
    put_back = [Statement(f"UNWIND $ids AS rid OPTIONAL MATCH (now:Run {{id: rid}}) WITH rid, now WHERE now IS NULL "
                          f"MATCH (n:{label} {{run_id: rid + $suffix}}) "
                          "SET n.id = substring(n.id, 0, size(n.id) - size($suffix)), n.run_id = rid", params)
                for label in PER_RUN_LABELS]
    put_back.append(Statement("UNWIND $ids AS rid OPTIONAL MATCH (now:Run {id: rid}) WITH rid, now WHERE now IS NULL "
                              "MATCH (r:Run {id: rid + $suffix}) SET r.id = rid, r.run_id = rid, r.status = 'loaded'",
                              params))
    return unfinished + superseded + put_back


PARTIAL_RUNS = "MATCH (r:Run) WHERE r.status = 'loading' RETURN r.id AS id"
REPLACED_RUNS = "MATCH (r:Run) WHERE r.status = 'replaced' RETURN r.id AS id"

