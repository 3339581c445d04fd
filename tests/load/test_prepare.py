"""Preparing runs in worker processes gives exactly what preparing them in-process gives, errors included."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.support import FIXTURES, live_children
from tracegraph.ingest.discover import Discovery, Limits, discover, discover_units
from tracegraph.load.prepare import PARALLEL_MIN_UNITS, TASKS_BUFFERED_PER_WORKER, UNITS_PER_TASK, prepare_units

UNITS_BUFFERED = 2 * TASKS_BUFFERED_PER_WORKER * UNITS_PER_TASK
"""Units two workers may hold queued or done before the first is handed on."""


def _prepared(units, workers):
    errors = []
    runs = [(trace.run_id, summary.model_dump(), [n.model_dump() for n in trace.nodes()],
             sorted((e.src, e.dst, e.type.value, sorted(e.props.items())) for e in trace.edges()))
            for trace, summary in prepare_units(units, Limits(), errors, workers=workers)]
    return runs, [e.model_dump() for e in errors]


def test_workers_prepare_every_fixture_run_exactly_as_in_process(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "fixtures", symlinks=True)
    broken = tmp_path / "fixtures" / "harbor-atif" / "dna-assembly__BC7CeVz" / "agent" / "trajectory.json"
    broken.write_text('{"steps": [')  # one bad run among the others: reported the same way by both
    units = discover([tmp_path / "fixtures"]).units
    assert len(units) >= PARALLEL_MIN_UNITS
    in_process, in_process_errors = _prepared(units, workers=0)
    in_workers, in_workers_errors = _prepared(units, workers=2)
    assert [run_id for run_id, *_ in in_workers] == [run_id for run_id, *_ in in_process]
    assert in_workers == in_process
    assert in_workers_errors == in_process_errors
    assert [e["path"] for e in in_process_errors] == [str(broken)]
    assert sum(summary["steps"] for _, summary, *_ in in_process) > 1000


def _forked_children() -> list[int]:
    """Pids of this process's live children that are forks of it (the pool's workers; not a store server)."""
    mine = Path(f"/proc/{os.getpid()}/cmdline").read_bytes()
    return [pid for pid, cmdline in live_children(os.getpid()) if cmdline == mine]


def test_units_streamed_from_the_walk_are_parsed_while_the_walk_goes_on():
    units = discover([FIXTURES]).units
    assert len(units) > UNITS_BUFFERED + PARALLEL_MIN_UNITS
    in_process, _ = _prepared(units, workers=0)
    found = Discovery()
    pulled = []

    def walk():
        for unit in discover_units([FIXTURES], found):
            pulled.append(unit)
            yield unit

    prepared = prepare_units(walk(), Limits(), [], workers=2)
    first = next(prepared)
    # The first run is handed on after a bounded look-ahead, not after the whole tree was walked.
    assert len(pulled) <= UNITS_BUFFERED + PARALLEL_MIN_UNITS < len(units)
    runs = [first, *prepared]
    assert [t.run_id for t, _ in runs] == [run_id for run_id, *_ in in_process]
    assert [(u.parser.name, u.path) for u in found.units] == [(u.parser.name, u.path) for u in units]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("streamed", [False, True], ids=["unit list", "units streamed from the walk"])
def test_a_worker_killed_mid_ingest_leaves_the_rest_to_this_process(streamed):
    units = discover([FIXTURES]).units
    in_process, _ = _prepared(units, workers=0)
    errors: list = []
    prepared = prepare_units(iter(units) if streamed else units, Limits(), errors, workers=2)
    first = next(prepared)
    workers = _forked_children()
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    runs = [first, *prepared]
    assert [t.run_id for t, _ in runs] == [run_id for run_id, *_ in in_process]
    assert not errors
