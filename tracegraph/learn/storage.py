"""Learned formats on disk: one folder per format with parser.py (never imported here) and format.json.

The folder is $TRACEGRAPH_FORMATS, else ~/.tracegraph/formats. format.json records the fingerprint, the model and
prompt version that wrote the parser, the samples it passed on, and the parser's SHA-256: a parser whose text no
longer matches is refused, so an edit on disk cannot slip past the checks it passed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tracegraph.errors import TracegraphError, UnknownNameError
from tracegraph.learn.fingerprint import MATCH, Fingerprint


class LearnedFormatError(TracegraphError):
    """A stored learned format is unreadable or was changed after it was accepted."""


class SampleCheck(BaseModel):
    file: str
    steps: int


class LearnedFormat(BaseModel):
    """What is known of one accepted parser."""

    name: str
    fingerprints: list[Fingerprint]
    """One per sample it was learned from: a file matches when it is close to any of them."""
    model: str
    prompt_version: str
    created_at: str
    attempts: int
    """Model replies it took (1 = the first parser passed)."""
    samples: list[SampleCheck]
    parser_sha256: str


def formats_dir() -> Path:
    return Path(os.environ.get("TRACEGRAPH_FORMATS") or Path.home() / ".tracegraph" / "formats")


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def format_name(fp: Fingerprint, hint: str) -> str:
    """A folder-safe name: the sample's stem words and a hash of the fingerprint."""
    words = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:32] or fp.layout
    digest = hashlib.sha1(f"{fp.layout}{fp.suffix}{fp.shapes}".encode()).hexdigest()[:8]
    return f"{words}-{digest}"


def save_format(meta: LearnedFormat, code: str, directory: Path | None = None) -> Path:
    """Write the format's folder (replacing one of the same name); returns it."""
    root = directory or formats_dir()
    folder = root / meta.name
    staging = root / f".{meta.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "parser.py").write_text(code, encoding="utf-8")
    (staging / "format.json").write_text(meta.model_dump_json(indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder


def list_formats(directory: Path | None = None) -> list[LearnedFormat]:
    root = directory or formats_dir()
    if not root.is_dir():
        return []
    out = []
    for meta in sorted(root.glob("*/format.json")):
        try:
            out.append(LearnedFormat.model_validate_json(meta.read_text(encoding="utf-8")))
        except (OSError, ValidationError):
            continue  # `formats show` names the broken one; listing and matching skip it
    return out


def load_format(name: str, directory: Path | None = None) -> tuple[LearnedFormat, str]:
    """(metadata, parser text) of a stored format; refuses a parser changed since it was accepted."""
    root = directory or formats_dir()
    folder = root / name
    if not (folder / "format.json").is_file():
        raise UnknownNameError("learned format", name, [f.name for f in list_formats(root)])
    try:
        meta = LearnedFormat.model_validate_json((folder / "format.json").read_text(encoding="utf-8"))
        code = (folder / "parser.py").read_text(encoding="utf-8")
    except (OSError, ValidationError) as exc:
        raise LearnedFormatError(f"{folder}: unreadable learned format ({type(exc).__name__})") from None
    if code_hash(code) != meta.parser_sha256:
        raise LearnedFormatError(f"{folder / 'parser.py'}: changed since it was accepted (SHA-256 differs); "
                                 "learn the format again")
    return meta, code


def remove_format(name: str, directory: Path | None = None) -> None:
    root = directory or formats_dir()
    if not (root / name / "format.json").is_file():
        raise UnknownNameError("learned format", name, [f.name for f in list_formats(root)])
    shutil.rmtree(root / name)


def best_match(fp: Fingerprint, formats: list[LearnedFormat]) -> LearnedFormat | None:
    """The stored format whose fingerprint is closest to `fp`, if close enough."""
    scored = [(max(fp.similarity(known) for known in f.fingerprints), f.name, f) for f in formats]
    scored = [s for s in scored if s[0] >= MATCH]
    return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
