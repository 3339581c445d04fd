"""ingest_paths streams units from the walk into parsing: progress and the report still say what a full walk says."""

from __future__ import annotations

import shutil

import pytest

from tests.support import FIXTURES
from tracegraph.ingest.discover import discover
from tracegraph.load import ingest_paths
from tracegraph.load.prepare import PARALLEL_MIN_UNITS
from tracegraph.store import open_store


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "workers"])
def test_progress_total_grows_to_the_units_found_and_walk_errors_come_first(tmp_path, workers):
    runs = tmp_path / "runs"
    shutil.copytree(FIXTURES / "harbor-atif", runs / "harbor-atif")
    (runs / "not-a-run" / "agent").mkdir(parents=True)  # looks like a run; no format reads it
    broken = runs / "harbor-atif" / "dna-assembly__BC7CeVz" / "agent" / "trajectory.json"
    broken.write_text('{"steps": [')
    units = discover([runs]).units
    assert len(units) >= PARALLEL_MIN_UNITS
    seen: list[tuple[int, int]] = []
    with open_store(str(tmp_path / "store")) as store:
        report = ingest_paths([tmp_path / "missing", runs], store, workers=workers,
                              progress=lambda name, done, total: seen.append((done, total)))
    assert [done for done, _ in seen] == list(range(1, len(seen) + 1))
    assert all(done <= total for done, total in seen)
    assert [total for _, total in seen] == sorted(total for _, total in seen)
    assert seen[-1][1] == len(units)
    assert [(e.path, e.problem) for e in report.errors][0] == (str(tmp_path / "missing"), "no such file or folder")
    assert [e.path for e in report.errors][1:] == [str(broken)]
    assert [e.path for e in report.skipped] == [str(runs / "not-a-run")]
