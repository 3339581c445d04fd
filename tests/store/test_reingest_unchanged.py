"""Re-ingesting unchanged artifacts writes nothing (the runs and their diagnoses stay); --force rewrites them."""

from __future__ import annotations

from tests.reliability.conftest import graph_counts
from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run
from tracegraph import ingest_paths
from tracegraph.store.plan import Statement
from tracegraph.ingest.revision import PACKAGE, READER_PARTS, reader_revision

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


def test_runs_read_by_other_code_are_read_again(store):
    """After an upgrade the same artifacts are parsed, triaged and staged by new code: a run stored by other code
    (another reader revision, or none: a store from before revisions were kept) is written again, so its triage
    verdict and steps are what the running code makes of them; unchanged runs read by this code stay."""
    other = FIXTURES / "harbor-atif" / "sanitize-git-repo__tVYCtFW"
    first = ingest_paths([TRIAL, other], store, workers=0, quality=False)
    by_name = {r.name: r.run_id for r in first.runs}
    stale, kept = by_name[TRIAL.name], by_name[other.name]
    assert store.query("MATCH (r:Run {id: $id}) RETURN r.reader_revision AS v", {"id": stale}) == [
        {"v": reader_revision()}]
    for run_id in (stale, kept):
        diagnose_run(store, run_id)
    # What an older tracegraph left: another revision on one run, a stale verdict it gave.
    store.execute([Statement("MATCH (r:Run {id: $id}) SET r.reader_revision = $old, r.triage = 'agent_timed_out'",
                             {"id": stale, "old": "0123456789ab"})])

    again = ingest_paths([TRIAL, other], store, workers=0, quality=False)
    assert again.unchanged == [kept]
    rows = store.query("MATCH (r:Run {id: $id}) OPTIONAL MATCH (d:Diagnosis {run_id: $id}) "
                       "RETURN r.reader_revision AS v, r.triage AS triage, count(d) AS diagnoses", {"id": stale})
    verdict = next(r.triage for r in first.runs if r.run_id == stale)
    assert verdict != "agent_timed_out"
    assert rows == [{"v": reader_revision(), "triage": verdict, "diagnoses": 0}]
    assert store.query("MATCH (d:Diagnosis {run_id: $id}) RETURN count(d) AS n", {"id": kept}) == [{"n": 1}]

    store.execute([Statement("MATCH (r:Run {id: $id}) REMOVE r.reader_revision", {"id": kept})])  # a pre-revision store
    assert ingest_paths([TRIAL, other], store, workers=0, quality=False).unchanged == [stale]


def test_the_reader_revision_covers_the_reader_and_only_the_reader():
    files = {p.relative_to(PACKAGE).as_posix() for part in READER_PARTS for p in
             ((PACKAGE / part).rglob("*.py") if (PACKAGE / part).is_dir() else [PACKAGE / part])}
    assert {"ingest/triage.py", "semantics/shell.py", "tree/__init__.py", "load/pipeline.py",
            "store/plan.py", "schema/nodes.py"} <= files
    assert not any(f.startswith(("diagnose/", "queries/", "report/", "mine/")) for f in files)
    assert len(reader_revision()) == 12 and reader_revision() == reader_revision()


def _limits(**kw):
    from tracegraph.ingest.discover import Limits

    return Limits(**kw)
