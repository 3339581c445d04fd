"""Ingest throughput: the fixture runs of every format, repeated until ≥ 100k steps, into a fresh embedded store.

Prints steps/s and nodes/s end to end (discover → parse → redact → tree → quality gate → write), then where one
copy's time goes: CPU µs per step for each stage in turn, and for each parser.

With --neo4j the same corpus also goes into a Neo4j server (the bundled one that scripts/neo4j.sh starts, or the URI
given, which is wiped first; credentials from NEO4J_USER / NEO4J_PASSWORD), and the write path alone (one copy's
write plan: batched UNWIND with parameters) is timed on both engines: nodes/s next to each other.
Usage: python bench/ingest.py [--min-steps 100000] [--fixtures ../shared/fixtures] [--neo4j [bolt://host:port]]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
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
    parser.add_argument("--neo4j", nargs="?", const="bundled", metavar="URI",
                        help="also bench a Neo4j server: the bundled one (no URI) or this one (wiped first)")
    args = parser.parse_args()
    server = None
    targets = {"embedded FalkorDB": None}
    if args.neo4j == "bundled":
        server = start_bundled_neo4j()
        targets["Neo4j " + server.uri] = server.uri
    elif args.neo4j:
        targets["Neo4j " + args.neo4j] = args.neo4j
    try:
        for name, uri in targets.items():
            print(f"== {name}")
            end_to_end(args.fixtures, args.min_steps, uri)
        write_path(args.fixtures, targets)
    finally:
        if server:
            server.stop()
    stage_costs(args.fixtures)


def start_bundled_neo4j():
    """The server the tests use (scripts/neo4j.sh), full JIT; NEO4J_* set for open_store."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.neo4j_server import Neo4jServer

    server = Neo4jServer(Path(tempfile.mkdtemp(prefix="tg-bench-neo4j-")))
    os.environ.update(NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
    return server


def fresh_store(folder: Path, uri: str | None):
    """An empty store: embedded in `folder`, or the Neo4j server at `uri` wiped."""
    if uri is None:
        return open_store(str(folder / "store"))
    store = open_store(uri)
    store.reset()
    store.init_schema()
    return store


def end_to_end(fixtures: Path, min_steps: int, uri: str | None) -> None:
    args = argparse.Namespace(fixtures=fixtures, min_steps=min_steps)
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
        store = fresh_store(work, uri)
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


def write_path(fixtures: Path, targets: dict[str, str | None]) -> None:
    """One copy's write plan (parsed and built beforehand) executed into an empty store of each engine."""
    traces = [t for t, _ in parse_units(discover([fixtures]).units, Limits(), [])]
    for trace in traces:
        redact_trace(trace)
        build_tree(trace)
    plan = write_runs_plan(traces)
    nodes = sum(len(t.nodes()) for t in traces)
    print(f"\nwrite path: one copy's plan, {nodes} nodes in {len(plan)} statements")
    for name, uri in targets.items():
        folder = Path(tempfile.mkdtemp(prefix="tg-bench-"))
        try:
            store = fresh_store(folder, uri)
            started = time.perf_counter()
            store.execute(plan)
            elapsed = time.perf_counter() - started
            store.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"  {name:40s} {nodes / elapsed:10,.0f} nodes/s   ({elapsed:.2f} s)")


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
