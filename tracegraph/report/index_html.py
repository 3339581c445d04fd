"""Render the index page of a report folder: a sortable runs table and a chart of onset categories by stage."""

from __future__ import annotations

from collections import Counter

from tracegraph.report.data import RunRow
from tracegraph.report.page import (
    CATEGORY_COLOURS, badge, clipped, esc, legend, outcome_badge, page, stage_badge, table, text_colour,
)
from tracegraph.schema import Category, StageLabel

NO_ONSET = "no agent onset"
BAR_WIDTH = 440
ROW_HEIGHT = 26
LABEL_WIDTH = 130


def onset_counts(rows: list[RunRow]) -> dict[str, Counter]:
    """Diagnosed runs counted by onset stage (NO_ONSET when there is none), then by category; stage order kept."""
    counts: dict[str, Counter] = {}
    for stage in [s.value for s in StageLabel] + [NO_ONSET]:
        found = Counter(r.category for r in rows if r.method and (r.onset_stage or NO_ONSET) == stage)
        if found:
            counts[stage] = found
    return counts


def onset_chart(rows: list[RunRow]) -> str:
    """Stacked horizontal bars as inline SVG: one bar per onset stage, one segment per category."""
    counts = onset_counts(rows)
    if not counts:
        return '<p class="muted">no diagnosed runs yet: run <code>tracegraph diagnose --all</code></p>'
    most = max(sum(c.values()) for c in counts.values())
    scale = BAR_WIDTH / most
    order = [c.value for c in Category]
    parts = []
    for i, (stage, by_category) in enumerate(counts.items()):
        y, x = i * ROW_HEIGHT + 4, LABEL_WIDTH
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="12">{esc(stage)}</text>')
        for category in sorted(by_category, key=lambda c: order.index(c) if c in order else len(order)):
            n = by_category[category]
            w = n * scale
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW_HEIGHT - 8}" '
                         f'fill="{CATEGORY_COLOURS.get(category, "#757575")}" data-stage="{esc(stage)}" '
                         f'data-category="{esc(category)}" data-count="{n}"><title>{esc(stage)} · {esc(category)}: '
                         f"{n}</title></rect>")
            if w >= 16:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 14}" text-anchor="middle" font-size="11" '
                             f'fill="{text_colour(CATEGORY_COLOURS.get(category, "#757575"))}">{n}</text>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12">{sum(by_category.values())}</text>')
    height = len(counts) * ROW_HEIGHT + 8
    present = sorted({c for by in counts.values() for c in by}, key=lambda c: order.index(c) if c in order else 99)
    return (f'<svg id="onset-chart" role="img" aria-label="onset categories by stage" '
            f'width="{LABEL_WIDTH + BAR_WIDTH + 40}" height="{height}">{"".join(parts)}</svg>'
            + legend([(c, CATEGORY_COLOURS.get(c, "#757575")) for c in present]))


def render_index(rows: list[RunRow], hrefs: dict[str, str]) -> str:
    """The index page: outcome totals, the onset chart and a sortable table linking each run's report."""
    outcomes = Counter(r.outcome for r in rows)
    totals = " ".join(f"{outcome_badge(o)}{n}" for o, n in sorted(outcomes.items()))
    table_rows = []
    for r in rows:
        link = f'<a href="{esc(hrefs[r.run_id])}">{esc(r.name)}</a>' if r.run_id in hrefs else esc(r.name)
        onset = (f'<a href="{esc(hrefs.get(r.run_id, ""))}#step-{r.onset_k}">{r.onset_k}</a>', r.onset_k) \
            if r.onset_k is not None else ("-", "")
        table_rows.append([
            link, (clipped(r.task_id), r.task_id or ""), esc(r.framework), (clipped(r.model), r.model or ""),
            (outcome_badge(r.outcome), r.outcome), (str(r.steps), r.steps), esc(r.fidelity or "-"),
            esc(r.triage or "-"), onset, (stage_badge(r.onset_stage) if r.onset_stage else "-", r.onset_stage or ""),
            (badge(r.category, CATEGORY_COLOURS.get(r.category, "#757575")) if r.category else
             f'<span class="muted">{"-" if r.outcome == "solved" else "not diagnosed"}</span>', r.category or ""),
            esc(r.method or "-")])
    body = (f"<h1>tracegraph runs</h1><p>{len(rows)} runs: {totals}</p>"
            f"<h2>Onset categories by stage</h2>{onset_chart(rows)}"
            f'<h2>Runs</h2><p class="muted">click a column header to sort</p>'
            + '<div class="scroll">' + table(["run", "task", "framework", "model", "outcome", "steps", "fidelity",
                                              "triage", "onset step", "onset stage", "category", "method"],
                                             table_rows, cls="sortable runs")
            + "</div>")
    return page("tracegraph runs", body)
