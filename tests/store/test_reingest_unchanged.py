"""Re-ingesting unchanged artifacts writes nothing (the runs and their diagnoses stay); --force rewrites them."""

from __future__ import annotations

from tests.reliability.conftest import graph_counts
from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run
from tracegraph import ingest_paths

TRIAL = FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz"


def test_unchanged_runs_are_not_rewritten_unless_forced(store, tmp_path):
    first = ingest_paths([TRIAL], store, workers=0, quality=False)
    assert first.unchanged == [] and len(first.runs) == 1
    run_id = first.runs[0].run_id
    diagnose_run(store, run_id)
    before = graph_counts(store)
    assert before["nodes"]["Diagnosis"] == 1

    again = ingest_paths([TRIAL], store, workers=0, quality=False)
    assert again.unchanged == [run_id] and [r.run_id for r in again.runs] == [run_id]
    assert graph_counts(store) == before  # the diagnosis stays: the run was not deleted and written again

    forced = ingest_paths([TRIAL], store, workers=0, quality=False, force=True)
    assert forced.unchanged == [] and [r.run_id for r in forced.runs] == [run_id]
    after = graph_counts(store)
    assert after["nodes"]["Diagnosis"] == 0 and after["nodes"]["Step"] == before["nodes"]["Step"]

    fewer = ingest_paths([TRIAL], store, workers=0, quality=False, limits=_limits(max_steps=3))
    assert fewer.unchanged == []  # other limits keep other steps: the run is written again
    assert store.query("MATCH (r:Run {id: $id}) RETURN r.step_count AS n", {"id": run_id}) == [{"n": 3}]


def _limits(**kw):
    from tracegraph.ingest.discover import Limits

    return Limits(**kw)
