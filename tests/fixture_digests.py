"""Golden digests of every fixture run: what parsing, redaction and the trace tree make of it, and its write plan.

tests/ingest/test_fixture_digests.py compares the fixtures against tests/data/fixture_digests.json, so a speed-up
that changes any run's nodes, edges, summary or Cypher parameters fails a test. When a change to a run is meant
(a parser or redaction fix), regenerate the file and say so in the commit:
    python -m tests.fixture_digests [--fixtures ../shared/fixtures] [--out tests/data/fixture_digests.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = REPO.parent / "shared" / "fixtures"
DEFAULT_OUT = REPO / "tests" / "data" / "fixture_digests.json"


def fixture_digests(fixtures: Path) -> dict[str, str]:
    """`source (run id)` → sha256 of the run as prepared for the store; errors are keyed `error: path`.

    Paths are written relative to `fixtures`, so the digests hold wherever the fixtures live.
    """
    from tracegraph.ingest.discover import Limits, discover
    from tracegraph.ingest.revision import reader_revision
    from tracegraph.load.prepare import prepare_units
    from tracegraph.store.plan import write_runs_plan

    root = str(fixtures.resolve())
    errors: list = []
    out: dict[str, str] = {}
    for trace, summary in prepare_units(discover([fixtures]).units, Limits(), errors, workers=0):
        document = {
            "summary": summary.model_dump(mode="json"),
            "trace": trace.model_dump(mode="json", exclude={"observation_full"}),
            "plan": [[s.cypher, s.params] for s in write_runs_plan([trace])],
        }
        text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str).replace(root, "<fixtures>")
        text = text.replace(reader_revision(), "<revision>")  # any code change moves it; what it reads is compared
        key = f"{summary.source.replace(root, '<fixtures>')} ({trace.run_id})"
        out[key] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    for error in errors:
        out[f"error: {error.path.replace(root, '<fixtures>')}"] = hashlib.sha256(
            error.problem.replace(root, "<fixtures>").encode()).hexdigest()
    return dict(sorted(out.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    digests = fixture_digests(args.fixtures)
    args.out.write_text(json.dumps(digests, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(digests)} fixture runs → {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
