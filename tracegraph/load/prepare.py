"""Units → runs ready to write: parse, apply the limits, redact, build the trace tree; in worker processes when the
machine has cores to spare, so Python parses on every core while the store writes."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any, NamedTuple
from concurrent.futures import Future

from pydantic import BaseModel

from tracegraph.ingest.discover import Limits, Unit
from tracegraph.ingest.quality import degraded_run_notes
from tracegraph.ingest.redact import redact_trace
from tracegraph.ingest.units import FileError, parse_units, scrub_surrogates
from tracegraph.schema import RunTrace
from tracegraph.tree import build_tree

PARALLEL_MIN_UNITS = 8
"""Fewer units than this are prepared in-process: starting workers costs more than it saves."""
UNITS_PER_TASK = 4
"""Units a worker prepares per task: each task costs the ingest process a pickled call, a result message and thread
hand-offs, which one unit of a few steps does not repay."""
TASKS_AHEAD_PER_WORKER = 2
"""Tasks queued per worker: enough to keep it busy."""
TASKS_BUFFERED_PER_WORKER = 4
"""Tasks per worker queued or done but not yet taken in order: a slow task at the head lets the others run this far
ahead, and no further, so memory stays flat."""
WORKER_CHECK_S = 1.0
"""How often a wait for worker results also checks that every worker is still alive."""


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


Prepared = tuple[RunTrace, RunSummary]


def default_workers() -> int:
    """One worker per core; on one core, none (the store server needs the core as much as parsing does)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def prepare_trace(trace: RunTrace, dropped: int, redact: bool) -> Prepared:
    """Redact the run and build its trace tree (stages, explore/change, causal edges)."""
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


class _Finish(NamedTuple):
    """What a worker does last to each run it prepared: give it the source the user knows, then hand it to `then`
    (the ingest plans it there, load/planned.py) or else return it as (trace, summary)."""
    display: Callable[[str], str]
    then: Callable[[RunTrace, RunSummary], Any] | None

    def __call__(self, trace: RunTrace, summary: RunSummary) -> Any:
        trace.run.source = summary.source = self.display(trace.run.source)
        if self.then is not None:
            return self.then(trace, summary)
        # The full observation texts served the limits and the tree; nothing downstream reads them, and they are
        # half of what would travel back from a worker (and not redacted).
        trace.observation_full = {}
        trace.clipped_full = {}
        return trace, summary


_worker_finish: _Finish | None = None
"""The _Finish of the worker process this is, set as it starts (a fork child: it is inherited, never pickled)."""


def _prepare_unit(unit: Unit, limits: Limits, redact: bool,
                  finish: _Finish | None = None) -> tuple[list[Any], list[FileError]]:
    """A worker's task: one unit, start to finish (`finish`: this worker's own when not given)."""
    errors: list[FileError] = []
    finish = finish or _worker_finish
    done = [finish(trace, summary) for trace, summary in prepare_traces(parse_units([unit], limits, errors), redact)]
    return done, errors


def _prepare_task(units: list[Unit], limits: Limits, redact: bool) -> list[tuple[list[Any], list[FileError]]]:
    return [_prepare_unit(unit, limits, redact) for unit in units]


def prepare_units(units: Iterable[Unit], limits: Limits, errors: list[FileError], *, redact: bool = True,
                  workers: int | None = None, display: Callable[[str], str] = str,
                  then: Callable[[RunTrace, RunSummary], Any] | None = None) -> Iterator[Any]:
    """Every run of `units`, ready to write, in unit order; a bad unit becomes one error line.

    `display` maps a parsed path to the one the user knows (a file unpacked from an archive reads
    `archive.tar.gz!/member`), for error lines and for the run's stored source. Each run is yielded as
    (trace, summary), or as what `then(trace, summary)` makes of it in the process that prepared it.
    """
    workers = default_workers() if workers is None else workers
    finish = _Finish(display, then)
    units = iter(units)  # a list, or units streamed from discovery as the walk finds them
    first = list(islice(units, PARALLEL_MIN_UNITS))
    units = chain(first, units)
    if workers < 2 or len(first) < PARALLEL_MIN_UNITS:
        results: Iterable[tuple[list[Any], list[FileError]]] = (
            _prepare_unit(unit, limits, redact, finish) for unit in units)
    else:
        results = _in_workers(units, limits, redact, workers, finish)
    for prepared, unit_errors in results:
        errors += [FileError(path=display(e.path), problem=e.problem) for e in unit_errors]
        yield from prepared


