"""Paths to the real fixtures and gold labels, shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
GOLD_PATH = SHARED / "gold" / "dev.jsonl"
EXAMPLES = REPO / "examples" / "runs"


def gold_records() -> list[dict]:
    return [json.loads(line) for line in GOLD_PATH.read_text().splitlines() if line.strip()]


def live_children(parent: int) -> list[tuple[int, bytes]]:
    """(pid, command line) of each live child process of `parent`, read from /proc (Linux)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == parent and fields[0] != "Z":
            out.append((int(stat.parent.name), cmdline))
    return out
