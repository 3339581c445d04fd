"""The ingest's row renderer (store/falkordb.py render_node, render_edge, render_value) writes the text FalkorDB's
client writes for the same row; tests/load/test_planned.py compares them on every fixture run, this on the values
fixtures may lack."""

from __future__ import annotations

from falkordb.helpers import stringify_param_value

from tracegraph.schema import Edge, RelType
from tracegraph.schema.keys import MAX_INDEXED_BYTES
from tracegraph.schema.nodes import Diagnosis, Run, Step, StepKind, TestCase
from tracegraph.store.falkordb import render_edge, render_node, render_value
from tracegraph.store.plan import edge_row, node_row


def test_values_render_as_the_client_renders_them():
    values = ["", 'say "hi" \\ back\\slash\n\ttab \u00e9\U0001f600', 0, 2**70, 1.5e-300, float("nan"), True, False,
              None, StepKind.change, [StepKind.change, "a\"b", None, 3, 2.0, True, []], [[1, "x"], ("t", None)],
              {"k": "v", "n": [1]}, b"bytes"]
    for value in values:
        assert render_value(value) == stringify_param_value(value)


def test_nodes_render_as_the_client_renders_their_rows():
    nodes = [
        Step(id="r/1", run_id="r", k=1, tool="bash", action='echo "a\x00b" \\', thought=None, observation="é\U0001f600",
             observation_size=3, is_error=True, exit_code=-1, kind=StepKind.change),
        Run(id="r", run_id="r", name="r\x00", framework="f" * (MAX_INDEXED_BYTES + 10), source="s", outcome="failed",
            reward=0.25, extra_json='{"a": 1}'),
        TestCase(id="r/t", run_id="r", name="ü" * MAX_INDEXED_BYTES, status="failed", message=None),
        Diagnosis(id="r/d", run_id="r", method="heuristic", category="premature_stop", incorrect_ks=[2, 3],
                  notes=['a "note"', "x\x00"], confidence=1.0),
    ]
    for node in nodes:
        assert render_node(node) == stringify_param_value(node_row(node)), type(node).__name__


def test_edges_render_as_the_client_renders_their_rows():
    edges = [Edge(RelType.NEXT, "r/1", "r/2", {}),
             Edge(RelType.DEPENDS_ON, "r/2", "r/1", {"kind": "reads", "reason": 'reads "a\x00" written at step 1'}),
             Edge(RelType.REPEATS, "r/3", "r/2", {"similarity": 0.925}),
             Edge(RelType.WRITES, "r/1", "/tmp/a b\tc ", {"op": "modify"})]
    for edge in edges:
        assert render_edge(edge) == stringify_param_value(edge_row(edge)), edge.type
