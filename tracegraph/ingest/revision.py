"""The reader revision: a hash of the tracegraph code that turns artifacts into a stored run.

A run's `content_hash` says which artifacts it was read from; that alone let a re-ingest after an upgrade keep runs
parsed, triaged and split into stages by the old code (an old store kept showing old triage verdicts). Each run
records the revision of the code that read it, and a run read by other code is read again. The revision hashes the
source files themselves (not a version number someone must remember to bump): the packages that shape what is
stored (schema, semantics, ingest, tree, load) and the write plan.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
READER_PARTS = ("schema", "semantics", "ingest", "tree", "load", "store/plan.py")
"""Paths under tracegraph/ whose code decides what a stored run holds. Diagnosis, queries and reports read runs
and are not part of it: changing them never forces a re-ingest."""


@cache
def reader_revision() -> str:
    """12 hex digits over the reader's source files (relative path and bytes, in path order); computed once."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for part in READER_PARTS:
        path = PACKAGE / part
        files.extend(sorted(path.rglob("*")) if path.is_dir() else [path])
    for file in files:
        if file.is_file() and file.suffix in (".py", ".json"):
            digest.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
