"""`tracegraph runs`, `ingest` and `show` carry each run's triage verdict and fidelity (real runs, CLI)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli

NEVER_RAN = FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet" \
    / "fix-permissions.1-of-1.2025-08-07__20-46-16"
NOT_RECORDED = FIXTURES / "terminal-bench-1" / "20250711_openhands_claude-4-sonnet" \
    / "download-youtube.1-of-1.openhands-sonnet"
AGENT_LOG = FIXTURES / "harbor-atif" / "feal-linear-cryptanalysis__zkWNvqg"


def _cli(store_dir, *args):
    result = CliRunner().invoke(cli, ["--store", str(store_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_triage_and_fidelity_in_ingest_runs_and_show(tmp_path):
    store = tmp_path / "store"
    ingested = json.loads(_cli(store, "ingest", "--json", str(NEVER_RAN), str(NOT_RECORDED), str(AGENT_LOG)))
    assert {r["name"].split(".")[0].split("__")[0]: r["triage"] for r in ingested["runs"]} == {
        "fix-permissions": "agent_never_ran", "download-youtube": "actions_not_recorded",
        "feal-linear-cryptanalysis": "infrastructure_failed"}
    runs = {r["name"].split(".")[0].split("__")[0]: r for r in json.loads(_cli(store, "runs", "--json"))}
    assert {n: (r["triage"], r["fidelity"], r["steps"]) for n, r in runs.items()} == {
        "fix-permissions": ("agent_never_ran", "terminal", 0),
        "download-youtube": ("actions_not_recorded", "terminal", 0),
        "feal-linear-cryptanalysis": ("infrastructure_failed", "agent_log", 12)}
    assert runs["fix-permissions"]["triage_reason"].endswith("answered 'bash: mini: command not found'")
    table = _cli(store, "runs")
    assert "agent_never_ran" in table and "agent_log" in table
    shown = json.loads(_cli(store, "show", "--json", "feal-linear"))
    assert (shown["run"]["fidelity"], shown["run"]["triage"]) == ("agent_log", "infrastructure_failed")
