"""Heuristic diagnosis time per run (load from the graph + diagnose + write back) over the fixture runs.

Usage: python bench/diagnose.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph import ingest_paths
from tracegraph.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "fixtures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        ingest_paths([args.fixtures], store)
        ids = failed_run_ids(store)
        times = []
        for _ in range(args.repeat):
            for run_id in ids:
                t = time.perf_counter()
                diagnose_run(store, run_id)
                times.append((time.perf_counter() - t) * 1000)
        store.close()
    times.sort()
    print(f"runs diagnosed   {len(ids)} x {args.repeat}")
    print(f"median ms/run    {statistics.median(times):.1f}   (target ≤ 20)")
    print(f"p95 ms/run       {times[int(len(times) * 0.95) - 1]:.1f}")


if __name__ == "__main__":
    main()
