"""The ingest's row renderer (store/falkordb.py render_row) writes the text FalkorDB's client writes for the same
row; tests/load/test_planned.py compares them on every fixture run, this on the values fixtures may lack."""

from __future__ import annotations

import pytest
from falkordb.helpers import stringify_param_value

from tracegraph.schema.nodes import StepKind
from tracegraph.store.falkordb import render_row


def test_rows_render_as_the_client_renders_them():
    rows = [
        {"id": "", "text": 'say "hi" \\ back\\slash\n\ttab \u00e9\U0001f600', "n": 0, "big": 2**70, "f": 1.5e-300,
         "nan": float("nan"), "yes": True, "no": False, "none": None},
        {"kind": StepKind.change, "kinds": [StepKind.change, "a\"b", None, 3, 2.0, True, []],
         "nested": [[1, "x"], ("t", None)], "map": {"k": "v", "n": [1]}, "raw": b"bytes"},
        {},
    ]
    for row in rows:
        assert render_row(row) == stringify_param_value(row)


@pytest.mark.parametrize("key", ["", "a`b"])
def test_a_key_the_client_refuses_is_refused_the_same_way(key):
    with pytest.raises(ValueError) as client:
        stringify_param_value({key: 1})
    with pytest.raises(ValueError) as ours:
        render_row({key: 1})
    assert str(ours.value) == str(client.value)
