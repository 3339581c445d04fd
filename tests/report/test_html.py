"""Rendered pages of real runs: onset and chain shown in order, failing tests named, everything escaped, no network."""

from __future__ import annotations

import re

from tests.report.conftest import HARBOR, MAZE_FAILED, Page, load, run_id
from tracegraph.report import render_run, report_data, report_filename, run_rows, write_all_reports, write_report
from tracegraph.report.index_html import NO_ONSET, onset_counts
from tracegraph.report.page import CATEGORY_COLOURS, badge, esc, text_colour
from tracegraph.report.run_html import caveats
from tracegraph.schema import Category


def _assert_self_contained(text: str) -> None:
    page = Page(text)
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert not [t for t, _ in page.tags if t in ("link", "img", "iframe", "object", "embed")]
    assert not [a for t, a in page.tags if t == "script" and "src" in a]
    for _, attrs in page.tags:
        for name in ("href", "src", "action"):
            assert not re.match(r"^\s*(https?:|//|data:|javascript:)", attrs.get(name, "")), attrs


def test_run_page_shows_onset_chain_evidence_and_failing_tests(harbor_diagnosed):
    store, ids = harbor_diagnosed
    data = report_data(store, run_id(ids, "headless-terminal"))
    d = data.diagnosis
    text = render_run(data)
    page = Page(text)

    tag, onset = page.by_id(f"step-{d.onset_k}")
    assert tag == "details" and "onset" in onset["class"].split() and "open" in onset
    assert page.by_id("onset")[1]["data-k"] == str(d.onset_k)
    chain_items = [int(a["data-k"]) for t, a in page.tags if t == "li" and "data-k" in a]
    assert chain_items == d.chain_ks and chain_items[0] == d.onset_k
    assert [int(a["data-k"]) for t, a in page.with_class("chain") if t == "details"] == sorted(d.chain_ks)
    for e in d.evidence:
        assert esc(e.reason) in text
    for t in data.failing_tests:
        assert esc(t.name) in text
    assert f"{len(data.failing_tests)} of {len(data.tests)} checks did not pass" in text
    timeline = [int(a["id"].removeprefix("tl-")) for _, a in page.with_class("tl")]
    assert timeline == list(range(1, len(data.steps) + 1))
    assert "onset" in page.by_id(f"tl-{d.onset_k}")[1]["class"].split()
    changes = [v.step.k for v in data.steps if v.step.kind.value == "change"]
    assert [int(a["id"][3:]) for _, a in page.with_class("change") if a["id"].startswith("tl-")] == changes
    _assert_self_contained(text)


def test_observations_are_escaped(harbor_diagnosed):
    store, ids = harbor_diagnosed
    data = report_data(store, run_id(ids, "filter-js-from-html"))
    assert any("<script" in (v.output or "") for v in data.steps)
    text = render_run(data)
    page = Page(text)
    assert [t for t, _ in page.tags].count("script") == 1
    assert text.count("<script") == 1 and "&lt;script" in text
    assert "html_content" not in page.scripts[0] and "html_content" in text
    _assert_self_contained(text)


def test_solved_and_empty_runs_render(harbor_diagnosed):
    store, ids = harbor_diagnosed
    solved = render_run(report_data(store, run_id(ids, "sqlite-db-truncate")))
    assert "not diagnosed (the run solved its task)" in solved
    unblamed = render_run(report_data(store, run_id(ids, "feal-linear-cryptanalysis")))
    assert "no agent onset (infrastructure_failed)" in unblamed and "not_agent_fault" in unblamed
    assert "infrastructure_failed: verifier could not run its checks: Failed to connect to github.com" in unblamed
    assert "agent_log" in unblamed  # its steps were read from the agent's own log


def test_undiagnosed_failed_run_still_renders(store, tmp_path):
    ids = load(store, HARBOR / "dna-assembly__BC7CeVz", diagnose=False)
    data = write_report(store, run_id(ids, "dna-assembly"), tmp_path / "run.html")
    text = (tmp_path / "run.html").read_text()
    assert data.diagnosis is None
    assert "not diagnosed" in text and "--diagnose" in text
    assert "test_outputs.py::test_primers" in text and 'id="step-10"' in text


