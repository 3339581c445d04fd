"""Scale: synthetic runs shaped like the fixtures, at growing sizes, into a fresh embedded store per size.

Each size runs in its own process (so peak RSS is that size's own) and measures: ingest steps/s end to end
(TraceBuilder → limits → redact → trace tree → quality gate → write), peak RSS of tracegraph and of the FalkorDB
server, store size on disk, time to reopen the store, heuristic diagnosis time per run, and p50/p95 latency of the
failure-chain query and of two cross-run aggregations (tool_error_rates, runs_failing_same_test). Then prints a
table and how each cost grows from one size to the next.

Synthetic runs are streamed: run i is built on demand from a fixture run picked at random (its tools, arguments,
observations, thoughts, tests and outcome), with the step count jittered ×0.5–1.5 (later steps repeat earlier ones,
as loops do) and about 20 runs per task. Memory does not grow with the corpus, except for the per-run summary line
the ingest report keeps.

Usage: python bench/scale.py [--runs 1000 10000 100000] [--seed 1] [--keep DIR] [--json FILE]
Targets at 1M steps: ingest ≥ 5,000 steps/s, tracegraph RSS ≤ 1 GB, failure-chain p50 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tracegraph.ingest.builder import TraceBuilder  # noqa: E402
from tracegraph.schema import RunTrace  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"
RUNS_PER_TASK = 20
TARGET_STEPS_PER_S = 5000
TARGET_RSS_MB = 1024
TARGET_CHAIN_P50_MS = 20


# ---------------------------------------------------------------- synthetic runs


@dataclass
class StepShape:
    tool: str
    args: dict[str, Any]
    observation: str
    thought: str | None
    is_error: bool
    exit_code: int | None
    role: str | None
    timestamp_ms: int | None


@dataclass
class RunShape:
    name: str
    framework: str
    fidelity: str
    task: str
    fields: dict[str, Any]
    steps: list[StepShape]
    tests: list[tuple[str, str, str | None, list[str]]] = field(default_factory=list)


def _args(arguments_json: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments_json)
    except ValueError:  # cut at 20,000 characters by the builder
        return {"input": arguments_json}
    return value if isinstance(value, dict) else {"input": value}


def shape_of(trace: RunTrace) -> RunShape:
    run = trace.run
    keep = ("agent", "model", "outcome", "outcome_reason", "reward", "prompt_tokens", "completion_tokens",
            "verifier_output", "task_text", "final_message", "gold_json", "started_at_ms", "ended_at_ms")
    calls = {c.k: c for c in trace.tool_calls}
    steps = [StepShape(tool=s.tool, args=_args(calls[s.k].arguments_json) if s.k in calls else {},
                       observation=trace.observation_full.get(s.k, s.observation or ""), thought=s.thought,
                       is_error=s.is_error, exit_code=s.exit_code, role=s.role, timestamp_ms=s.timestamp_ms)
             for s in trace.steps]
    tests = [(t.name, t.status, t.message, trace.test_files.get(t.name, [])) for t in trace.tests]
    return RunShape(name=run.name, framework=run.framework, fidelity=run.fidelity, task=run.task_id or run.name,
                    fields={k: getattr(run, k) for k in keep if getattr(run, k) is not None}, steps=steps,
                    tests=tests)


def load_shapes(fixtures: Path) -> list[RunShape]:
    """One shape per fixture run (every format), parsed by the real parsers."""
    from tracegraph.ingest.discover import discover

    shapes = []
    for unit in discover([fixtures]).units:
        shapes += [shape_of(t) for t in unit.parser.parse(unit.path)]
    return shapes


def synthetic_run(shapes: list[RunShape], i: int, total: int, seed: int) -> RunTrace:
    """Run i of a corpus of `total`: deterministic for (seed, i), built through TraceBuilder like a parser does."""
    rng = random.Random(seed * 1_000_003 + i)
    shape = rng.choice(shapes)
    variants = max(1, total // (len(shapes) * RUNS_PER_TASK))
    task = f"{shape.task}~{rng.randrange(variants)}"
    n = len(shape.steps)
    if n:
        n = max(1, round(n * rng.uniform(0.5, 1.5)))
    digest = hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()
    b = TraceBuilder(framework=shape.framework, source=f"synthetic/{i}", name=f"s{i:06d}-{shape.name}"[:80],
                     content_hash=digest, fidelity=shape.fidelity)
    b.set(task_id=task, **shape.fields)
    offset = i * 3_600_000
    for j in range(n):
        s = shape.steps[j] if j < len(shape.steps) else shape.steps[rng.randrange(len(shape.steps))]
        b.add_step(s.tool, dict(s.args), thought=s.thought, observation=s.observation, is_error=s.is_error,
                   exit_code=s.exit_code, role=s.role,
                   timestamp_ms=s.timestamp_ms + offset if s.timestamp_ms is not None else None)
    for name, status, message, files in shape.tests:
        b.add_test(name, status, message, files or None)
    return b.build()


def synthetic_runs(shapes: list[RunShape], total: int, seed: int) -> Iterator[RunTrace]:
    for i in range(total):
        yield synthetic_run(shapes, i, total, seed)


# ---------------------------------------------------------------- one size, in its own process


def _pcts(ms: list[float]) -> tuple[float, float]:
    if not ms:
        return float("nan"), float("nan")
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_socket())


def _server_peak_mb(store) -> float:
    """Peak RSS (VmHWM) of the FalkorDB server process, read from /proc."""
    try:
        pid = store._client.connection.info("server")["process_id"]  # bench only: the store API has no such view
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except Exception:
        pass
    return float("nan")


def measure(runs: int, seed: int, folder: Path, diagnose_n: int, chain_repeat: int, agg_repeat: int) -> dict:
    from tracegraph.diagnose import diagnose_run, failed_run_ids
    from tracegraph.load.pipeline import ingest_traces
    from tracegraph.queries import run_query
    from tracegraph.store import open_store

    shapes = load_shapes(FIXTURES)
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store = open_store(str(folder))
    t0 = time.perf_counter()
    report = ingest_traces(synthetic_runs(shapes, runs, seed), store)
    ingest_s = time.perf_counter() - t0
    steps = report.steps
    counts = {
        "nodes": store.query("MATCH (n) RETURN count(n) AS c")[0]["c"],
        "edges": store.query("MATCH ()-[e]->() RETURN count(e) AS c")[0]["c"],
        "loaded": store.query("MATCH (r:Run) WHERE r.status = 'loaded' RETURN count(r) AS c")[0]["c"],
    }
    failed = failed_run_ids(store)
    pick = failed[:: max(1, len(failed) // diagnose_n)][:diagnose_n]
    diag_ms = []
    for run_id in pick:
        t = time.perf_counter()
        diagnose_run(store, run_id, "heuristic")
        diag_ms.append((time.perf_counter() - t) * 1000)
    chain_ms, chain_rows = [], 0
    for _ in range(chain_repeat):
        for run_id in pick:
            t = time.perf_counter()
            chain_rows += len(run_query(store, "failure_chain", {"run_id": run_id, "method": "heuristic"}))
            chain_ms.append((time.perf_counter() - t) * 1000)
    agg1 = _timed(lambda: run_query(store, "tool_error_rates", {"min_calls": 5}), agg_repeat)
    agg2 = _timed(lambda: run_query(store, "runs_failing_same_test", {"min_runs": 2}), agg_repeat)
    server_mb = _server_peak_mb(store)
    store.close()
    disk = _dir_bytes(folder)
    t = time.perf_counter()
    open_store(str(folder)).close()
    reopen_s = time.perf_counter() - t
    return {
        "runs": runs, "loaded": counts["loaded"], "errors": len(report.errors), "steps": steps,
        "nodes": counts["nodes"], "edges": counts["edges"],
        "ingest_s": ingest_s, "steps_per_s": steps / ingest_s if ingest_s else 0.0,
        "rss_start_mb": rss_start, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "server_mb": server_mb, "disk_mb": disk / 2**20, "reopen_s": reopen_s,
        "diagnosed": len(diag_ms), "diag_ms": statistics.mean(diag_ms) if diag_ms else float("nan"),
        "diag_p50": _pcts(diag_ms)[0], "chain_rows": chain_rows,
        "chain_p50": _pcts(chain_ms)[0], "chain_p95": _pcts(chain_ms)[1],
        "agg1_p50": _pcts(agg1)[0], "agg1_p95": _pcts(agg1)[1],
        "agg2_p50": _pcts(agg2)[0], "agg2_p95": _pcts(agg2)[1],
    }


# ---------------------------------------------------------------- report

COLUMNS = [
    ("runs", "runs", "{:,.0f}"), ("steps", "steps", "{:,.0f}"), ("ingest_s", "ingest s", "{:,.1f}"),
    ("steps_per_s", "steps/s", "{:,.0f}"), ("rss_mb", "RSS MB", "{:,.0f}"), ("server_mb", "server MB", "{:,.0f}"),
    ("disk_mb", "disk MB", "{:,.0f}"), ("reopen_s", "reopen s", "{:,.1f}"), ("diag_ms", "diag ms/run", "{:,.1f}"),
    ("chain_p50", "chain p50", "{:,.1f}"), ("chain_p95", "p95", "{:,.1f}"),
    ("agg1_p50", "tool_err p50", "{:,.0f}"), ("agg1_p95", "p95", "{:,.0f}"),
    ("agg2_p50", "same_test p50", "{:,.0f}"), ("agg2_p95", "p95", "{:,.0f}"),
]
GROWTH = ["steps", "ingest_s", "rss_mb", "server_mb", "disk_mb", "reopen_s", "diag_ms", "chain_p50", "agg1_p50",
          "agg2_p50"]


def print_table(results: list[dict]) -> None:
    cells = [[fmt.format(r[key]) for key, _, fmt in COLUMNS] for r in results]
    widths = [max(len(title), *(len(c[i]) for c in cells)) for i, (_, title, _) in enumerate(COLUMNS)]
    print("  ".join(title.rjust(w) for (_, title, _), w in zip(COLUMNS, widths)))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print("(times in ms unless marked; RSS = peak of the tracegraph process; server = peak of FalkorDB)")
    for a, b in zip(results, results[1:]):
        parts = [f"{k} x{b[k] / a[k]:.1f}" if a[k] else f"{k} n/a" for k in GROWTH]
        print(f"{a['runs']:,} → {b['runs']:,} runs: " + ", ".join(parts))
    big = results[-1]
    print(f"largest size ({big['steps']:,} steps): ingest {big['steps_per_s']:,.0f} steps/s "
          f"(target ≥ {TARGET_STEPS_PER_S:,}), RSS {big['rss_mb']:,.0f} MB (≤ {TARGET_RSS_MB:,}), "
          f"failure-chain p50 {big['chain_p50']:.1f} ms (≤ {TARGET_CHAIN_P50_MS})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[1000], help="corpus sizes in runs (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--diagnose", type=int, default=100, help="failed runs diagnosed and queried per size")
    ap.add_argument("--chain-repeat", type=int, default=3, help="failure-chain queries per diagnosed run")
    ap.add_argument("--agg-repeat", type=int, default=5, help="runs of each aggregation")
    ap.add_argument("--keep", type=Path, default=None, help="keep the stores under this folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.seed, args.store, args.diagnose, args.chain_repeat,
                                 args.agg_repeat)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="tg-scale-"))
    results = []
    try:
        for runs in args.runs:
            folder = work / f"store-{runs}"
            shutil.rmtree(folder, ignore_errors=True)
            cmd = [sys.executable, __file__, "--one", str(runs), "--store", str(folder), "--seed", str(args.seed),
                   "--diagnose", str(args.diagnose), "--chain-repeat", str(args.chain_repeat),
                   "--agg-repeat", str(args.agg_repeat)]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
            print(f"{runs:,} runs done: {results[-1]['steps']:,} steps, {results[-1]['steps_per_s']:,.0f} steps/s",
                  file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
