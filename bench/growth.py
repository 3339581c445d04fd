"""Per-step ingest cost as one embedded store grows: is it flat from 10k steps to a few hundred thousand?

Synthetic runs shaped like the fixtures (bench/scale.py's generator, streamed) go into ONE store, --chunk steps
at a time, through ingest_traces (in-process: TraceBuilder output → limits → redact → trace tree → quality gate →
write). For each chunk: the steps already in the store, CPU µs per step of this process (writer thread included)
and of the FalkorDB server (from /proc), steps/s, and each figure against the first chunk's. The
great-expectations import is paid before the first chunk, so every chunk shows the steady cost. Then the close,
which folds the append-only log into a checked snapshot (the store never rewrites its log during an ingest).

Usage: python bench/growth.py [--max-steps 300000] [--chunk 10000] [--seed 1] [--keep DIR]
Target (issue 21): per-step cost flat within ±15% from 10k to 1M steps in a store.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from scale import FIXTURES, load_shapes, synthetic_run  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
FLAT = 0.15


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> None:
    from tracegraph.ingest.quality import _suite
    from tracegraph.load.pipeline import ingest_traces
    from tracegraph.store import open_store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-steps", type=int, default=300_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="store folder to keep (default: a temp folder)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tg-growth-")) / "store"
    shapes = load_shapes(FIXTURES)
    _suite()  # the one-off great-expectations import, outside every chunk
    # Enough run numbers that the generator's task variants do not depend on where the ingest stops.
    total_runs = args.max_steps // 10
    store = open_store(str(folder))
    pid = store._client.connection.info("server")["process_id"]  # bench only: the store API has no such view
    by_statement = _time_statements(store)
    print(f"one embedded store, chunks of {args.chunk:,} steps up to {args.max_steps:,}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'in store':>9} {'steps':>7} {'main µs/step':>13} {'server µs/step':>15} {'total':>7} {'steps/s':>8} "
          f"{'total / first':>14} {'load':>5}")
    stored, run, first, first_shapes, shapes_us = 0, 0, None, None, {}
    rows = []
    try:
        while stored < args.max_steps:
            chunk, steps = [], 0
            while steps < args.chunk:
                trace = synthetic_run(shapes, run, total_runs, args.seed)
                run += 1
                chunk.append(trace)
                steps += len(trace.steps)
            by_statement.clear()
            cpu0, srv0, wall0 = time.process_time(), server_cpu_s(pid), time.perf_counter()
            report = ingest_traces(chunk, store)
            cpu, srv, wall = (time.process_time() - cpu0, server_cpu_s(pid) - srv0, time.perf_counter() - wall0)
            loaded = report.steps
            main_us, server_us = cpu / loaded * 1e6, srv / loaded * 1e6
            total_us = main_us + server_us
            first = first or total_us
            rows.append((stored, total_us))
            shapes_us = {shape: seconds / loaded * 1e6 for shape, seconds in by_statement.items()}
            first_shapes = first_shapes or shapes_us
            print(f"{stored:>9,} {loaded:>7,} {main_us:>13,.0f} {server_us:>15,.0f} {total_us:>7,.0f} "
                  f"{loaded / wall:>8,.0f} {total_us / first:>14.2f} {os.getloadavg()[0]:>5.1f}", flush=True)
            stored += loaded
        print("\nwall µs/step per statement shape (the server's work; the client waits), first chunk → last:")
        for shape in sorted(shapes_us, key=lambda k: -shapes_us[k])[:12]:
            print(f"  {first_shapes.get(shape, 0):>7,.1f} → {shapes_us[shape]:>7,.1f}  {shape}")
        aof = sum(p.stat().st_size for p in folder.glob("appendonlydir/*"))
        started = time.perf_counter()
        store.close()
        store = None
        print(f"close: {time.perf_counter() - started:.1f} s (folds a {aof / 2**20:,.0f} MB append-only log of "
              f"{stored:,} steps into a checked snapshot)")
        spread = max(t for _, t in rows) / min(t for _, t in rows) - 1
        print(f"per-step total, chunk by chunk from an empty store to {stored:,} steps: "
              f"{min(t for _, t in rows):,.0f}–{max(t for _, t in rows):,.0f} µs/step, last / first "
              f"{rows[-1][1] / rows[0][1]:.2f} (flat within ±{FLAT:.0%}: "
              f"{'yes' if abs(rows[-1][1] / rows[0][1] - 1) <= FLAT else 'no'}; widest spread {spread:.0%})")
    finally:
        if store is not None:
            store.close()
        if args.keep is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


def _time_statements(store) -> dict[str, float]:
    """Wall seconds per statement shape (its Cypher), summed over what the store is asked to execute (one
    statement at a time here, with the plan's cleanup: the same writes, timed apart)."""
    spent: dict[str, float] = defaultdict(float)
    execute = store.execute

    def timed(plan, cleanup=None):
        for statement in plan:
            started = time.perf_counter()
            execute([statement], cleanup)
            spent[" ".join(statement.cypher.split())[:110]] += time.perf_counter() - started

    store.execute = timed  # bench only
    return spent


if __name__ == "__main__":
    main()
