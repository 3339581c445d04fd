"""Files below some paths that no parser claims, grouped by fingerprint: what `ingest --learn-format` learns from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tracegraph.errors import TracegraphError
from tracegraph.ingest.discover import SKIP_DIRS, discover, is_archive
from tracegraph.learn.fingerprint import MATCH, Fingerprint, fingerprint
from tracegraph.learn.loop import LearnConfig, LearnReport, learn_format

TEXT_SUFFIXES = {".json", ".jsonl", ".md", ".txt", ".log", ".ndjson"}
SAMPLES_PER_FORMAT = 3


@dataclass
class UnclaimedGroup:
    fingerprint: Fingerprint
    files: list[Path] = field(default_factory=list)


@dataclass
class LearnOutcome:
    """One group of unclaimed files: the format learned from it, or why none was."""

    files: list[Path]
    report: LearnReport | None = None
    error: str | None = None


def unclaimed_groups(paths: list[Path], max_file_bytes: int = 100 << 20) -> list[UnclaimedGroup]:
    """Text files below `paths` (archives aside) that no parser claims, grouped by similar fingerprints."""
    found = discover(paths)
    try:
        claimed = [u.path.resolve() for u in found.units]
    finally:
        found.cleanup()
    groups: list[UnclaimedGroup] = []
    for path in _files(paths):
        real = path.resolve()
        if any(real == c or real.is_relative_to(c) for c in claimed):
            continue
        if path.suffix.lower() not in TEXT_SUFFIXES or is_archive(path) or path.stat().st_size > max_file_bytes:
            continue
        fp = fingerprint(path)
        group = next((g for g in groups if g.fingerprint.similarity(fp) >= MATCH), None)
        if group is None:
            groups.append(group := UnclaimedGroup(fp))
        group.files.append(path)
    return groups


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for root in paths:
        if root.is_file():
            out.append(root)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            out += [Path(folder) / f for f in sorted(files)]
    return out


def learn_unclaimed(paths: list[Path], config: LearnConfig, *, max_formats: int = 3) -> list[LearnOutcome]:
    """Learn a format for each group of unclaimed files (at most `max_formats` groups, so at most that many
    model conversations); one group failing does not stop the others."""
    outcomes = []
    for group in unclaimed_groups(paths)[:max_formats]:
        try:
            report = learn_format(group.files[:SAMPLES_PER_FORMAT], config)
            outcomes.append(LearnOutcome(group.files, report=report))
        except TracegraphError as exc:
            outcomes.append(LearnOutcome(group.files, error=str(exc)))
    return outcomes
