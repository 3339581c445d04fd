"""Ingest throughput: the fixture runs of every format, repeated until ≥ 100k steps, into a fresh embedded store.

Prints steps/s and nodes/s end to end (discover → parse → redact → tree → quality gate → write), then where one
copy's time goes: CPU µs per step for each stage in turn, and for each parser.
Usage: python bench/ingest.py [--min-steps 100000] [--fixtures ../shared/fixtures]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tracegraph.ingest.discover import Limits, discover
from tracegraph.ingest.pipeline import ingest_paths
from tracegraph.ingest.prepare import parse_units
from tracegraph.ingest.quality import check_batch
from tracegraph.ingest.redact import redact_trace
from tracegraph.store import open_store
from tracegraph.store.info import db_status
from tracegraph.store.plan import write_runs_plan
from tracegraph.tree import build_tree


WHITESPACE_TOLERANT = {".json", ".jsonl", ".traj", ".cast", ".log", ".txt"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-steps", type=int, default=100_000)
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "fixtures")
    args = parser.parse_args()
    units = discover([args.fixtures]).units
    steps_per_copy = sum(len(t.steps) for u in units for t in u.parser.parse(u.path))
    copies = max(1, -(-args.min_steps // max(1, steps_per_copy)))
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        # Each copy's files get trailing whitespace (i + 1 blanks), so every run gets its own content hash and run
        # id (identical copies would be loaded once). OpenHands output.jsonl hashes each line, so its runs are the
        # same in every copy: parsed every time, loaded once, and counted once in steps/s.
        for i in range(copies):
            dst = work / "runs" / f"copy{i:04d}"
            shutil.copytree(args.fixtures, dst, symlinks=True)
            for path in dst.rglob("*"):
                if path.is_file() and not path.is_symlink() and path.suffix in WHITESPACE_TOLERANT:
                    with open(path, "a") as fh:
                        fh.write("\n" + " " * (i + 1))
        store = open_store(str(work / "store"))
        started = time.perf_counter()
        report = ingest_paths([work / "runs"], store)
        elapsed = time.perf_counter() - started
        status = db_status(store)
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    nodes = sum(status["nodes"].values())
    edges = sum(status["relationships"].values())
    print(f"runs loaded      {len(report.runs)} ({len(report.errors)} errors)")
    print(f"steps            {report.steps} ({status['nodes'].get('Step', 0)} Step nodes in the graph)")
    print(f"seconds          {elapsed:.2f}")
    print(f"steps/s          {report.steps / elapsed:,.0f}   (target ≥ 5,000)")
    print(f"nodes/s          {nodes / elapsed:,.0f}")
    print(f"relationships/s  {edges / elapsed:,.0f}")
    stage_costs(args.fixtures)


def stage_costs(fixtures: Path) -> None:
    """Each stage alone over one copy of the fixtures (the pipeline overlaps the store write with parsing)."""
    seconds: dict[str, float] = defaultdict(float)
    by_parser: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    started = time.perf_counter()
    units = discover([fixtures]).units
    seconds["discover"] = time.perf_counter() - started
    traces = []
    for unit in units:
        started = time.perf_counter()
        parsed = [trace for trace, _ in parse_units([unit], Limits(), [])]
        spent = time.perf_counter() - started
        seconds["parse"] += spent
        by_parser[unit.parser.name][0] += sum(len(t.steps) for t in parsed)
        by_parser[unit.parser.name][1] += spent
        traces += parsed
    for stage, work in [("redact", lambda: [redact_trace(t) for t in traces]),
                        ("tree", lambda: [build_tree(t) for t in traces]),
                        ("quality gate", lambda: check_batch(traces)),
                        ("write plan", lambda: write_runs_plan(traces))]:
        started = time.perf_counter()
        plan = work()
        seconds[stage] = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        store = open_store(str(folder / "store"))
        started = time.perf_counter()
        store.execute(plan)
        seconds["store write"] = time.perf_counter() - started
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steps = sum(len(t.steps) for t in traces)
    print(f"\nwhere the time goes ({steps} steps, one copy; µs per step)")
    for stage, spent in seconds.items():
        print(f"  {stage:16s} {spent / steps * 1e6:8.0f}")
    print("parse, per parser (µs per step)")
    for name, (count, spent) in sorted(by_parser.items(), key=lambda item: -item[1][1]):
        print(f"  {name:16s} {spent / max(count, 1) * 1e6:8.0f}   ({count} steps)")


if __name__ == "__main__":
    main()
