"""ingest_paths: discover → prepare (parse, limit, redact, trace tree, write-plan rows) → quality gate → write; all
or nothing per run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain, islice
from pathlib import Path

from pydantic import BaseModel

from tracegraph.errors import StoreError, StoreRestartedError, TracegraphError
from tracegraph.ingest.discover import Discovery, Limits, discover_units
from tracegraph.ingest.quality import DEGRADED_KINDS
from tracegraph.ingest.units import FileError, apply_limits
from tracegraph.load.planned import PlannedRun, cleanup, planner_for, write_plan
from tracegraph.load.prepare import PARALLEL_MIN_UNITS, RunSummary, default_workers, prepare_traces, prepare_units
from tracegraph.load.quality_gate import QualityGate
from tracegraph.schema import RunTrace
from tracegraph.store import Store
from tracegraph.store.plan import Statement

BATCH_STEPS = 5000
"""Steps written per store round (small runs share one plan; bench/ingest.py measures the choice)."""


class RunCopy(BaseModel):
    source: str
    same_as: str
    """Source of the copy that was loaded."""


class IngestReport(BaseModel):
    """What an ingest did: runs loaded, per-run problems, and the limits in force."""

    runs: list[RunSummary] = []
    errors: list[FileError] = []
    skipped: list[FileError] = []
    """Folders that look like runs (they hold harness artifacts) but that no format recognised."""
    refused: list[RunSummary] = []
    """Runs with quality issues that --strict kept out of the graph."""
    unchanged: list[str] = []
    """Runs already loaded from the same artifacts by the same code (same content hash, reader revision and step
    count): not written again, so a re-ingest costs a parse instead of a delete and rewrite, and keeps their
    diagnoses. `force` rewrites them.
    They are listed in `runs` too: the graph holds them as this ingest found them."""
    copies: list[RunCopy] = []
    """Runs found again in the same ingest (same name and content, so the same id): written once."""
    limits: dict[str, int] = {}

    @property
    def steps(self) -> int:
        return sum(r.steps for r in self.runs)

    @property
    def redactions(self) -> int:
        return sum(r.redactions for r in self.runs)

    def quality_counts(self) -> dict[str, int]:
        """Runs loaded (or refused by --strict) per degraded kind, and run-like folders skipped."""
        counts = {kind: 0 for kind in DEGRADED_KINDS}
        for run in self.runs + self.refused:
            for kind in run.degraded:
                counts[kind] += 1
        counts["skipped_folders"] = len(self.skipped)
        return counts


class IngestInterrupted(TracegraphError):
    """Ctrl-C stopped an ingest; `report` holds the runs kept (each complete: all or nothing per run)."""

    def __init__(self, report: IngestReport) -> None:
        self.report = report
        super().__init__(f"interrupted: kept {len(report.runs)} runs, each complete")


ProgressFn = Callable[[str, int, int], None]


def ingest_paths(paths: list[Path], store: Store, *, format: str | None = None, redact: bool = True,
                 strict: bool = False, limits: Limits | None = None, quality: bool = True,
                 progress: ProgressFn | None = None, workers: int | None = None,
                 force: bool = False) -> IngestReport:
    """Find, parse and load every run below `paths`; one bad run never stops the others.

    `workers` processes parse while the store writes (default: one per core, none on one core; 0 = in-process).
    Runs already loaded from the same artifacts are not written again unless `force` (after a tracegraph upgrade or
    with other limits, force rewrites them).
    """
    limits = limits or Limits()
    report = IngestReport(limits=dict(vars(limits)))
    found = Discovery()
    workers = default_workers() if workers is None else workers
    gate = None
    try:
        # Units are parsed as the walk finds them (the walk of a large tree took the ingest's first second alone).
        units = discover_units([Path(p) for p in paths], found, format=format, limits=limits)
        first = list(islice(units, PARALLEL_MIN_UNITS))
        # A large ingest checks quality in a process of its own, forked first (before the parse workers and the
        # writer thread); a small one checks in-process, as it parses.
        if quality:
            gate = QualityGate(strict, in_process=workers < 2 or len(first) < PARALLEL_MIN_UNITS)
        planned = prepare_units(chain(first, units), limits, report.errors, redact=redact, workers=workers,
                                display=found.display_path, then=planner_for(store, quality))
        # The total grows while the walk goes on; it is final well before the last run is written.
        _load(planned, lambda: len(found.units), store, report, strict=strict, gate=gate, progress=progress,
              force=force)
    except KeyboardInterrupt:
        raise IngestInterrupted(report) from None
    finally:
        # What the walk could not read comes first, as it was found first. Paths inside an unpacked archive are
        # named as the user knows them (`outer.tar.gz!/inner`), never the temp copy.
        report.errors[:0] = [FileError(path=found.display_path(e.path), problem=e.problem) for e in found.errors]
        report.skipped[:0] = [FileError(path=found.display_path(e.path), problem=e.problem) for e in found.skipped]
        if gate is not None:
            gate.close()
        found.cleanup()
    return report


def ingest_traces(traces: Iterable[RunTrace], store: Store, *, redact: bool = True, strict: bool = False,
                  limits: Limits | None = None, quality: bool = True, total: int = 0,
                  progress: ProgressFn | None = None, force: bool = False) -> IngestReport:
    """Load already-parsed runs (a stream is read lazily): limits → redact → tree → quality gate → write."""
    limits = limits or Limits()
    report = IngestReport(limits=dict(vars(limits)))
    plan = planner_for(store, quality)
    planned = (plan(t, s) for t, s in prepare_traces(((t, apply_limits(t, limits)) for t in traces), redact))
    gate = QualityGate(strict, in_process=True) if quality else None
    _load(planned, lambda: total, store, report, strict=strict, gate=gate, progress=progress, force=force)
    return report


def _load(planned: Iterable[PlannedRun], total: Callable[[], int], store: Store, report: IngestReport, *,
          strict: bool, gate: QualityGate | None, progress: ProgressFn | None, force: bool = False) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    batch: list[PlannedRun] = []
    batch_steps = 0
    first_source: dict[str, str] = {}
    # One batch is written on a second thread while the next is parsed: the store works on the other core
    # instead of waiting for Python. At most two batches are in memory; a write error surfaces at the next batch.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracegraph-write") as writer:
        pending: Future | None = None
        for index, run in enumerate(planned, 1):
            summary = run.summary
            if summary.run_id in first_source:
                report.copies.append(RunCopy(source=summary.source, same_as=first_source[summary.run_id]))
                continue
            first_source[summary.run_id] = summary.source
            batch.append(run)
            batch_steps += summary.steps
            if progress:
                units = total()
                progress(summary.name, min(index, units) if units else index, units)
            if batch_steps >= BATCH_STEPS:
                if pending is not None:
                    pending.result()
                pending = writer.submit(_flush, batch, store, report, strict, gate, force)
                batch, batch_steps = [], 0
        if pending is not None:
            pending.result()
    _flush(batch, store, report, strict, gate, force, last=True)
    if gate is not None:
        gate.finish()


def _flush(batch: list[PlannedRun], store: Store, report: IngestReport, strict: bool,
           gate: QualityGate | None, force: bool = False, last: bool = False) -> None:
    if not batch:
        return
    if gate is not None:
        gate.check(batch, last=last)
    if strict:
        report.refused += [r.summary for r in batch if r.summary.quality_issues]
        batch = [r for r in batch if not r.summary.quality_issues]
    if not force and batch:
        same = _already_loaded(store, batch)
        report.unchanged += [r.run_id for r in batch if r.run_id in same]
        report.runs += [r.summary for r in batch if r.run_id in same]
        batch = [r for r in batch if r.run_id not in same]
    if not batch:
        return
    try:
        store.execute(write_plan(batch), cleanup(batch))
        report.runs += [r.summary for r in batch]
        return
    except StoreRestartedError:
        pass  # the batch left nothing behind and the server is back: replay it run by run
    except StoreError:
        _raise_if_store_down(store)
    for run in batch:  # isolate the run that failed; the others still load
        try:
            store.execute(write_plan([run]), cleanup([run]))
            report.runs.append(run.summary)
        except StoreRestartedError as exc:
            report.errors.append(FileError(path=run.summary.source, problem=f"run set aside: {exc}"))
        except StoreError as exc:
            report.errors.append(FileError(path=run.summary.source, problem=str(exc)))


def _already_loaded(store: Store, runs: list[PlannedRun]) -> set[str]:
    """Ids of the runs the store holds whole from the same artifacts, read by the same code (the id carries the
    name and a hash prefix; the full hash, the reader revision and the step count, which --max-steps changes, are
    compared too)."""
    rows = store.query("UNWIND $ids AS rid MATCH (r:Run {id: rid}) WHERE r.status = 'loaded' "
                       "RETURN r.id AS id, r.content_hash AS hash, r.reader_revision AS revision, "
                       "r.step_count AS steps", {"ids": [r.run_id for r in runs]})
    held = {r["id"]: (r["hash"], r["revision"], r["steps"]) for r in rows}
    return {r.run_id for r in runs if held.get(r.run_id) == r.loaded_as}


def _raise_if_store_down(store: Store) -> None:
    """A failed write is one run's problem only while the store still takes writes; otherwise stop the ingest.

    The probe rewrites the schema version with itself: a full disk or a read-only server refuses it, a bad run
    does not.
    """
    store.query("RETURN 1 AS ok")
    store.execute([Statement("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = s.version", {})])
