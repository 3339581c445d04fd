"""Stage segmentation (tree.stages): Viterbi shape, and stages that tile a parsed run."""

from __future__ import annotations

from tests.support import FIXTURES
from tracegraph.evaluate.stages import parse_source
from tracegraph.schema import StageLabel
from tracegraph.tree.stages import viterbi

X, I = StageLabel.exploration, StageLabel.implementation


def test_viterbi_absorbs_weak_islands_and_keeps_strong_ones():
    weak = [{X: 1.5}, {X: 1.5}, {I: 0.5}, {X: 1.5}, {X: 1.5}]
    assert viterbi(weak, penalty=1.2) == [X, X, X, X, X]
    strong = [{X: 1.5}, {X: 1.5}, {I: 2.0}, {I: 2.0}, {X: 1.5}]
    assert viterbi(strong, penalty=1.2) == [X, X, I, I, X]
    assert viterbi([], penalty=1.2) == []


def test_stages_are_contiguous_and_cover_every_step():
    trace = parse_source(FIXTURES / "harbor-atif/install-windows-3.11__sVtnj8d")
    assert trace.stages[0].start_k == 1 and trace.stages[-1].end_k == len(trace.steps)
    for a, b in zip(trace.stages, trace.stages[1:]):
        assert b.start_k == a.end_k + 1 and a.label != b.label
    for st in trace.stages:
        assert all(trace.step(k).stage == st.label and trace.step(k).stage_ordinal == st.ordinal
                   for k in range(st.start_k, st.end_k + 1))
