"""Data-quality gate cost: milliseconds per 5,000-step ingest batch, for a clean batch and for one with violations.

The fixture runs of every format are parsed once and copied under new run ids until a batch holds ≥ 5,000 steps
(the pipeline's BATCH_STEPS); check_batch then runs the great-expectations suite over it --repeat times.
Run from the project root: .venv/bin/python bench/quality.py [--repeat 20] [--fixtures ../shared/fixtures]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracegraph.ingest.discover import discover  # noqa: E402
from tracegraph.load.pipeline import BATCH_STEPS  # noqa: E402
from tracegraph.ingest.quality import check_batch, step_rows  # noqa: E402
from tracegraph.schema import RunTrace  # noqa: E402
from tracegraph.tree import build_tree  # noqa: E402


def batch(fixtures: Path) -> list[RunTrace]:
    """Fixture runs, copied under fresh run ids until they hold BATCH_STEPS steps."""
    parsed = [t for u in discover([fixtures]).units for t in u.parser.parse(u.path)]
    for t in parsed:
        build_tree(t)
    out: list[RunTrace] = []
    copy = 0
    while sum(len(t.steps) for t in out) < BATCH_STEPS:
        for t in parsed:
            clone = t.model_copy(deep=True)
            clone.run.id = clone.run.run_id = f"{t.run_id}#{copy}"
            out.append(clone)
        copy += 1
    return out


def spoil(traces: list[RunTrace]) -> None:
    """One violation in each of five runs: a repeated ordinal, a wrong step_count, an empty tool name, an unknown
    outcome, a timestamp a minute early."""
    with_steps = [t for t in traces if len(t.steps) > 3 and t.steps[1].timestamp_ms is not None]
    with_steps[0].steps[2].k = 2
    with_steps[1].run.step_count += 1
    with_steps[2].steps[0].tool = ""
    with_steps[3].run.outcome = "lost"
    with_steps[4].steps[1].timestamp_ms = with_steps[4].steps[0].timestamp_ms - 60_000


def timed(traces: list[RunTrace], repeat: int) -> tuple[list[float], dict]:
    times, issues = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        issues = check_batch(traces)
        times.append((time.perf_counter() - started) * 1000)
    return times, issues


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared" / "fixtures")
    args = ap.parse_args()
    traces = batch(args.fixtures)
    steps = sum(len(t.steps) for t in traces)
    started = time.perf_counter()
    check_batch(traces[:1])
    print(f"first call (imports great-expectations, builds the suite)  {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    for _ in range(args.repeat):
        step_rows(traces)
    table_ms = (time.perf_counter() - started) * 1000 / args.repeat
    clean, issues = timed(traces, args.repeat)
    assert not issues, issues
    spoil(traces)
    spoiled, issues = timed(traces, args.repeat)
    print(f"batch            {len(traces)} runs, {steps} steps")
    print(f"step table       {table_ms:.1f} ms (included below)")
    print(f"clean batch      {statistics.median(clean):.0f} ms median, {max(clean):.0f} ms max "
          f"= {statistics.median(clean) * 5000 / steps:.0f} ms per 5k steps")
    print(f"with violations  {statistics.median(spoiled):.0f} ms median, {max(spoiled):.0f} ms max "
          f"= {statistics.median(spoiled) * 5000 / steps:.0f} ms per 5k steps ({len(issues)} runs flagged)")


if __name__ == "__main__":
    main()
