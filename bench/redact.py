"""Redaction cost: µs per step of `redact_trace` over one copy of the fixture runs (best of several rounds).

The ingest bench (bench/ingest.py) reports the same stage inside a full ingest; this one runs in seconds, so a
change to the rules can be measured on a busy machine. `--module PATH` times another version of redact.py.
Usage: python bench/redact.py [--rounds 5] [--fixtures ../shared/fixtures] [--module path/to/redact.py]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import time
from pathlib import Path

from tracegraph.ingest.discover import Limits, discover
from tracegraph.ingest.units import parse_units


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fixtures", type=Path,
                        default=Path(__file__).resolve().parents[1].parent / "shared" / "fixtures")
    parser.add_argument("--module", type=Path, help="another redact.py to time instead of tracegraph's")
    args = parser.parse_args()
    if args.module:
        spec = importlib.util.spec_from_file_location("redact_under_test", args.module)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        redact_trace = module.redact_trace
    else:
        from tracegraph.ingest.redact import redact_trace
    traces = [t for u in discover([args.fixtures]).units for t, _ in parse_units([u], Limits(), [])]
    steps = sum(len(t.steps) for t in traces)
    best = float("inf")
    for _ in range(args.rounds):
        fresh = copy.deepcopy(traces)  # redaction works in place
        started = time.process_time()
        masked = sum(redact_trace(t) for t in fresh)
        best = min(best, time.process_time() - started)
    print(f"redaction        {best / steps * 1e6:.1f} µs per step (CPU, best of {args.rounds}; {steps} steps, "
          f"{len(traces)} runs, {masked} masks)")


if __name__ == "__main__":
    main()
