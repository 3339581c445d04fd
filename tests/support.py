"""Paths to the real fixtures and gold labels, shared by the tests."""

from __future__ import annotations

import json
import shutil
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


LATE_STEP_TRIAL = "filter-js-from-html__ANAXTHK"
LATE_STEP_ISSUE = "timestamps go backwards: step 4 is 600.0 s earlier than a step before it"


def harbor_with_a_late_step(root: Path) -> Path:
    """A copy of every harbor-atif trial under `root`, LATE_STEP_TRIAL's step 10 stamped ten minutes early (a
    lenient ingest loads it and reports LATE_STEP_ISSUE)."""
    shutil.copytree(FIXTURES / "harbor-atif", root, symlinks=True)
    path = root / LATE_STEP_TRIAL / "agent" / "trajectory.json"
    data = json.loads(path.read_text())
    step = next(s for s in data["steps"] if s.get("step_id") == 10)
    step["timestamp"] = "2026-04-01T17:15:01.651Z"
    path.write_text(json.dumps(data))
    return root


def graph_rows(store) -> list[str]:
    """Every node (labels, properties) and relationship (type, end ids, properties), the schema marker aside, as
    sorted JSON lines: two stores hold the same graph when these are equal."""
    nodes = store.query("MATCH (n) WHERE NOT n:SchemaInfo RETURN labels(n) AS labels, properties(n) AS props")
    edges = store.query("MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS src, b.id AS dst, "
                        "properties(r) AS props")
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in nodes + edges)
