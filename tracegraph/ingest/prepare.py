"""Units → runs ready to write: parse, apply the limits, redact, build the trace tree; in worker processes when the
machine has cores to spare, so Python parses on every core while the store writes."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future

from pydantic import BaseModel

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import clip_text
from tracegraph.ingest.discover import Limits, Unit, check_sizes
from tracegraph.ingest.quality import degraded_run_notes
from tracegraph.ingest.redact import redact_trace
from tracegraph.schema import RunTrace

PARALLEL_MIN_UNITS = 8
"""Fewer units than this are prepared in-process: starting workers costs more than it saves."""
UNITS_AHEAD_PER_WORKER = 4
"""Units handed to each worker ahead of the writer: enough to keep it busy, few enough that memory stays flat."""


class RunSummary(BaseModel):
    run_id: str
    name: str
    framework: str
    source: str
    outcome: str
    triage: str | None = None
    """Whose failure it was (agent_failed, agent_never_ran, ...); None for solved runs."""
    steps: int
    redactions: int = 0
    quality_issues: list[str] = []
    degraded: list[str] = []
    """What makes the run a poor record of the agent's work: terminal_fidelity, no_steps, never_started."""
    truncated_steps: int = 0


class FileError(BaseModel):
    path: str
    problem: str


Prepared = tuple[RunTrace, RunSummary]


