"""Report fixtures: real runs ingested and diagnosed, plus a small HTML parser for checking pages."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph import ingest_paths

HARBOR = FIXTURES / "harbor-atif"
TB1 = FIXTURES / "terminal-bench-1"
MAZE_SOLVED = TB1 / "20250825_swe-agent-mini_claude-4-sonnet" / "blind-maze-explorer-5x5.1-of-1.2025-08-07__20-46-16"
MAZE_FAILED = TB1 / "20250711_openhands_claude-4-sonnet" / "blind-maze-explorer-5x5.1-of-1.openhands-sonnet"


def load(store, *paths: Path, diagnose: bool = True) -> dict[str, str]:
    """Ingest real runs (and diagnose the failed ones); run ids by run name."""
    report = ingest_paths(list(paths), store)
    assert not report.errors, report.errors
    if diagnose:
        for run_id in failed_run_ids(store):
            diagnose_run(store, run_id)
    return {r["name"]: r["id"] for r in store.query("MATCH (r:Run) RETURN r.name AS name, r.id AS id")}


def run_id(ids: dict[str, str], prefix: str) -> str:
    (found,) = [v for k, v in ids.items() if k.startswith(prefix)]
    return found


@pytest.fixture(scope="package")
def harbor_diagnosed(tmp_path_factory):
    """Embedded store with every harbor-atif trial, failed ones diagnosed (read-only use); yields (store, ids)."""
    from tracegraph.store import open_store

    store = open_store(str(tmp_path_factory.mktemp("report") / "store"))
    try:
        yield store, load(store, HARBOR)
    finally:
        store.close()


class Page(HTMLParser):
    """A parsed page: every start tag in order with its attributes, and the text inside <script> elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data

    def by_id(self, element_id: str) -> tuple[str, dict[str, str]] | None:
        return next((t for t in self.tags if t[1].get("id") == element_id), None)

    def with_class(self, cls: str) -> list[tuple[str, dict[str, str]]]:
        return [t for t in self.tags if cls in t[1].get("class", "").split()]
