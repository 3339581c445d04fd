"""Stores that cannot be used: a Neo4j server that is down or goes away, a read-only or full disk, a store in use.

Each gives one line on stderr and a non-zero exit, and a later run on a working store completes.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.reliability.conftest import (
    WHO_AND_WHEN, assert_no_partial_runs, clean_counts, error_lines, graph_counts, is_root, make_copies,
    start_tracegraph, tracegraph, try_mount,
)
from tests.support import FIXTURES
from tracegraph.store import open_store

SMALL = FIXTURES / "harbor-atif"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.parametrize("scheme", ["neo4j", "bolt"])
def test_neo4j_down_is_one_line_error(scheme):
    done = tracegraph("--store", f"{scheme}://127.0.0.1:{_closed_port()}", "ingest", str(SMALL), timeout=120)
    assert done.returncode != 0
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach Neo4j at ")


class _Proxy:
    """A TCP relay to the real Neo4j that can be cut, so the server 'goes away' without stopping it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self.open = False
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


@pytest.mark.long
def test_neo4j_going_away_mid_ingest_is_one_line_error_and_rerun_completes(tmp_path, neo4j_uri):
    from urllib.parse import urlsplit

    uri = neo4j_uri

    target = urlsplit(uri)
    with open_store(uri) as store:
        store.reset()
    runs = make_copies(tmp_path / "runs", 20)
    proxy = _Proxy((target.hostname, target.port or 7687))
    # bolt:// (direct) so the driver does not route around the relay to the server's advertised address.
    proc = start_tracegraph("--store", f"bolt://127.0.0.1:{proxy.port}", "ingest", str(runs))
    time.sleep(3)
    proxy.cut()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode != 0, "the ingest finished before the server went away"
    lines = error_lines(stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr

    done = tracegraph("--store", uri, "ingest", str(runs))
    assert done.returncode == 0, done.stderr
    with open_store(uri) as store:
        assert assert_no_partial_runs(store) == 20 * 15
        assert graph_counts(store) == clean_counts([runs], tmp_path)


def test_store_folder_without_write_permission_is_clear_error(tmp_path):
    if is_root():
        pytest.skip("root ignores permission bits (the read-only filesystem test covers root)")
    folder = tmp_path / "store"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        done = tracegraph("--store", str(folder), "ingest", str(SMALL))
    finally:
        folder.chmod(0o700)
    assert done.returncode != 0
    assert error_lines(done.stderr) == [f"error: cannot use store folder {folder}: Permission denied"]


def test_store_on_read_only_filesystem_is_clear_error(tmpfs):
    store_dir = tmpfs / "store"
    done = tracegraph("--store", str(store_dir), "ingest", str(WHO_AND_WHEN / "hand-crafted" / "1.json"))
    assert done.returncode == 0, done.stderr
    assert try_mount(["-o", "remount,ro", str(tmpfs)]) is None
    for command in (["runs"], ["ingest", str(SMALL)]):
        done = tracegraph("--store", str(store_dir), *command)
        assert done.returncode != 0
        assert error_lines(done.stderr) == [f"error: cannot use store folder {store_dir}: Read-only file system"]
    fresh = tracegraph("--store", str(tmpfs / "new"), "runs")  # only ingest and db init make a store
    assert error_lines(fresh.stderr) == [f"error: no store at {tmpfs / 'new'} (`tracegraph ingest` or "
                                         "`tracegraph db init` makes one)"]
    fresh = tracegraph("--store", str(tmpfs / "new"), "ingest", str(SMALL))
    assert error_lines(fresh.stderr) == [f"error: cannot use store folder {tmpfs / 'new'}: Read-only file system"]


@pytest.mark.long
def test_full_disk_is_one_line_error_and_rerun_completes(tmpfs, tmp_path):
    runs = make_copies(tmp_path / "runs", 10)  # about 3,000 steps: several MB of log on a 2 MB disk
    store_dir = tmpfs / "store"
    done = tracegraph("--store", str(store_dir), "ingest", str(runs))
    assert done.returncode != 0
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "No space left on device" in lines[0]

    assert try_mount(["-o", "remount,size=256m", str(tmpfs)]) is None
    done = tracegraph("--store", str(store_dir), "ingest", str(runs))
    assert done.returncode == 0, done.stderr
    with open_store(str(store_dir)) as store:
        assert assert_no_partial_runs(store) == 10 * 15
        assert graph_counts(store) == clean_counts([runs], tmp_path)


def test_second_process_on_one_store_is_told_it_is_in_use(tmp_path):
    runs = make_copies(tmp_path / "runs", 12)
    store_dir = tmp_path / "store"
    first = start_tracegraph("--store", str(store_dir), "ingest", str(runs))
    try:
        lock = store_dir / "lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline, "the first process never took the store"
            time.sleep(0.02)
        for command in (["ingest", str(SMALL)], ["runs"]):
            second = tracegraph("--store", str(store_dir), *command)
            assert second.returncode != 0
            lines = error_lines(second.stderr)
            assert len(lines) == 1, second.stderr
            assert "is in use by another tracegraph process" in lines[0] and f"pid {first.pid}" in lines[0]
        assert first.poll() is None, "the first ingest finished too soon for the test to mean anything"
        _, stderr = first.communicate(timeout=300)
        assert first.returncode == 0, stderr
    finally:
        if first.poll() is None:
            first.kill()
    with open_store(str(store_dir)) as store:
        assert assert_no_partial_runs(store) == 12 * 15
        assert graph_counts(store) == clean_counts([runs], tmp_path)