def _start_worker(finish: _Finish) -> None:
    global _worker_finish
    _worker_finish = finish
    _die_with_parent()
    # What the worker inherits from the ingest process (every module it imported) lives as long as the worker: kept
    # out of the collector, whose full collections would otherwise walk all of it again and again.
    gc.freeze()


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


def _in_workers(units: Iterator[Unit], limits: Limits, redact: bool, workers: int,
                finish: _Finish) -> Iterator[tuple[list[Any], list[FileError]]]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    # fork: workers start warm (parsers imported) and a user's script needs no `if __name__ == "__main__"` guard,
    # which spawn and forkserver re-run it without. The pool forks all its workers at the first submit, before this
    # ingest starts its writer thread; children only parse and never touch the store connection they inherit.
    context = get_context("fork")
    # `finish` reaches the workers as they fork (it may hold what does not pickle, as a bound method).
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(finish,))
    finished = False
    # Results are taken as they complete and handed on in unit order from a reorder buffer: a slow unit at the head
    # no longer leaves a worker idle once the units queued behind it are done (the store still sees unit order).
    running: dict[Future, int] = {}
    done: dict[int, list[tuple[list[Any], list[FileError]]]] = {}
    given: dict[int, list[Unit]] = {}
    """Tasks submitted and not yet handed on: their units are prepared again here if a worker dies."""
    submitted = head = 0
    more = True
    try:
        while more or head < submitted:
            # Units are pulled only when there is room, so the walk that finds them runs between results.
            while (more and len(running) < workers * TASKS_AHEAD_PER_WORKER
                   and len(running) + len(done) < workers * TASKS_BUFFERED_PER_WORKER):
                task = list(islice(units, UNITS_PER_TASK))
                if len(task) < UNITS_PER_TASK:
                    more = False
                if not task:
                    break
                given[submitted] = task
                running[pool.submit(_prepare_task, task, limits, redact)] = submitted
                submitted += 1
            if head == submitted:
                continue
            if head not in done:
                ready, _ = wait(running, timeout=WORKER_CHECK_S, return_when=FIRST_COMPLETED)
                if not ready and _a_worker_died(pool):
                    raise BrokenProcessPool("a worker died")
                for future in ready:
                    done[running.pop(future)] = future.result()
                continue
            del given[head]
            yield from done.pop(head)
            head += 1
        finished = True
    except BrokenProcessPool:
        # A worker died (killed, out of memory): finish the remaining units in this process, as an ingest without
        # workers would, handing on the results the workers did deliver.
        _release(pool)
        for index in range(head, submitted):
            if index in done:
                yield from done.pop(index)
            else:
                yield from (_prepare_unit(unit, limits, redact, finish) for unit in given[index])
        for unit in units:
            yield _prepare_unit(unit, limits, redact, finish)
    finally:
        # After Ctrl-C or a store error, units still queued are dropped at once instead of being parsed for nobody.
        pool.shutdown(wait=finished, cancel_futures=True)


def _a_worker_died(pool) -> bool:
    # CPython 3.11: a worker killed while it sends a result leaves half a message in the result pipe; the pool's
    # manager thread then blocks in recv() for the rest and never marks the pool broken, so this side looks itself.
    processes = pool._processes
    return bool(processes) and any(p.exitcode is not None for p in list(processes.values()))


def _release(pool) -> None:
    """Stop every worker and close this process's end of the result pipe, so a manager thread blocked on half a
    message reads end-of-file and exits instead of keeping the ingest (and interpreter exit) waiting forever."""
    for process in list((pool._processes or {}).values()):
        if process.exitcode is None:
            process.kill()
    writer = getattr(pool._result_queue, "_writer", None)
    if writer is not None:
        writer.close()
