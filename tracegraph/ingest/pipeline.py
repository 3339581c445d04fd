"""ingest_paths: discover → parse → limit → redact → trace tree → quality gate → write, all or nothing per run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel

from tracegraph.errors import IngestError, StoreError
from tracegraph.ingest.builder import clip_text
from tracegraph.ingest.discover import Limits, Unit, check_sizes, discover
from tracegraph.ingest.redact import redact_trace
from tracegraph.schema import RunTrace
from tracegraph.store import Store
from tracegraph.store.plan import Statement, cleanup_runs_plan, write_runs_plan

BATCH_STEPS = 5000
"""Steps written per store round (small runs share one plan; bench/ingest.py measures the choice)."""


class RunSummary(BaseModel):
    run_id: str
    name: str
    framework: str
    source: str
    outcome: str
    steps: int
    redactions: int = 0
    quality_issues: list[str] = []
    truncated_steps: int = 0


class FileError(BaseModel):
    path: str
    problem: str


class IngestReport(BaseModel):
    """What an ingest did: runs loaded, per-run problems, and the limits in force."""

    runs: list[RunSummary] = []
    errors: list[FileError] = []
    refused: list[RunSummary] = []
    """Runs with quality issues that --strict kept out of the graph."""
    limits: dict[str, int] = {}

    @property
    def steps(self) -> int:
        return sum(r.steps for r in self.runs)

    @property
    def redactions(self) -> int:
        return sum(r.redactions for r in self.runs)


ProgressFn = Callable[[str, int, int], None]


def parse_units(units: list[Unit], limits: Limits, errors: list[FileError],
                display: Callable[[str], str] = str) -> Iterator[tuple[RunTrace, int]]:
    """Parse each unit; a bad unit becomes one error line and the others go on. Yields (trace, dropped steps).

    `display` maps a parsed path to the one the user knows (a file unpacked from an archive reads
    `archive.tar.gz!/member`), for error lines and for the run's stored source.
    """
    for unit in units:
        try:
            check_sizes(unit.path, limits)
            for trace in unit.parser.parse(unit.path):
                trace.run.source = display(trace.run.source)
                yield trace, apply_limits(trace, limits)
        except IngestError as exc:
            errors.append(FileError(path=display(exc.path), problem=exc.problem))
        except RecursionError:
            errors.append(FileError(path=display(str(unit.path)), problem="nested too deeply to read"))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeDecodeError) as exc:
            # A parser met a shape it does not know; report it against the unit rather than stop the batch.
            errors.append(FileError(path=display(str(unit.path)),
                                    problem=f"unreadable {unit.parser.name} run ({exc.__class__.__name__}: {exc})"))


def apply_limits(trace: RunTrace, limits: Limits) -> int:
    """Cut the run to `max_steps` and its observations to `observation_chars`, in place; returns dropped steps."""
    dropped = _apply_step_limit(trace, limits.max_steps)
    _apply_observation_limit(trace, limits.observation_chars)
    return dropped


def _apply_step_limit(trace: RunTrace, max_steps: int) -> int:
    extra = len(trace.steps) - max_steps
    if extra <= 0:
        return 0
    trace.steps = trace.steps[:max_steps]
    trace.tool_calls = [c for c in trace.tool_calls if c.k <= max_steps]
    trace.observations = [o for o in trace.observations if o.k <= max_steps]
    trace.deltas = [d for d in trace.deltas if d.k <= max_steps]
    trace.run.step_count = max_steps
    return extra


def _apply_observation_limit(trace: RunTrace, chars: int) -> None:
    # Parsers clip at the builder's default; the full text is still in observation_full, so the limit can go
    # either way. `size` keeps the full length.
    for obs in trace.observations:
        full = trace.observation_full.get(obs.k)
        if full is None or len(full) != obs.size:
            continue  # not the text this observation was cut from; leave it as the parser made it
        obs.content = clip_text(full, chars) or ""
        obs.truncated = len(full) > chars


def ingest_paths(paths: list[Path], store: Store, *, format: str | None = None, redact: bool = True,
                 strict: bool = False, limits: Limits | None = None, quality: bool = True,
                 progress: ProgressFn | None = None) -> IngestReport:
    """Find, parse and load every run below `paths`; one bad run never stops the others."""
    limits = limits or Limits()
    found = discover([Path(p) for p in paths], format=format, limits=limits)
    report = IngestReport(limits=dict(vars(limits)))
    report.errors += [FileError(path=e.path, problem=e.problem) for e in found.errors]
    try:
        _load(parse_units(found.units, limits, report.errors, found.display_path), len(found.units), store, report, redact=redact,
              strict=strict, quality=quality, progress=progress)
    finally:
        found.cleanup()
    return report


def ingest_traces(traces: Iterable[RunTrace], store: Store, *, redact: bool = True, strict: bool = False,
                  limits: Limits | None = None, quality: bool = True, total: int = 0,
                  progress: ProgressFn | None = None) -> IngestReport:
    """Load already-parsed runs (a stream is read lazily): limits → redact → tree → quality gate → write."""
    limits = limits or Limits()
    report = IngestReport(limits=dict(vars(limits)))
    _load(((t, apply_limits(t, limits)) for t in traces), total, store, report, redact=redact, strict=strict,
          quality=quality, progress=progress)
    return report


def _load(parsed: Iterable[tuple[RunTrace, int]], total: int, store: Store, report: IngestReport, *, redact: bool,
          strict: bool, quality: bool, progress: ProgressFn | None) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    from tracegraph.tree import build_tree

    batch: list[tuple[RunTrace, RunSummary]] = []
    batch_steps = 0
    # One batch is written on a second thread while the next is parsed: the store works on the other core
    # instead of waiting for Python. At most two batches are in memory; a write error surfaces at the next batch.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracegraph-write") as writer:
        pending: Future | None = None
        for index, (trace, dropped) in enumerate(parsed, 1):
            redactions = redact_trace(trace) if redact else 0
            build_tree(trace)
            summary = RunSummary(run_id=trace.run_id, name=trace.run.name, framework=trace.run.framework,
                                 source=trace.run.source, outcome=trace.run.outcome.value, steps=len(trace.steps),
                                 redactions=redactions, truncated_steps=dropped)
            batch.append((trace, summary))
            batch_steps += len(trace.steps)
            if progress:
                progress(trace.run.name, min(index, total) if total else index, total)
            if batch_steps >= BATCH_STEPS:
                if pending is not None:
                    pending.result()
                pending = writer.submit(_flush, batch, store, report, strict, quality)
                batch, batch_steps = [], 0
        if pending is not None:
            pending.result()
    _flush(batch, store, report, strict, quality)


def _flush(batch: list[tuple[RunTrace, RunSummary]], store: Store, report: IngestReport, strict: bool,
           quality: bool) -> None:
    if not batch:
        return
    if quality:
        from tracegraph.ingest.quality import check_batch

        issues = check_batch([t for t, _ in batch])
        for trace, summary in batch:
            summary.quality_issues = issues.get(trace.run_id, [])
        if strict:
            report.refused += [s for _, s in batch if s.quality_issues]
            batch = [(t, s) for t, s in batch if not s.quality_issues]
    traces = [t for t, _ in batch]
    if not traces:
        return
    try:
        store.execute(write_runs_plan(traces), cleanup_runs_plan(traces))
        report.runs += [s for _, s in batch]
        return
    except StoreError:
        _raise_if_store_down(store)
    for trace, summary in batch:  # isolate the run that failed; the others still load
        try:
            store.execute(write_runs_plan([trace]), cleanup_runs_plan([trace]))
            report.runs.append(summary)
        except StoreError as exc:
            report.errors.append(FileError(path=trace.run.source, problem=str(exc)))


def _raise_if_store_down(store: Store) -> None:
    """A failed write is one run's problem only while the store still takes writes; otherwise stop the ingest.

    The probe rewrites the schema version with itself: a full disk or a read-only server refuses it, a bad run
    does not.
    """
    store.query("RETURN 1 AS ok")
    store.execute([Statement("MATCH (s:SchemaInfo {id: 'schema'}) SET s.version = s.version", {})])
