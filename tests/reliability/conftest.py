"""Helpers for the reliability tests: the CLI as a subprocess, unique copies of fixture runs, graph invariants."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import FIXTURES

CLI = [sys.executable, "-c", "from tracegraph.cli import main; main()"]
WHO_AND_WHEN = FIXTURES / "who-and-when"
"""Small files, 15 runs and 299 steps a copy: many copies make a large ingest cheaply."""


def tracegraph(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the tracegraph CLI in a fresh process (`env` added to this one's); stdout and stderr captured as text."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"} | (env or {}))


def start_tracegraph(*args: str, new_session: bool = False, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """The tracegraph CLI started in the background; `new_session` gives it its own process group, with Ctrl-C's
    default action restored (a background job of a non-interactive shell inherits SIGINT ignored)."""
    import signal

    return subprocess.Popen([*CLI, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}, start_new_session=new_session,
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
                            if new_session else None)


def make_copies(dst: Path, n: int, source: Path = WHO_AND_WHEN) -> Path:
    """`n` copies of the runs below `source`, each a distinct run (trailing spaces in its JSON change its hash)."""
    for i in range(n):
        copy = dst / f"copy{i:03d}"
        shutil.copytree(source, copy)
        for f in copy.rglob("*.json"):
            with open(f, "a") as fh:
                fh.write(" " * (i + 1))
    return dst


def graph_counts(store) -> dict:
    """Nodes per label and relationships per type."""
    from tracegraph.store.info import db_status

    status = db_status(store)
    return {"nodes": status["nodes"], "relationships": status["relationships"]}


def clean_counts(paths: list[Path], tmp_path: Path) -> dict:
    """Counts of a clean, uninterrupted ingest of `paths` into a fresh embedded store."""
    from tracegraph import ingest_paths
    from tracegraph.store import open_store

    store = open_store(str(tmp_path / "clean-store"))
    try:
        report = ingest_paths(paths, store)
        assert not report.errors
        return graph_counts(store)
    finally:
        store.close()


def assert_no_partial_runs(store) -> int:
    """Every run is 'loaded' with all its steps, no step lacks its run, no run id twice; returns the run count."""
    runs = store.query("MATCH (r:Run) RETURN r.id AS id, r.status AS status, r.step_count AS n")
    assert [r for r in runs if r["status"] != "loaded"] == []
    assert len({r["id"] for r in runs}) == len(runs)
    held = {r["id"]: r["n"] for r in store.query(
        "MATCH (r:Run)-[:HAS_STEP]->(s:Step) RETURN r.id AS id, count(s) AS n")}
    assert {r["id"]: held.get(r["id"], 0) for r in runs} == {r["id"]: r["n"] for r in runs}
    ids = [r["id"] for r in runs]
    for label in ("Run", "Step", "Observation", "ToolCall", "StateDelta", "Stage", "TestCase", "File", "Task"):
        mislabelled = store.query(f"MATCH (n:{label}) WHERE NOT '{label}' IN labels(n) RETURN count(n) AS c")
        assert mislabelled == [{"c": 0}], f"a scan of {label} returns nodes with another label"
    for label in ("Step", "Observation", "ToolCall", "StateDelta", "Stage", "TestCase"):
        stray = store.query(f"MATCH (n:{label}) WHERE NOT n.run_id IN $ids RETURN count(n) AS c", {"ids": ids})
        assert stray == [{"c": 0}], f"{label} nodes of a run that is not in the graph"
    return len(runs)


def wait_for_loaded_batch(store_dir: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Block until the ingest running in `proc` has written at least one whole batch (seen in the server's log)."""
    marker = b"SET r.status = 'loaded'"
    deadline = time.monotonic() + timeout
    offsets: dict[Path, int] = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ingest ended (exit {proc.returncode}) before a batch was seen: {proc.stderr.read()}")
        for aof in (store_dir / "appendonlydir").glob("*.incr.aof"):
            with open(aof, "rb") as fh:
                fh.seek(max(0, offsets.get(aof, 0) - len(marker)))
                chunk = fh.read()
                offsets[aof] = fh.tell()
            if marker in chunk:
                return
        time.sleep(0.05)
    pytest.fail("no batch was written in time")


def stop_server(store_dir: Path) -> None:
    """Shut down an embedded server a killed process left running (opening adopts it, closing stops it)."""
    from tracegraph.store import open_store

    if (store_dir / "falkordb.sock").exists():
        try:
            open_store(str(store_dir)).close()
        except Exception:
            pass


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def try_mount(args: list[str]) -> str | None:
    """Run mount(8); None when it worked, else why not (for a skip reason)."""
    if not is_root():
        return "needs root to mount a small tmpfs"
    if shutil.which("mount") is None:
        return "mount(8) is not installed"
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    return None if done.returncode == 0 else f"mount {' '.join(args)} failed: {done.stderr.strip()}"


def error_lines(stderr: str) -> list[str]:
    """The lines a failed command printed on stderr, blank ones dropped."""
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB tmpfs (root only), unmounted afterwards."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    why_not = try_mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)])
    if why_not:
        pytest.skip(why_not)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
