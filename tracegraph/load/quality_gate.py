"""The ingest's data-quality gate, kept off the path that writes.

With --strict a run with issues is refused, so each batch is checked before it is written. Otherwise the gate only
reports: runs are written at once and their step tables are checked afterwards, QUALITY_ROWS steps at a time, since
a great-expectations call costs ~50 ms whatever its size (13 µs per step in a 5,000-step batch, under 5 in an
87,000-step one). In a large ingest the checks run in a process of their own at the lowest CPU priority, forked
before the parse workers and the writer thread, so the seconds-long great-expectations import and each check leave
the writing process (and its GIL) alone; a small ingest checks in-process, where the import is paid once per
process.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future

from tracegraph.ingest.quality import check_rows
from tracegraph.load.planned import PlannedRun
from tracegraph.load.prepare import RunSummary

QUALITY_ROWS = 50_000
"""Step rows checked per great-expectations call when the gate only reports (bench/ingest.py measures it)."""


class QualityGate:
    """Checks batches of runs with the great-expectations suite of ingest/quality.py; issues land on the summaries."""

    def __init__(self, strict: bool, in_process: bool) -> None:
        self.strict = strict
        self._pool: Executor | None = None if in_process else _quality_process()
        self._rows: list[tuple] = []
        self._summaries: list[RunSummary] = []
        self._pending: list[tuple[Future | None, list[tuple], list[RunSummary]]] = []

    def check(self, batch: list[PlannedRun], last: bool = False) -> None:
        """Check a batch about to be written: at once with --strict (the caller then refuses runs with issues),
        else queued with the batches before it and checked when QUALITY_ROWS steps are waiting, or at once when
        it is the `last` (the check then runs while that batch is written, not after)."""
        rows = [row for run in batch for row in run.quality_rows]
        summaries = [run.summary for run in batch]
        if self.strict:
            _add_issues(self._run(rows, summaries), summaries)
            return
        self._rows += rows
        self._summaries += summaries
        if len(self._rows) >= QUALITY_ROWS or last:
            self._send()

    def finish(self) -> None:
        """Check what is still queued and put every issue found on its run's summary."""
        if self._rows:
            self._send()
        for future, rows, summaries in self._pending:
            _add_issues(self._result(future, rows, summaries), summaries)
        self._pending = []

    def close(self) -> None:
        """Stop the checking process (after finish, or at once when the ingest was interrupted)."""
        if self._pool is not None:
            self._pool.shutdown(wait=not self._pending, cancel_futures=True)
            self._pool = None

    def _send(self) -> None:
        rows, summaries = self._rows, self._summaries
        self._rows, self._summaries = [], []
        self._pending.append((self._submit(rows, summaries), rows, summaries))

    def _run(self, rows: list[tuple], summaries: list[RunSummary]) -> dict[str, list[str]]:
        return self._result(self._submit(rows, summaries), rows, summaries)

    def _submit(self, rows: list[tuple], summaries: list[RunSummary]) -> Future | None:
        from concurrent.futures.process import BrokenProcessPool

        if self._pool is None:
            return None
        try:
            return self._pool.submit(check_rows, rows, [s.run_id for s in summaries])
        except BrokenProcessPool:
            return None  # checked in-process by _result

    def _result(self, future: Future | None, rows: list[tuple], summaries: list[RunSummary]) -> dict[str, list[str]]:
        from concurrent.futures.process import BrokenProcessPool

        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                pass  # the checking process died (killed, out of memory): check here instead
        return check_rows(rows, [s.run_id for s in summaries])


def _add_issues(issues: dict[str, list[str]], summaries: list[RunSummary]) -> None:
    for summary in summaries:
        summary.quality_issues = summary.quality_issues + issues.get(summary.run_id, [])


def _quality_process() -> Executor:
    """One forked process that imports great-expectations at once (a warm-up task) and then runs the checks."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"), initializer=_start_quality_process)
    pool.submit(_warm_up)
    return pool


def _start_quality_process() -> None:
    """Worker start-up, at the lowest CPU priority: the import and the checks take the time the parse workers,
    the writer and the store leave (with the same priority, the 2 s import slowed the ingest's first seconds by a
    third on two cores); whatever is left runs at full speed once the ingest waits for the results."""
    from tracegraph.load.prepare import _die_with_parent

    _die_with_parent()
    try:
        os.nice(19)
    except OSError:
        pass  # not permitted here: the checks still run, at the ingest's own priority


def _warm_up() -> None:
    from tracegraph.ingest.quality import _suite

    _suite()
