"""`tracegraph report` and `tracegraph compare` through click's CliRunner, checked through the Python API."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.report.conftest import HARBOR, MAZE_FAILED, MAZE_SOLVED, Page
from tracegraph.cli import cli
from tracegraph.report import report_data
from tracegraph.store import open_store
from tracegraph.store.info import resolve_run

DNA = HARBOR / "dna-assembly__BC7CeVz"


@pytest.fixture
def tg(tmp_path):
    """Run the CLI on a fresh embedded store; each call exits before the next opens the store."""
    store = str(tmp_path / "store")

    def run(*args: str, ok: bool = True):
        result = CliRunner().invoke(cli, ["--store", store, *map(str, args)])
        if ok:
            assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    run.store = store
    return run


def test_report_one_run(tg, tmp_path):
    tg("ingest", DNA)
    tg("diagnose", "--all")
    out = tmp_path / "pages" / "run.html"
    written = json.loads(tg("report", "dna-assembly", "-o", out, "--json").output)
    assert written["written"] == str(out) and written["diagnosis"] == "heuristic"
    store = open_store(tg.store)
    try:
        data = report_data(store, resolve_run(store, "dna-assembly"))
    finally:
        store.close()
    page = Page(out.read_text())
    assert "onset" in page.by_id(f"step-{data.diagnosis.onset_k}")[1]["class"]
    assert "test_outputs.py::test_primers" in out.read_text()


def test_undiagnosed_run_is_noted_then_diagnosed_on_request(tg, tmp_path):
    tg("ingest", DNA)
    out = tmp_path / "run.html"
    assert "not diagnosed" in tg("report", "dna-assembly", "-o", out).output
    assert "not diagnosed" in out.read_text()
    result = json.loads(tg("report", "dna-assembly", "-o", out, "--diagnose", "--json").output)
    assert len(result["diagnosed"]) == 1 and result["diagnosis"] == "heuristic"
    assert 'id="onset"' in out.read_text()


def test_report_all_writes_index_and_one_page_per_run(tg, tmp_path):
    tg("ingest", DNA, HARBOR / "sqlite-db-truncate__kfqQYr3")
    folder = tmp_path / "site"
    written = json.loads(tg("report", "--all", "-o", folder, "--diagnose", "--json").output)
    assert len(written["reports"]) == 2 and len(written["diagnosed"]) == 1 and written["not_diagnosed"] == []
    assert sorted(p.name for p in folder.iterdir()) == sorted([*written["reports"].values(), "index.html"])
    store = open_store(tg.store)
    try:
        assert store.query("MATCH (d:Diagnosis) RETURN count(d) AS c") == [{"c": 1}]
    finally:
        store.close()


def test_report_usage_errors(tg):
    tg("db", "init")
    result = tg("report", ok=False)
    assert result.exit_code == 2 and "name one run or pass --all" in result.output
    result = tg("report", "no-such-run", ok=False)
    assert result.exit_code == 1 and "no run matches 'no-such-run'" in result.output


def test_compare_terminal_json_and_html(tg, tmp_path):
    tg("ingest", MAZE_SOLVED, MAZE_FAILED)
    tg("diagnose", "--all")
    a, b = "blind-maze-explorer-5x5.1-of-1.2025", "blind-maze-explorer-5x5.1-of-1.openhands"
    shown = tg("compare", a, b).output
    assert "diverge at aligned stage" in shown and "tests that differ" in shown
    html = tmp_path / "cmp.html"
    data = json.loads(tg("compare", a, b, "--html", html, "--json").output)
    assert data["same_task"] and data["diverge_at"] is not None and data["html"] == str(html)
    assert {t["a"] for t in data["tests"]} == {"passed"} and {t["b"] for t in data["tests"]} == {"failed"}
    assert Page(html.read_text()).by_id("divergence") is not None


@pytest.mark.parametrize("command", ["report", "compare"])
def test_help_ends_with_an_example(command):
    help_text = CliRunner().invoke(cli, [command, "--help"]).output
    assert "Example: tracegraph " + command in help_text


def test_unwritable_output_is_one_line_error(tg, tmp_path):
    tg("ingest", DNA)
    (tmp_path / "taken").mkdir()
    result = tg("report", "dna-assembly", "-o", tmp_path / "taken", ok=False)
    assert result.exit_code == 1 and result.output.startswith("error: cannot write") and result.output.count("\n") == 1


def test_tokens_are_shown_only_when_the_run_reports_them(tg, tmp_path):
    tg("ingest", DNA, MAZE_FAILED)  # a terminal recording reports no tokens
    for name, has_tokens in (("dna-assembly", True), ("blind-maze-explorer-5x5.1-of-1.open", False)):
        out = tmp_path / f"{name}.html"
        tg("report", name, "-o", out)
        text = out.read_text()
        assert ("<dt>tokens</dt>" in text) is has_tokens, name
        assert "- prompt" not in text and "None" not in text.split("<dt>tokens</dt>")[-1][:60]
    store = open_store(tg.store)
    try:
        assert report_data(store, resolve_run(store, "blind-maze-explorer-5x5.1-of-1.open")).run.prompt_tokens is None
        assert report_data(store, resolve_run(store, "dna-assembly")).run.prompt_tokens > 0
    finally:
        store.close()
