"""`tracegraph ingest` through click's CliRunner: the summary a person reads, and --json for machines."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.commands.ingest import SHOWN_RUNS


def test_a_large_ingest_summarises_and_json_lists_everything(tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(FIXTURES, runs / "sweep")
    shutil.copytree(FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz", runs / "again" / "dna-assembly__BC7CeVz")
    broken = runs / "sweep" / "harbor-atif" / "bn-fit-modify__AWvGVmB" / "agent" / "trajectory.json"
    broken.write_text('{"steps": [')
    store = str(tmp_path / "store")

    shown = CliRunner().invoke(cli, ["--store", store, "ingest", str(runs), "--workers", "2"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(CliRunner().invoke(cli, ["--store", store, "--json", "ingest", str(runs)]).output)
    loaded = len(data["runs"])
    assert loaded > SHOWN_RUNS
    assert f"… and {loaded - SHOWN_RUNS} more runs" in shown.output
    assert f"loaded {loaded} runs, {data['steps']} steps" in shown.output
    assert "skipped 1 copy of a run already loaded by this ingest" in shown.output
    assert [c["source"] for c in data["copies"]] == [str(runs / "sweep" / "harbor-atif" / "dna-assembly__BC7CeVz")]
    assert [e["path"] for e in data["errors"]] == [str(broken)]
    assert f"error {broken}: not valid JSON" in shown.output