def default_workers() -> int:
    """One worker per core; on one core, none (the store server needs the core as much as parsing does)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def parse_units(units: list[Unit], limits: Limits, errors: list[FileError]) -> Iterator[tuple[RunTrace, int]]:
    """Parse each unit; a bad unit becomes one error line and the others go on. Yields (trace, dropped steps)."""
    for unit in units:
        try:
            check_sizes(unit.path, limits)
            for trace in unit.parser.parse(unit.path):
                yield trace, apply_limits(trace, limits)
        except IngestError as exc:
            errors.append(FileError(path=exc.path, problem=exc.problem))
        except RecursionError:
            errors.append(FileError(path=str(unit.path), problem="nested too deeply to read"))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeDecodeError) as exc:
            # A parser met a shape it does not know; report it against the unit rather than stop the batch.
            errors.append(FileError(path=str(unit.path),
                                    problem=f"unreadable {unit.parser.name} run: {shape_problem(exc)}"))


_FIELD_IN_LINE = re.compile(r"""\.get\(\s*["']([^"']+)["']|\[\s*["']([^"']+)["']\s*\]""")


def shape_problem(exc: Exception) -> str:
    """One line on what a parser met that it did not expect, naming the field where it can be told.

    A model that refused a value names its field (pydantic's errors are several lines; the first is kept). For any
    other error the field is read from the parser's line that failed (`data.get("steps")`, `step["tool"]`).
    """
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "?"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"field {field!r}: {first['msg']}{more}"
    message = " ".join(str(exc).split())[:300]
    if isinstance(exc, AttributeError) and "'list' object" in message:
        message = f"a list where an object was expected ({message})"
    elif isinstance(exc, AttributeError) and "'str' object" in message:
        message = f"a string where an object was expected ({message})"
    field = _failing_field(exc)
    return f"{exc.__class__.__name__}: {message}" + (f" (reading field {field!r})" if field else "")


def _failing_field(exc: BaseException) -> str | None:
    import linecache
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/tracegraph/ingest/" in f.filename]
    for frame in reversed(frames):
        line = frame.line or linecache.getline(frame.filename, frame.lineno or 0)
        names = [a or b for a, b in _FIELD_IN_LINE.findall(line or "")]
        if names:
            return names[-1] if len(names) == 1 else names[0]
    return None


def scrub_surrogates(trace: RunTrace) -> None:
    """Replace lone UTF-16 surrogates (which JSON escapes can carry but UTF-8 cannot encode) in every string of the
    run, in place; the check is one pass over text that is almost always ASCII."""
    from tracegraph.schema.keys import graph_key

    def clean(value: object) -> object:
        if type(value) is str and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return value.encode("utf-8", "replace").decode("utf-8")
        return value

    for node in trace.nodes():
        fields = node.__dict__
        for name, value in fields.items():
            cleaned = clean(value)
            if cleaned is not value:
                fields[name] = graph_key(cleaned) if name in ("id", "run_id") else cleaned
    trace.test_files = {clean(k): [clean(p) for p in v] for k, v in trace.test_files.items()}


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


def prepare_trace(trace: RunTrace, dropped: int, redact: bool) -> Prepared:
    """Redact the run and build its trace tree (stages, explore/change, causal edges)."""
    from tracegraph.tree import build_tree

    scrub_surrogates(trace)
    redactions = redact_trace(trace) if redact else 0
    build_tree(trace)
    notes = degraded_run_notes(trace)
    summary = RunSummary(run_id=trace.run_id, name=trace.run.name, framework=trace.run.framework,
                         source=trace.run.source, outcome=trace.run.outcome.value,
                         triage=trace.run.triage.value if trace.run.triage else None, steps=len(trace.steps),
                         redactions=redactions, truncated_steps=dropped, degraded=list(notes),
                         quality_issues=list(notes.values()))
    return trace, summary


def prepare_traces(parsed: Iterable[tuple[RunTrace, int]], redact: bool) -> Iterator[Prepared]:
    for trace, dropped in parsed:
        yield prepare_trace(trace, dropped, redact)


def _prepare_unit(unit: Unit, limits: Limits, redact: bool) -> tuple[list[Prepared], list[FileError]]:
    """A worker's task: one unit, start to finish."""
    errors: list[FileError] = []
    prepared = list(prepare_traces(parse_units([unit], limits, errors), redact))
    for trace, _ in prepared:
        # The full observation texts served the limits and the tree; nothing downstream reads them, and they are
        # half of what would travel back to the writer (and not redacted).
        trace.observation_full = {}
    return prepared, errors


def prepare_units(units: list[Unit], limits: Limits, errors: list[FileError], *, redact: bool = True,
                  workers: int | None = None, display: Callable[[str], str] = str) -> Iterator[Prepared]:
    """Every run of `units`, ready to write, in unit order; a bad unit becomes one error line.

    `display` maps a parsed path to the one the user knows (a file unpacked from an archive reads
    `archive.tar.gz!/member`), for error lines and for the run's stored source.
    """
    workers = default_workers() if workers is None else workers
    if workers < 2 or len(units) < PARALLEL_MIN_UNITS:
        results: Iterable[tuple[list[Prepared], list[FileError]]] = (
            _prepare_unit(unit, limits, redact) for unit in units)
    else:
        results = _in_workers(units, limits, redact, workers)
    for prepared, unit_errors in results:
        errors += [FileError(path=display(e.path), problem=e.problem) for e in unit_errors]
        for trace, summary in prepared:
            trace.run.source = summary.source = display(trace.run.source)
            yield trace, summary


def _die_with_parent() -> None:
    """Worker start-up: leave Ctrl-C to the ingest process (which stops the pool), and on Linux ask to be killed
    when the ingest process dies (a fork child would otherwise wait on its task queue forever after a `kill -9`)."""
    import ctypes
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: an orphaned worker only lingers until its queue closes


def _in_workers(units: list[Unit], limits: Limits, redact: bool,
                workers: int) -> Iterator[tuple[list[Prepared], list[FileError]]]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    # fork: workers start warm (parsers imported) and a user's script needs no `if __name__ == "__main__"` guard,
    # which spawn and forkserver re-run it without. The pool forks all its workers at the first submit, before this
    # ingest starts its writer thread; children only parse and never touch the store connection they inherit.
    context = get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent)
    finished = False
    try:
        waiting: deque[tuple[Unit, Future]] = deque()
        queue = iter(units)
        for unit in queue:
            waiting.append((unit, pool.submit(_prepare_unit, unit, limits, redact)))
            if len(waiting) >= workers * UNITS_AHEAD_PER_WORKER:
                break
        while waiting:
            unit, future = waiting.popleft()
            try:
                yield future.result()
            except BrokenProcessPool:
                # A worker died (killed, out of memory): finish the remaining units in this process, as an
                # ingest without workers would.
                yield _prepare_unit(unit, limits, redact)
                for unit, _ in waiting:
                    yield _prepare_unit(unit, limits, redact)
                for unit in queue:
                    yield _prepare_unit(unit, limits, redact)
                return
            for unit in queue:
                waiting.append((unit, pool.submit(_prepare_unit, unit, limits, redact)))
                break
        finished = True
    finally:
        # After Ctrl-C or a store error, units still queued are dropped at once instead of being parsed for nobody.
        pool.shutdown(wait=finished, cancel_futures=True)
