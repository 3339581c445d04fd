"""Stage segmentation against the dev gold: per-run and overall step-label accuracy and boundary F1 (±1 step).

Run from the project root: .venv/bin/python bench/stages.py [-v] [--penalty X]
-v prints gold and predicted labels per step (one letter each: N environment, x exploration, I implementation,
V verification, F finish).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracegraph.tree import stages  # noqa: E402
from tracegraph.evaluate.stages import evaluate_gold, gold_labels  # noqa: E402

SHARED = ROOT.parent / "shared"
LETTER = {"environment": "N", "exploration": "x", "implementation": "I", "verification": "V", "finish": "F", "": "?"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="print gold and predicted labels per step")
    ap.add_argument("--penalty", type=float, default=None, help="override stages.SWITCH_PENALTY")
    ap.add_argument("--gold", type=Path, default=SHARED / "gold" / "dev.jsonl")
    ap.add_argument("--fixtures", type=Path, default=SHARED / "fixtures")
    args = ap.parse_args()
    if args.penalty is not None:
        stages.SWITCH_PENALTY = args.penalty  # read at call time by viterbi()
    records = [json.loads(line) for line in args.gold.read_text().splitlines() if line.strip()]
    gold = {r["run_id"]: r for r in records}
    result = evaluate_gold(records, args.fixtures)
    print(f"{'run':48} {'format':15} {'steps':>5} {'acc':>6} {'bF1':>6}  stages g/p")
    for r in result["runs"]:
        print(f"{r['run_id'][:48]:48} {r['format']:15} {r['steps']:5d} {r['accuracy']:6.3f} {r['boundary_f1']:6.3f}"
              f"  {r['gold_boundaries'] + 1}/{r['pred_boundaries'] + 1}")
        if args.verbose:
            gl = gold_labels(gold[r["run_id"]]["stages"])
            print("   G", "".join(LETTER[gl[k]] for k in sorted(gl)))
            print("   P", "".join(LETTER[p] for p in r["pred"]))
    for s in result["skipped"]:
        print(f"skipped {s['run_id']}: {s['reason']}")
    print()
    for name, m in [*result["per_format"].items(), ("overall", result["overall"])]:
        print(f"{name:15} runs {m['runs']:2d} steps {m['steps']:4d} accuracy {m['accuracy']:.3f} "
              f"boundary P {m['boundary_precision']:.3f} R {m['boundary_recall']:.3f} F1 {m['boundary_f1']:.3f}")


if __name__ == "__main__":
    main()
