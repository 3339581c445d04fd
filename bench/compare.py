"""Ingest throughput of two versions of tracegraph, alternating on the same corpus in one session.

Runs on this machine differ by ~10% from one to the next, more than most single changes gain; figures taken in
separate sessions cannot tell such changes apart. This bench checks the other version out (`git worktree`, removed
afterwards), builds one corpus (bench/ingest.py's: the fixtures copied until ≥ --min-steps), then ingests it into a
fresh embedded store with each version in turn, --rounds times, each in a process of its own that imports that
version (both compiled to bytecode first, as installed). Printed per ingest and as medians: steps/s, CPU µs per
step of the ingest process and of its worker processes (the quality process included), and the ratio new / old.

Usage: python bench/compare.py [REV (default HEAD~1)] [--min-steps 30000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import make_corpus  # noqa: E402  (bench/ingest.py, beside this file)

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("steps/s", "main µs/step", "workers µs/step")

ONE_INGEST = r"""
import os, sys, time
from pathlib import Path
from tracegraph.load.pipeline import ingest_paths
from tracegraph.store import open_store

corpus, folder = Path(sys.argv[1]), Path(sys.argv[2])
store = open_store(str(folder))
before, started = os.times(), time.perf_counter()
report = ingest_paths([corpus], store)
elapsed, after = time.perf_counter() - started, os.times()
store.close()
steps = report.steps
main = after.user + after.system - before.user - before.system
workers = after.children_user + after.children_system - before.children_user - before.children_system
print(steps / elapsed, main / steps * 1e6, workers / steps * 1e6)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="the version to compare this checkout with")
    parser.add_argument("--min-steps", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--fixtures", type=Path, default=REPO.parent / "shared" / "fixtures")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tg-compare-"))
    old = work / "old"
    try:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(old), args.rev],
                       check=True)
        # Both versions as an install runs them: compiled to bytecode. A fresh worktree (or PYTHONDONTWRITEBYTECODE)
        # would otherwise compile the modules an ingest imports lazily (the parsers) inside its timed part.
        for root in (old, REPO):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "tracegraph")], check=True)
        steps_per_copy = _steps_per_copy(args.fixtures)
        copies = max(1, -(-args.min_steps // steps_per_copy))
        make_corpus(args.fixtures, work / "runs", copies)
        print(f"corpus: {copies} copies of the fixtures ({steps_per_copy} steps each); old = {args.rev}, new = this "
              f"checkout; {os.cpu_count()} cores")
        results: dict[str, list[list[float]]] = {"old": [], "new": []}
        for round_ in range(1, args.rounds + 1):
            for name, root in (("old", old), ("new", REPO)):
                figures = _ingest(root, work / "runs", work / f"store-{name}")
                results[name].append(figures)
                print(f"round {round_} {name}: " + ", ".join(f"{f} {v:,.0f}" for f, v in zip(FIGURES, figures)))
        medians = {name: [statistics.median(r[i] for r in runs) for i in range(len(FIGURES))]
                   for name, runs in results.items()}
        print("\nmedians        old        new   new / old")
        for i, figure in enumerate(FIGURES):
            o, n = medians["old"][i], medians["new"][i]
            print(f"  {figure:16s} {o:8,.0f}   {n:8,.0f}   {n / o:6.2f}")
        ahead = sum(n[0] > o[0] for o, n in zip(results["old"], results["new"]))
        print(f"  new faster in {ahead} of {args.rounds} rounds")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(work, ignore_errors=True)


def _steps_per_copy(fixtures: Path) -> int:
    from tracegraph.ingest.discover import Limits, discover
    from tracegraph.load.prepare import prepare_units

    return sum(len(trace.steps) for trace, _ in prepare_units(discover([fixtures]).units, Limits(), [], workers=0))


def _ingest(root: Path, corpus: Path, store: Path) -> list[float]:
    """One ingest by the tracegraph under `root`, in a process that imports that one."""
    env = {**os.environ, "PYTHONPATH": str(root), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    try:
        done = subprocess.run([sys.executable, "-c", ONE_INGEST, str(corpus), str(store)], cwd=root, env=env,
                              capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"ingest with {root} failed:\n{exc.stderr[-2000:]}") from None
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return [float(v) for v in done.stdout.split()]


if __name__ == "__main__":
    main()
