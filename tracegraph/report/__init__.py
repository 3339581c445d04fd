"""Reports people look at: a self-contained HTML page per run, an index of runs, and run-vs-run comparisons."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from tracegraph.diagnose import DIAGNOSABLE
from tracegraph.errors import TracegraphError
from tracegraph.report.compare import Comparison, compare_runs
from tracegraph.report.compare_html import render_comparison
from tracegraph.report.data import ReportData, RunRow, report_data, run_rows
from tracegraph.report.index_html import render_index
from tracegraph.report.run_html import render_run
from tracegraph.store import Store


class ReportError(TracegraphError):
    """A report file could not be written."""


class WrittenReports(BaseModel):
    """What write_all_reports wrote: the index page and one file per run (file names relative to the folder)."""

    folder: str
    index: str
    reports: dict[str, str]
    """Run id → report file name."""
    not_diagnosed: list[str] = []
    """Runs that did not pass and have no diagnosis yet."""


def write_html(path: Path, text: str) -> Path:
    """Write a page as UTF-8, creating parent folders; OS failures become a ReportError naming the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def report_filename(name: str, taken: set[str]) -> str:
    """A safe, unique file name for a run's report."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "run"
    candidate, n = f"{stem}.html", 2
    while candidate in taken or candidate == "index.html":
        candidate, n = f"{stem}-{n}.html", n + 1
    taken.add(candidate)
    return candidate


def write_report(store: Store, run_id: str, path: Path, method: str | None = None,
                 index_href: str | None = None) -> ReportData:
    """Write one run's report page to `path`; returns the data it shows."""
    data = report_data(store, run_id, method)
    write_html(path, render_run(data, index_href))
    return data


def needs_diagnosis(row: RunRow) -> bool:
    """The run did not pass and has no diagnosis (of the method the rows were read for)."""
    return row.method is None and row.outcome in DIAGNOSABLE


def write_all_reports(store: Store, folder: Path, method: str | None = None) -> WrittenReports:
    """Write a report per loaded run into `folder`, plus index.html linking them."""
    rows = run_rows(store, method)
    taken: set[str] = set()
    hrefs = {r.run_id: report_filename(r.name, taken) for r in rows}
    for r in rows:
        write_report(store, r.run_id, folder / hrefs[r.run_id], method, index_href="index.html")
    write_html(folder / "index.html", render_index(rows, hrefs))
    return WrittenReports(folder=str(folder), index="index.html", reports=hrefs,
                          not_diagnosed=[r.run_id for r in rows if needs_diagnosis(r)])


__all__ = ["Comparison", "ReportData", "ReportError", "RunRow", "WrittenReports", "compare_runs",
           "render_comparison", "render_index", "render_run", "report_data", "report_filename", "run_rows",
           "write_all_reports", "write_html", "write_report"]
