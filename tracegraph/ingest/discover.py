"""Find run units below paths (folders and archives) by asking each parser's detect(), a unit found once."""

from __future__ import annotations

import os
import shutil
import signal
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracegraph.errors import IngestError
from tracegraph.ingest.registry import Parser, all_parsers, get_parser

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd", ".zip")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tracegraph", ".pytest_cache"}
RUN_LIKE_NAMES = {"trajectory.json", "result.json", "results.json", "agent.log", "trial.log", "output.jsonl",
                  "agent", "agent-logs", "sessions", "verifier"}
RUN_LIKE_SUFFIXES = (".traj", ".cast")
"""Entries agent harnesses leave in a run folder: a folder holding one, where no run was found, is reported."""
FILE_SUFFIXES = (".json", ".jsonl", ".traj", ".log", ".cast", ".txt")
"""Names that are files in every format: a folder (or a FIFO) so named makes the run unreadable, not empty."""


@dataclass
class Limits:
    """Limits that protect users from runaway inputs; all are reported in the ingest summary."""

    max_file_bytes: int = 100 * 1024 * 1024
    """Largest single artifact file read."""
    max_archive_bytes: int = 2 * 1024 * 1024 * 1024
    """Largest total unpacked size of one archive."""
    max_archive_members: int = 100_000
    """Most members unpacked from one archive."""
    max_archive_depth: int = 3
    """Most archives nested inside one another (an archive that contains itself would never end)."""
    max_steps: int = 20_000
    """Most steps kept per run (later steps are dropped and the run is flagged)."""
    observation_chars: int = 4000
    """Characters of each tool result kept in the graph."""


@dataclass
class Unit:
    parser: Parser
    path: Path
    archive: Path | None = None
    """The archive the unit was unpacked from (its path is then inside a temp folder)."""


@dataclass
class Discovery:
    units: list[Unit] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    skipped: list[IngestError] = field(default_factory=list)
    """Folders that look like runs (they hold harness artifacts) but that no format recognised, with why."""
    temp_dirs: list[Path] = field(default_factory=list)
    archives: dict[Path, Path] = field(default_factory=dict)
    """Folder holding an unpacked archive's top level → that archive."""

    _signals: dict[int, object] = field(default_factory=dict)
    """Handlers replaced while unpacked copies exist (restored by cleanup)."""

    def cleanup(self) -> None:
        for d in self.temp_dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.temp_dirs.clear()
        for signum, handler in self._signals.items():
            signal.signal(signum, handler)
        self._signals.clear()

    def guard_signals(self) -> None:
        """Before the first archive is unpacked: SIGTERM and SIGHUP end the process through its `finally` blocks
        (which call cleanup) instead of killing it where it stands."""
        if self._signals or threading.current_thread() is not threading.main_thread():
            return
        global _owner
        _owner = os.getpid()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                self._signals[signum] = signal.signal(signum, _exit_through_finally)

    def display_path(self, path: Path | str) -> str:
        """`path` as the user knows it: a file unpacked from an archive reads `archive.tar.gz!/member/path`."""
        path = Path(path)
        for members, archive in self.archives.items():
            if path.is_relative_to(members):
                inner = path.relative_to(members).as_posix()
                return self.display_path(archive) + ("" if inner == "." else f"!/{inner}")
        return str(path)


_owner = os.getpid()
"""The process that installed the handlers (forked workers inherit them)."""


def _exit_through_finally(signum: int, frame: object) -> None:
    if os.getpid() != _owner:  # a forked parse worker inherited the handler: die as the signal says
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise SystemExit(128 + signum)


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def discover(paths: list[Path], *, format: str | None = None, limits: Limits | None = None) -> Discovery:
    """Every run unit below `paths`; archives are unpacked safely into a temp folder."""
    found = Discovery()
    for _ in discover_units(paths, found, format=format, limits=limits):
        pass
    return found


def discover_units(paths: list[Path], found: Discovery, *, format: str | None = None,
                   limits: Limits | None = None) -> Iterator[Unit]:
    """The run units below `paths` as the walk finds them, so parsing can start on the first ones while the walk
    goes on; each is also added to `found.units`, and what cannot be read or recognised to `found.errors` and
    `found.skipped` (complete once the iterator is exhausted)."""
    limits = limits or Limits()
    sweep_stale_extractions()
    parsers = [get_parser(format)] if format else all_parsers()
    seen: set[Path] = set()
    try:
        for root in paths:
            root = Path(root)
            if not root.exists():
                found.errors.append(IngestError(root, "no such file or folder"))
                continue
            if not root.is_dir() and not root.is_file():
                found.errors.append(IngestError(root, "is not a regular file or folder (a FIFO, socket or device)"))
                continue
            before = (len(found.units), len(found.errors), len(found.skipped))
            try:
                for unit in _walk(root, root.resolve(), parsers, found, limits, seen):
                    found.units.append(unit)
                    yield unit
            except RecursionError:
                found.errors.append(IngestError(root, "folders nested too deeply to walk"))
            if (len(found.units), len(found.errors), len(found.skipped)) == before and root.is_file():
                # A file named on the command line is meant to be read: saying nothing would report "loaded 0 runs".
                found.errors.append(IngestError(root, "no format recognises this file (empty, truncated or another "
                                                      "format; see `tracegraph formats`)"))
    except BaseException:  # a signal or Ctrl-C while unpacking: the caller may never get `found` to clean up
        found.cleanup()
        raise


