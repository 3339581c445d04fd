"""A snapshot of the embedded store is trusted only after a throwaway server has read it back.

FalkorDB 4.16.3 writes snapshots it cannot read: its buffered serializer (src/serializers/serializer_io.c, 256,000-byte
buffers) stores a value of 255,993 to 256,000 bytes as a string of its own, while the reader takes only strings
longer than 256,000 bytes for such; it reads the value's first 8 bytes as a length and the server dies (SIGSEGV in
RdbLoadAdjMatrix_v18, or an abort for a multi-exabyte allocation). Any GraphBLAS array or string property of that
size does it: 64,000 distinct edges (4-byte row indices), a 255,999-character text. Once the append-only log is
folded into such a snapshot, every later start crashes and the store is lost. So before a compaction the log files
are kept (hard links), the new snapshot is loaded by a throwaway server, and if that dies the kept log is put back:
the store then starts by replaying its log, and tries again after its next write.
"""

from __future__ import annotations

import mmap
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from tracegraph.store.falkordb_process import spawn_server

LOG_DIR = "appendonlydir"
KEPT_DIR = "appendonlydir.kept"
"""The log as it was before a compaction whose snapshot is not yet proven readable."""
CHECK_PING_TIMEOUT_S = 10.0
"""How long a check server may stay silent on a ping (a loading server answers at once, with LOADING)."""
CHECK_SOCKET_TIMEOUT_S = 60.0
"""How long a check server may take to open its socket."""
CHECK_ATTEMPTS = 2
REFUSED_FILE = "snapshot.refused"
"""The log (file names and sizes) whose snapshot crashed the check: folding that same log again would only crash."""

# LZF, which redis applies to the strings of a snapshot, spends at least 3 bytes per 264 bytes it encodes: a
# snapshot smaller than this cannot hold a 255,993-byte value, so it needs no check.
SMALLEST_UNREADABLE_SNAPSHOT = 255_993 // 264 * 3
# How a module writes a string of 255,993..256,000 bytes into a snapshot: opcode 5, then the string, either LZF
# (0xC3, compressed length, length) or plain, the length as 0x80 + 4 bytes big-endian. A snapshot without this byte
# pattern holds no such value and needs no server to check it; one with it (full 256,000-byte buffers match too)
# gets the real check.
_WINDOW_STRING = re.compile(
    rb"\x05(?:\xc3(?:[\x00-\x3f]|[\x40-\x7f].|\x80.{4}|\x81.{8}))?\x80\x00\x03(?:\xe7[\xf9-\xff]|\xe8\x00)", re.S)


def recover_interrupted_check(folder: Path) -> None:
    """A process killed while it checked a snapshot leaves the kept log: it holds every write, so it is put back."""
    kept = folder / KEPT_DIR
    if kept.is_dir():
        _put_back(folder)
    shutil.rmtree(folder / (KEPT_DIR + ".partial"), ignore_errors=True)


def log_state(folder: Path) -> str:
    """The log's files and sizes: equal states fold into equal snapshots."""
    files = sorted((f.name, f.stat().st_size) for f in (folder / LOG_DIR).iterdir() if f.is_file())
    return "\n".join(f"{name} {size}" for name, size in files)


def refused_before(folder: Path) -> bool:
    """This very log made a snapshot that crashed the check already."""
    try:
        return (folder / REFUSED_FILE).read_text() == log_state(folder)
    except OSError:
        return False


def keep_log(folder: Path) -> None:
    """Hard-link the log's files aside; redis deletes its copies once a compaction succeeds."""
    partial = folder / (KEPT_DIR + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    for f in (folder / LOG_DIR).iterdir():
        try:
            os.link(f, partial / f.name)
        except OSError:  # a file system without hard links
            shutil.copy2(f, partial / f.name)
    partial.rename(folder / KEPT_DIR)


def drop_kept_log(folder: Path) -> None:
    shutil.rmtree(folder / KEPT_DIR, ignore_errors=True)


def put_back_kept_log(folder: Path) -> None:
    """The snapshot is unreadable: the kept log replaces it (the server must be stopped), remembered as refused."""
    _put_back(folder)
    fd = os.open(folder / REFUSED_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(log_state(folder))


def forget_refused(folder: Path) -> None:
    (folder / REFUSED_FILE).unlink(missing_ok=True)


def _put_back(folder: Path) -> None:
    # Renames only, so a kill at any point leaves either the kept log in place or still kept for the next open.
    log, bad = folder / LOG_DIR, folder / (LOG_DIR + ".unreadable")
    shutil.rmtree(bad, ignore_errors=True)
    if log.exists():
        log.rename(bad)
    (folder / KEPT_DIR).rename(log)
    shutil.rmtree(bad, ignore_errors=True)


def snapshot_base(folder: Path) -> Path | None:
    """The snapshot the log's manifest starts from (redis 7+ multi-part log: `file <name> seq <n> type b`)."""
    log = folder / LOG_DIR
    for manifest in log.glob("*.manifest"):
        for line in manifest.read_text().splitlines():
            words = line.split()
            if len(words) >= 6 and words[0] == "file" and words[5] == "b":
                return log / words[1]
    return None


def _may_hold_unreadable_value(snapshot: Path) -> bool:
    if snapshot.stat().st_size < SMALLEST_UNREADABLE_SNAPSHOT:
        return False
    with open(snapshot, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _WINDOW_STRING.search(data) is not None


def snapshot_loads(snapshot: Path, server_args: list[str], secret: str, log: Path) -> bool:
    """Start a throwaway server on a link to `snapshot` and wait until it has loaded it or died.

    A check server that stays silent (FalkorDB 4.16.3 can hang at start-up) is killed and the check made again with
    a fresh one; after CHECK_ATTEMPTS silent servers the snapshot counts as unproven and the log is kept, so a close
    never waits on a hung check."""
    if snapshot.suffix != ".rdb" or not _may_hold_unreadable_value(snapshot):
        return True
    for _ in range(CHECK_ATTEMPTS):
        verdict = _check_once(snapshot, server_args, secret, log)
        if verdict is not None:
            return verdict
    return False


def _check_once(snapshot: Path, server_args: list[str], secret: str, log: Path) -> bool | None:
    """True: the snapshot loaded; False: the server died loading it; None: the server stayed silent."""
    from falkordb import FalkorDB
    from redis.exceptions import BusyLoadingError, ConnectionError as GoneError, TimeoutError as SilentError

    with tempfile.TemporaryDirectory(prefix="tracegraph-check-") as tmp:
        copy = Path(tmp) / "check.rdb"
        try:
            os.link(snapshot, copy)
        except OSError:
            shutil.copy2(snapshot, copy)
        socket = Path(tmp) / "check.sock"
        args = [*server_args, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700", "--dir", tmp,
                "--dbfilename", copy.name, "--appendonly", "no", "--save", "", "--logfile", str(log)]
        server = spawn_server(args, secret)
        try:
            # Redis opens its socket before it loads data: no socket by the deadline is a hang, not a slow load.
            deadline = time.monotonic() + CHECK_SOCKET_TIMEOUT_S
            while server.poll() is None:
                if not socket.exists() and time.monotonic() > deadline:
                    return None
                if socket.exists():
                    try:
                        FalkorDB(unix_socket_path=str(socket), password=secret,
                                 socket_timeout=CHECK_PING_TIMEOUT_S).connection.ping()
                        return True
                    except SilentError:
                        return None
                    except (BusyLoadingError, GoneError, OSError):
                        pass
                time.sleep(0.02)
            return False
        finally:
            if server.poll() is None:
                server.kill()
            server.wait()
