"""Runs planned where they were parsed (load/planned.py) give the write plan the writer made itself: the same
statements for a batch of every fixture run, rows rendered as FalkorDB's client renders them, the same cleanup."""

from __future__ import annotations

from falkordb.helpers import stringify_param_value

from tests.support import FIXTURES
from tracegraph.ingest.discover import Limits, discover
from tracegraph.ingest.quality import step_rows
from tracegraph.load.planned import cleanup, planner_for, write_plan
from tracegraph.load.prepare import prepare_units
from tracegraph.store.falkordb import EmbeddedStore
from tracegraph.store.plan import RenderedRows, cleanup_runs_plan, write_runs_plan


class _TakesParameters:
    """A store without a row renderer (as the Neo4j store): rows travel as they are."""


def test_a_batch_planned_in_workers_is_the_plan_of_the_batch():
    units = discover([FIXTURES]).units
    traces = [t for t, _ in prepare_units(units, Limits(), [], workers=0)]
    expected = write_runs_plan(traces)
    assert len(traces) > 50 and len(expected) > 20

    as_dicts = list(prepare_units(units, Limits(), [], workers=2, then=planner_for(_TakesParameters(), True)))
    assert [(s.cypher, s.params) for s in write_plan(as_dicts)] == [(s.cypher, s.params) for s in expected]
    assert cleanup(as_dicts) == cleanup_runs_plan(traces)
    assert [row for run in as_dicts for row in run.quality_rows] == step_rows(traces)
    assert [r.loaded_as for r in as_dicts] == [(t.run.content_hash, t.run.reader_revision, len(t.steps))
                                               for t in traces]

    rendered = write_plan(list(prepare_units(units, Limits(), [], workers=2,
                                             then=planner_for(EmbeddedStore, False))))
    assert [s.cypher for s in rendered] == [s.cypher for s in expected]
    for got, want in zip(rendered, expected):
        if "rows" in want.params:
            assert type(got.params["rows"]) is RenderedRows
            assert "[" + ",".join(got.params["rows"]) + "]" == stringify_param_value(want.params["rows"])
        else:
            assert got.params == want.params