_DETECT_ERRORS = (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError, IndexError,
                  RecursionError)
"""What a parser's detect() may raise on a file it does not understand: the file is simply not claimed."""


def _walk(path: Path, root: Path, parsers: list[Parser], found: Discovery, limits: Limits, seen: set[Path],
          archive: Path | None = None, depth: int = 0, real: Path | None = None) -> Iterator[Unit]:
    """`real`: the path resolved, when the caller knows it (an entry that is no link, in a folder resolved already:
    resolving it again would lstat every component of its path)."""
    if real is None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11/3.12
            found.errors.append(IngestError(path, "symlink loop; not followed"))
            return
        if path.is_symlink() and not real.is_relative_to(root):
            return  # never follow a link out of the tree the user named (checked before `seen`: it may be a root)
    if real in seen:
        return
    seen.add(real)
    if not path.is_dir() and not path.is_file():
        return  # a fifo, socket or device: reading it could block forever
    if is_archive(path):
        if depth >= limits.max_archive_depth:
            found.errors.append(IngestError(path, f"archive nested more than {limits.max_archive_depth} deep; "
                                                  "not unpacked"))
            return
        found.guard_signals()
        try:
            extracted, members = _extract(path, limits)
        except IngestError as exc:
            found.errors.append(exc)
            return
        found.temp_dirs.append(extracted)
        found.archives[members] = path
        yield from _walk(extracted, extracted.resolve(), parsers, found, limits, seen, path, depth + 1)
        return
    for parser in parsers:
        try:
            claimed = parser.detect(path)
        except _DETECT_ERRORS:
            claimed = False
        if claimed:
            escape = _link_out_of(path, root) if path.is_dir() else None
            if escape is not None:
                found.errors.append(IngestError(path, f"{escape} links outside {root}; the run is not read"))
                return
            yield Unit(parser, path, archive)
            return
    if path.is_dir():
        try:
            children = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            found.errors.append(IngestError(path, f"cannot list folder: {exc.strerror}"))
            return
        units, skipped_below = 0, len(found.skipped)
        for entry in children:
            if entry.name in SKIP_DIRS or entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                continue
            known = None if entry.is_symlink() else real / entry.name
            for unit in _walk(Path(entry.path), root, parsers, found, limits, seen, archive, depth, known):
                units += 1
                yield unit
        hints = [e.name for e in children if e.name in RUN_LIKE_NAMES or e.name.endswith(RUN_LIKE_SUFFIXES)]
        if not units and hints:
            del found.skipped[skipped_below:]  # the run is this folder, not its agent/ or logs/ inside
            found.skipped.append(IngestError(path, f"looks like a run (holds {', '.join(hints[:3])}) but no format "
                                                   "recognises it"))


def _link_out_of(unit: Path, root: Path, folder: str | None = None) -> str | None:
    """The first symlink inside a run folder whose target lies outside `root` (a parser would read through it), in
    os.walk's order: a folder's subfolders then its files, then each subfolder that is no link. Folder entries say
    whether they are links without a system call, which os.walk's names and Path.is_symlink do not."""
    try:
        with os.scandir(folder or unit) as listing:
            entries = list(listing)
    except OSError:
        return None  # os.walk skips a folder it cannot list
    dirs, files = [], []
    for entry in entries:
        (dirs if _is_dir(entry) else files).append(entry)
    for entry in dirs + files:
        if not entry.is_symlink():
            continue
        link = Path(entry.path)
        try:
            target = link.resolve()
        except (OSError, RuntimeError):
            return f"{link.relative_to(unit)} (a symlink loop)"
        if not target.is_relative_to(root):
            return f"{link.relative_to(unit)} → {target}"
    for entry in dirs:
        if not entry.is_symlink() and (escape := _link_out_of(unit, root, entry.path)) is not None:
            return escape
    return None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False  # as os.walk counts it


EXTRACT_PREFIX = "tracegraph-archive-"
"""Temp folders of unpacked archives are named `tracegraph-archive-<pid>-<random>`: a later run removes those
whose process is gone (a kill -9 runs no cleanup)."""


