"""kill -9 of tracegraph or of its embedded server mid-ingest, then a re-run: a complete graph, no partial run."""

from __future__ import annotations

import os
import signal

import pytest

from tests.reliability.conftest import (
    assert_no_partial_runs, clean_counts, error_lines, graph_counts, make_copies, start_tracegraph, stop_server,
    tracegraph, wait_for_loaded_batch,
)
from tests.support import FIXTURES, live_children
from tracegraph.store import open_store

COPIES = 60
"""60 copies of who-and-when: 900 runs, about 18,000 steps, several write batches."""


def _server_pid(parent: int) -> int:
    """The embedded redis-server the tracegraph process `parent` started (its child)."""
    servers = [pid for pid, cmdline in live_children(parent) if b"redis-server" in cmdline]
    if not servers:
        pytest.fail(f"no redis-server child of {parent}")
    return servers[0]


@pytest.mark.long
def test_kill_9_mid_ingest_then_rerun_completes(tmp_path):
    runs = make_copies(tmp_path / "runs", COPIES)
    store_dir = tmp_path / "store"
    proc = start_tracegraph("--store", str(store_dir), "ingest", str(runs))
    try:
        wait_for_loaded_batch(store_dir, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

        # The killed process's server is adopted; runs it left half-written are swept as the store opens.
        with open_store(str(store_dir)) as store:
            loaded = assert_no_partial_runs(store)
        assert 0 < loaded < COPIES * 15, loaded

        assert_rerun_completes(store_dir, runs, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(store_dir)


def assert_rerun_completes(store_dir, runs, tmp_path):
    """Running the same ingest again leaves every run loaded once and the graph a clean ingest would build."""
    done = tracegraph("--store", str(store_dir), "ingest", str(runs))
    assert done.returncode == 0, done.stderr
    with open_store(str(store_dir)) as store:
        assert assert_no_partial_runs(store) == COPIES * 15
        assert graph_counts(store) == clean_counts([runs], tmp_path)


@pytest.mark.long
def test_embedded_server_killed_mid_ingest_is_one_line_error_and_rerun_completes(tmp_path):
    runs = make_copies(tmp_path / "runs", COPIES)
    store_dir = tmp_path / "store"
    proc = start_tracegraph("--store", str(store_dir), "ingest", str(runs))
    try:
        wait_for_loaded_batch(store_dir, proc)
        os.kill(_server_pid(proc.pid), signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode != 0
        lines = error_lines(stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert "stopped answering" in lines[0] and "run the command again" in lines[0]

        assert_rerun_completes(store_dir, runs, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(store_dir)


def test_rerun_cut_off_while_its_old_copy_was_set_aside_keeps_the_old_copy(tmp_path):
    """A re-ingest killed after setting part of a run's old copy aside leaves the old copy whole, no 'loaded' husk."""
    from tracegraph import ingest_paths
    from tracegraph.ingest.who_and_when import WhoAndWhenParser
    from tracegraph.store.plan import write_runs_plan
    from tracegraph.tree import build_tree

    source = FIXTURES / "who-and-when" / "hand-crafted" / "1.json"
    with open_store(str(tmp_path / "store")) as store:
        ingest_paths([source], store)
        before = graph_counts(store)
        trace = build_tree(next(WhoAndWhenParser().parse(source)))
        plan = write_runs_plan([trace])
        store.execute(plan[:4])  # the Run and Stage, Step nodes set aside: the process dies here
    with open_store(str(tmp_path / "store")) as store:
        assert assert_no_partial_runs(store) == 1
        assert graph_counts(store) == before
        ingest_paths([source], store, force=True)
        assert assert_no_partial_runs(store) == 1
        assert graph_counts(store) == before


def test_reingest_is_idempotent_across_formats(store):
    """Loading the same runs again replaces them: the same counts, every run once."""
    from tracegraph import ingest_paths

    paths = [FIXTURES / name for name in ("who-and-when", "mini-swe-agent", "openhands", "swe-agent")]
    paths.append(FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz")
    first = ingest_paths(paths, store)
    assert not first.errors
    before = graph_counts(store)
    second = ingest_paths(paths, store)
    assert [r.run_id for r in second.runs] == [r.run_id for r in first.runs]
    assert graph_counts(store) == before
    assert assert_no_partial_runs(store) == len(first.runs)


@pytest.mark.long
def test_ctrl_c_mid_ingest_stops_quietly_and_rerun_completes(tmp_path):
    import subprocess

    runs = make_copies(tmp_path / "runs", COPIES)
    store_dir = tmp_path / "store"
    # A new session, as a terminal's process group: Ctrl-C reaches tracegraph and its parse workers together.
    proc = start_tracegraph("--store", str(store_dir), "ingest", str(runs), "--workers", "2", new_session=True,
                            stdout=subprocess.PIPE)
    try:
        wait_for_loaded_batch(store_dir, proc)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130
        assert "Traceback" not in stderr and error_lines(stderr) == [], stderr
        closing = stdout.strip().splitlines()[-1]
        assert closing.startswith("interrupted: kept ") and "run the same command again" in closing, stdout
        kept = int(closing.split()[2])
        assert not (store_dir / "falkordb.sock").exists()  # the server was shut down, not left behind
        with open_store(str(store_dir)) as store:
            assert assert_no_partial_runs(store) == kept > 0
        assert_rerun_completes(store_dir, runs, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(store_dir)
