"""Unpacked archive copies: never more than the budget or the temp disk can take, never left behind."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tarfile
import time

import pytest

from tests.reliability.conftest import WHO_AND_WHEN, make_copies, start_tracegraph, stop_server, tracegraph, try_mount
from tracegraph.ingest import Limits
from tracegraph.ingest.discover import EXTRACT_PREFIX, discover


def _tar(path, members: list[tuple[str, int]]) -> None:
    """A .tar.gz of members of the given sizes (zeros compress to almost nothing: a small bomb)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, size in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(bytes(size)))


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Archives unpack below tmp_path/tmp (TMPDIR for subprocesses too), so a test sees all that was left."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def test_extraction_stops_at_the_byte_budget(tmp_path, private_tmp):
    archive = tmp_path / "bomb.tar.gz"
    _tar(archive, [(f"trial/part{i}.log", 1 << 20) for i in range(8)])
    found = discover([archive], limits=Limits(max_archive_bytes=3 << 20))
    assert [(e.path, e.problem) for e in found.errors] == [
        (str(archive), "unpacks to over the 3 MB unpacked limit; stopped at member 'trial/part3.log'")]
    assert list(private_tmp.iterdir()) == []


def test_extraction_stops_before_the_temp_disk_is_full(tmp_path, private_tmp):
    why_not = try_mount(["-t", "tmpfs", "-o", "size=4m", "tmpfs", str(private_tmp)])
    if why_not:
        pytest.skip(why_not)
    try:
        archive = tmp_path / "bomb.tar.gz"
        _tar(archive, [(f"trial/part{i}.log", 1 << 20) for i in range(16)])
        found = discover([archive])
        ((path, problem),) = [(e.path, e.problem) for e in found.errors]
        assert path == str(archive) and problem.startswith("unpacks to more than the ")
        assert f"MB free on the temp disk ({private_tmp}) can take; stopped at member 'trial/part3.log'" in problem
        assert list(private_tmp.iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(private_tmp)], capture_output=True)


def _archive_of_runs(tmp_path, copies: int):
    runs = make_copies(tmp_path / "runs", copies)
    archive = tmp_path / "runs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(runs, arcname="runs")
    return archive


def _wait_for_unpacked(private_tmp, proc) -> None:
    deadline = time.monotonic() + 120
    while not list(private_tmp.glob(f"{EXTRACT_PREFIX}{proc.pid}-*")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the archive was never unpacked"
        time.sleep(0.02)


def test_sigterm_mid_ingest_removes_the_unpacked_copy(tmp_path, private_tmp):
    archive = _archive_of_runs(tmp_path, 200)
    store_dir = tmp_path / "store"
    proc = start_tracegraph("--store", str(store_dir), "ingest", str(archive))
    try:
        _wait_for_unpacked(private_tmp, proc)
        # Held still while the copy is there, the ingest cannot finish before the signal lands, however fast it is.
        proc.send_signal(signal.SIGSTOP)
        assert list(private_tmp.glob(f"{EXTRACT_PREFIX}{proc.pid}-*")), "the ingest ended before it could be held"
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGCONT)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 128 + signal.SIGTERM, stderr
        assert "Traceback" not in stderr
        assert list(private_tmp.glob(f"{EXTRACT_PREFIX}*")) == []
        assert not (store_dir / "falkordb.sock").exists()  # the store was closed on the way out
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(store_dir)


def test_copy_left_by_a_killed_ingest_is_swept_by_the_next(tmp_path, private_tmp):
    archive = _archive_of_runs(tmp_path, 20)
    store_dir = tmp_path / "store"
    proc = start_tracegraph("--store", str(store_dir), "ingest", str(archive))
    try:
        _wait_for_unpacked(private_tmp, proc)
        proc.kill()
        proc.wait(timeout=60)
        assert list(private_tmp.glob(f"{EXTRACT_PREFIX}{proc.pid}-*")), "kill -9 runs no cleanup"
        # An unpacked copy of a process that still runs is not touched.
        alive = private_tmp / f"{EXTRACT_PREFIX}{os.getpid()}-busy"
        alive.mkdir()
        done = tracegraph("--store", str(tmp_path / "other-store"), "ingest", str(WHO_AND_WHEN / "hand-crafted"))
        assert done.returncode == 0, done.stderr
        assert sorted(private_tmp.iterdir()) == [alive]
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_server(store_dir)