def sweep_stale_extractions() -> list[Path]:
    """Remove this user's unpacked archive copies left by tracegraph processes that no longer run."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{EXTRACT_PREFIX}*-*"):
        pid = folder.name[len(EXTRACT_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid() or _alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _extract(archive: Path, limits: Limits) -> tuple[Path, Path]:
    """Unpack into a fresh temp folder, refusing absolute paths, `..`, links and oversize content.

    Returns the temp folder and the folder holding the archive's top level. An archive whose top level is one
    folder keeps it; any other is unpacked into a folder named after the archive, so its run gets that name.
    """
    target = Path(tempfile.mkdtemp(prefix=f"{EXTRACT_PREFIX}{os.getpid()}-"))
    try:
        budget = _Budget(archive, limits, target)
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, target, limits, budget)
        else:
            _extract_tar(archive, target, limits, budget)
        top = list(target.iterdir())
        if len(top) == 1 and top[0].is_dir():
            return target, target
        inner = target / _archive_stem(archive.name)
        staging = Path(tempfile.mkdtemp(dir=target))
        for child in top:
            child.rename(staging / child.name)
        staging.rename(inner)
        return target, inner
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise IngestError(archive, f"unreadable archive ({exc.__class__.__name__}: {exc})") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _archive_stem(name: str) -> str:
    """`install-windows-3.11__sVtnj8d.tar.gz` → `install-windows-3.11__sVtnj8d` (case and inner dots kept)."""
    lowered = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)] or "archive"
    return name


def _safe_member(archive: Path, member_name: str, target: Path) -> Path:
    dest = (target / member_name).resolve()
    if member_name.startswith("/") or not dest.is_relative_to(target.resolve()):
        raise IngestError(archive, f"archive member {member_name!r} escapes the extraction folder")
    return dest


class _Budget:
    """Bytes an archive may unpack: its limit, or the free space of the temp disk less a reserve if that is less.
    Counted on what is actually written, so a member whose header understates its size stops at the budget."""

    RESERVE = 0.05
    """Share of the temp disk left free (other programs need it too)."""

    def __init__(self, archive: Path, limits: Limits, target: Path) -> None:
        self.archive = archive
        self.limits = limits
        disk = shutil.disk_usage(target)
        room = max(0, disk.free - int(disk.total * self.RESERVE))
        self.total = min(limits.max_archive_bytes, room)
        self.why = (f"over the {limits.max_archive_bytes / 2**20:.0f} MB unpacked limit"
                    if self.total == limits.max_archive_bytes else
                    f"more than the {room / 2**20:.0f} MB free on the temp disk ({target.parent}) can take")
        self.used = 0

    def check(self, name: str, size: int) -> None:
        """Refuse member `name` once `size` bytes of it would break a limit (its declared size, then as written)."""
        if size > self.limits.max_file_bytes:
            raise IngestError(self.archive, f"member {name!r} exceeds the size limit")
        if self.used + size > self.total:
            raise IngestError(self.archive, f"unpacks to {self.why}; stopped at member {name!r}")

    def copy(self, name: str, src, dest: Path) -> None:
        """Stream one member to `dest`, stopping as soon as a budget is spent (the caller removes the folder)."""
        written = 0
        with open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                self.check(name, written)
                out.write(chunk)
        self.used += written


def _extract_tar(archive: Path, target: Path, limits: Limits, budget: _Budget) -> None:
    if archive.name.lower().endswith((".zst", ".zstd")):
        import zstandard

        with open(archive, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream, \
                tarfile.open(fileobj=stream, mode="r|") as tar:
            _extract_tar_members(archive, tar, target, limits, budget)
        return
    with tarfile.open(archive, mode="r:*") as tar:
        _extract_tar_members(archive, tar, target, limits, budget)


def _extract_tar_members(archive: Path, tar: tarfile.TarFile, target: Path, limits: Limits, budget: _Budget) -> None:
    for count, member in enumerate(tar, 1):
        if count > limits.max_archive_members:
            raise IngestError(archive, f"more than {limits.max_archive_members} members")
        dest = _safe_member(archive, member.name, target)
        if member.issym() or member.islnk() or member.isdev():
            continue  # links could point anywhere; runs never need them
        if member.isdir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        budget.check(member.name, member.size)
        src = tar.extractfile(member)
        if src is None:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        budget.copy(member.name, src, dest)


def _extract_zip(archive: Path, target: Path, limits: Limits, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_archive_members:
            raise IngestError(archive, f"more than {limits.max_archive_members} members")
        for info in infos:
            dest = _safe_member(archive, info.filename, target)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue  # symlink member
            budget.check(info.filename, info.file_size)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src:
                budget.copy(info.filename, src, dest)


def check_sizes(unit: Path, limits: Limits) -> None:
    """Refuse a unit holding a file over the size limit, or a FIFO, socket, device or folder where a file belongs,
    before any parser reads it (a parser would block on a FIFO, or read a run with its log missing as empty)."""
    import stat

    # Paths as text until one is refused: a Path object and its stat() per file were most of this check's cost.
    files = [os.fspath(unit)] if unit.is_file() else []
    for folder, dirs, names in ([] if files else os.walk(unit)):
        files += [os.path.join(folder, f) for f in names]
        for d in dirs:
            if d.endswith(FILE_SUFFIXES):
                raise IngestError(Path(folder) / d, "is a folder where the run's file should be")
    for f in files:
        try:
            info = os.stat(f)
            size = info.st_size
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            raise IngestError(Path(f), "is not a regular file (a FIFO, socket or device); the run is not read")
        if size > limits.max_file_bytes:
            raise IngestError(Path(f), f"file is {size / 2**20:.0f} MB, over the {limits.max_file_bytes / 2**20:.0f} "
                                       "MB limit (raise it with --max-file-mb)")