def test_all_reports_and_index(harbor_diagnosed, tmp_path):
    store, ids = harbor_diagnosed
    written = write_all_reports(store, tmp_path / "out")
    folder = tmp_path / "out"
    assert set(written.reports) == set(ids.values())
    assert sorted(p.name for p in folder.iterdir()) == sorted([*written.reports.values(), "index.html"])
    index = (folder / "index.html").read_text()
    page = Page(index)
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert {h.split("#")[0] for h in hrefs} == set(written.reports.values())
    assert all((folder / h.split("#")[0]).is_file() for h in hrefs)
    assert len([t for t, _ in page.tags if t == "tr"]) == len(ids) + 1
    assert page.by_id("onset-chart")[0] == "svg"
    rows = run_rows(store)
    drawn: dict[str, dict[str, int]] = {}
    for _, a in page.tags:
        if "data-count" in a:
            drawn.setdefault(a["data-stage"], {})[a["data-category"]] = int(a["data-count"])
    assert drawn == {stage: dict(c) for stage, c in onset_counts(rows).items()}
    assert sum(sum(c.values()) for c in drawn.values()) == sum(r.method is not None for r in rows)
    assert sum(drawn[NO_ONSET].values()) == sum(r.method is not None and r.onset_k is None for r in rows)
    assert not written.not_diagnosed
    run_page = (folder / written.reports[run_id(ids, "dna-assembly")]).read_text()
    assert 'href="index.html"' in run_page
    _assert_self_contained(index)


def test_report_filenames_are_safe_and_unique():
    taken: set[str] = set()
    assert report_filename("a/b c", taken) == "a_b_c.html"
    assert report_filename("a/b c", taken) == "a_b_c-2.html"
    assert report_filename("index", taken) == "index-2.html"
    assert report_filename("../..", taken) == "run.html"


def _contrast(background: str, text: str) -> float:
    def luminance(colour: str) -> float:
        colour = colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])
        r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                   for c in (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((luminance(background), luminance(text)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_category_colours_are_distinct_and_their_labels_readable():
    colours = [CATEGORY_COLOURS[c] for c in Category]
    assert len(set(colours)) == len(colours) == len(Category)
    for colour in colours:
        assert _contrast(colour, text_colour(colour)) >= 4.5, colour
    assert text_colour("#F0E442") == "#000" and text_colour("#0072B2") == "#fff"
    assert f"color:{text_colour(CATEGORY_COLOURS[Category.verification_misinterpretation])}" in badge(
        "x", CATEGORY_COLOURS[Category.verification_misinterpretation])


def test_index_cuts_long_tasks_and_models_to_one_line_with_the_whole_text_on_hover(harbor_diagnosed, tmp_path):
    store, _ = harbor_diagnosed
    written = write_all_reports(store, tmp_path / "out")
    page = Page((tmp_path / "out" / written.index).read_text())
    clipped = [a["title"] for t, a in page.tags if t == "span" and a.get("class") == "clip"]
    assert "kimi-k2.5" in clipped and "dna-assembly" in clipped
    assert any(t == "div" and a.get("class") == "scroll" for t, a in page.tags)


def test_a_terminal_run_and_an_undiagnosable_run_say_so_at_the_top(store):
    ids = load(store, MAZE_FAILED, HARBOR / "regex-log__XYfBZFy", HARBOR / "dna-assembly__BC7CeVz")
    terminal = report_data(store, run_id(ids, "blind-maze-explorer-5x5.1-of-1.open"))
    assert terminal.run.fidelity == "terminal"
    notes = caveats(terminal)
    assert notes[0].startswith("Read at terminal fidelity: the steps were reconstructed from a terminal recording")
    assert [n.split(":")[0] for n in notes[1:]] == (["Not diagnosable"] if terminal.run.triage.value not in (
        "agent_failed", "agent_timed_out") else [])
    html = render_run(terminal)
    assert html.index('id="caveats"') < html.index('class="meta"')  # above everything else about the run
    infra = report_data(store, run_id(ids, "regex-log"))
    assert infra.run.outcome.value == "infra_error"
    assert [n.split(":")[0] for n in caveats(infra)] == ["Not diagnosable"]
    assert caveats(report_data(store, run_id(ids, "dna-assembly"))) == []
    assert 'id="caveats"' not in render_run(report_data(store, run_id(ids, "dna-assembly")))
