"""Reports open in headless Chromium without console errors; screenshots land in tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.report.browser import find_chromium, load_page
from tests.report.conftest import MAZE_FAILED, MAZE_SOLVED, load, run_id
from tests.support import REPO
from tracegraph.report import compare_runs, render_comparison, write_all_reports, write_html
from tracegraph.store import open_store

ARTIFACTS = REPO / "tests" / "artifacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("headless browser check: no chromium on PATH (scripts/ensure-debian-package.sh installs Debian's "
                    "`chromium` with apt-get; it could not here)")
    return binary


def _check(chromium: str, page, name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    run = load_page(chromium, page, shot, timeout=60)
    assert run.console == [], "\n".join(run.console)
    assert shot.read_bytes()[:8] == PNG_MAGIC and shot.stat().st_size > 10_000, run.stderr[-2000:]
    assert 'class="js"' in run.dom, "the page script did not run"
    return run.dom


@pytest.mark.timeout(240)
def test_reports_render_in_chromium_without_console_errors(chromium, harbor_diagnosed, tmp_path):
    store, ids = harbor_diagnosed
    written = write_all_reports(store, tmp_path / "report")
    folder = tmp_path / "report"

    headless = run_id(ids, "headless-terminal")
    dom = _check(chromium, folder / written.reports[headless], "report-run-headless-terminal")
    assert 'id="timeline"' in dom and 'id="chain"' in dom
    # filter-js-from-html's observations hold real <script> tags: escaped, they must not run or break the page.
    dom = _check(chromium, folder / written.reports[run_id(ids, "filter-js-from-html")], "report-run-filter-js")
    assert dom.count("<script") == 1
    dom = _check(chromium, folder / "index.html", "report-index")
    assert 'id="onset-chart"' in dom


@pytest.mark.timeout(120)
def test_comparison_renders_in_chromium(chromium, tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        ids = load(store, MAZE_SOLVED, MAZE_FAILED)
        c = compare_runs(store, run_id(ids, "blind-maze-explorer-5x5.1-of-1.2025"),
                         run_id(ids, "blind-maze-explorer-5x5.1-of-1.open"))
    finally:
        store.close()
    page = write_html(tmp_path / "compare.html", render_comparison(c))
    assert 'id="divergence"' in _check(chromium, page, "report-compare-blind-maze")


@pytest.mark.timeout(120)
def test_console_check_sees_errors(chromium, tmp_path):
    """The console check is not vacuous: a page that logs and throws is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html><body><p>x</p><script>console.error("boom"); notDefined();</script>'
                    "</body></html>")
    run = load_page(chromium, page, tmp_path / "bad.png", timeout=60)
    assert any("boom" in line for line in run.console)
    assert any("Uncaught" in line and "notDefined" in line for line in run.console)
