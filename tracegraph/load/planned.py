"""A run as the writer needs it, built in the process that parsed it: its summary, its write-plan rows (rendered as
query text for a store that takes parameters that way), its quality-gate rows and what the re-ingest check reads.

The writing process then only concatenates rows and sends: the plan and its rendering were a third of its CPU, and
a RunTrace cost more to pickle and unpickle than its rendered rows.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tracegraph.ingest.quality import step_rows
from tracegraph.load.prepare import RunSummary
from tracegraph.schema import RunTrace
from tracegraph.store.plan import RowRenderer, RunRows, Statement, cleanup_plan, run_rows, write_rows_plan


class PlannedRun(NamedTuple):
    summary: RunSummary
    rows: RunRows
    loaded_as: tuple[str | None, str | None, int]
    """Content hash, reader revision and step count: a stored run with the same three is not written again."""
    file_ids: list[str]
    task_id: str | None
    quality_rows: list[tuple] | None
    """The run's step table for the quality gate (None when the ingest checks no quality)."""

    @property
    def run_id(self) -> str:
        return self.summary.run_id


class RunPlanner(NamedTuple):
    """plan_run with the store's row renderer and whether quality is checked: picklable, to run in a worker."""
    render: RowRenderer | None
    quality: bool

    def __call__(self, trace: RunTrace, summary: RunSummary) -> PlannedRun:
        return plan_run(trace, summary, self.render, self.quality)


def planner_for(store: Any, quality: bool) -> RunPlanner:
    # An engine that takes parameters as query text (FalkorDB) renders rows itself; others take them as they are.
    return RunPlanner(getattr(store, "row_renderer", None), quality)


def plan_run(trace: RunTrace, summary: RunSummary, render: RowRenderer | None,
             quality: bool) -> PlannedRun:
    """What the writer needs of a prepared run (its source already the one the user knows)."""
    return PlannedRun(summary, run_rows(trace, render),
                      (trace.run.content_hash, trace.run.reader_revision, len(trace.steps)),
                      [f.id for f in trace.files()], trace.task.id if trace.task else None,
                      step_rows([trace]) if quality else None)


def write_plan(runs: list[PlannedRun]) -> list[Statement]:
    """write_runs_plan of the runs (store/plan.py), from their rows."""
    return write_rows_plan([r.rows for r in runs])


def cleanup(runs: list[PlannedRun]) -> list[Statement]:
    """cleanup_runs_plan of the runs (store/plan.py), from their ids."""
    return cleanup_plan([r.run_id for r in runs], [f for r in runs for f in r.file_ids],
                        [r.task_id for r in runs if r.task_id])
