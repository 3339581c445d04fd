"""The HTML shell every report page shares: escaping, colours, inline CSS and JS, small building blocks."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from tracegraph.schema import Category, StageLabel

STAGE_COLOURS = {
    StageLabel.environment: "#a1887f", StageLabel.exploration: "#64b5f6", StageLabel.implementation: "#81c784",
    StageLabel.verification: "#ffb74d", StageLabel.finish: "#ba68c8",
}
NO_STAGE_COLOUR = "#cfd8dc"
CATEGORY_COLOURS = {
    Category.environment_setup: "#E69F00", Category.dependency_resolution: "#56B4E9",
    Category.mislocalized_edit: "#009E73", Category.incorrect_hypothesis: "#D55E00",
    Category.verification_misinterpretation: "#F0E442", Category.unproductive_looping: "#0072B2",
    Category.premature_stop: "#CC79A7", Category.not_agent_fault: "#999999",
    Category.undiagnosable: "#DDDDDD",
}
"""Okabe & Ito's palette, told apart with every common colour-vision deficiency; dark grey for "not the agent's",
light grey for undiagnosable."""
OUTCOME_COLOURS = {"solved": "#2e7d32", "failed": "#c62828", "infra_error": "#6d4c41", "incomplete": "#ef6c00",
                   "unknown": "#546e7a"}
# No network at view time: the page may load nothing but itself.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1360px;padding:16px 24px;
 color:#212121;background:#fafafa}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}h4{font-size:12px;margin:8px 0 2px;color:#555}a{color:#1565c0}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #e0e0e0;padding:8px;margin:4px 0;
 max-height:420px;overflow:auto}
table{border-collapse:collapse;margin:6px 0;width:100%;background:#fff}
th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.js table.sortable th{cursor:pointer;user-select:none}.js table.sortable th:after{content:" \\2195";color:#999}
table.sortable th[data-dir=asc]:after{content:" \\2191"}table.sortable th[data-dir=desc]:after{content:" \\2193"}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}.meta dt{color:#666}
.meta dd{margin:0}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;color:#fff;background:#757575;
 margin-right:4px;white-space:nowrap}
.scroll{overflow-x:auto}table.runs td{overflow-wrap:anywhere}table.runs td:first-child{min-width:12em}
.clip{display:inline-block;max-width:13em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
 vertical-align:bottom}
.muted{color:#757575}.note{background:#fff8e1;border:1px solid #ffe082;padding:8px 12px;margin:8px 0}
.timeline{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.stage{border-radius:4px;padding:3px 5px 5px}
.stage>.label{font-size:11px;color:#212121;display:block;margin-bottom:3px}
.stage>.steps{display:flex;flex-wrap:wrap;gap:3px}
.tl{display:inline-block;min-width:22px;height:22px;line-height:22px;text-align:center;font-size:11px;
 background:#fff;color:#212121;border:1px solid #9e9e9e;border-radius:3px;text-decoration:none;position:relative}
.tl.change{font-weight:bold;border-bottom:4px solid #1b5e20}.tl.error:after{content:"";position:absolute;top:-3px;
 right:-3px;width:7px;height:7px;border-radius:50%;background:#d32f2f}
.tl.chain{box-shadow:0 0 0 2px #e65100}.tl.onset{box-shadow:0 0 0 3px #b71c1c;background:#ffebee}
.legend{font-size:12px;color:#555;margin:4px 0}.legend span{margin-right:14px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;vertical-align:-1px;margin-right:4px}
details.step{background:#fff;border:1px solid #e0e0e0;border-left:6px solid #cfd8dc;margin:4px 0;padding:4px 8px}
details.step.onset{border-color:#b71c1c;background:#fff5f5}details.step.chain{border-color:#e65100}
details.step>summary{cursor:pointer}details.step>summary code{color:#37474f}
.chain-list{padding-left:22px}.chain-list li{margin:4px 0}
.diverge{background:#fff3e0}.only-a{background:#e3f2fd}.only-b{background:#fce4ec}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:16px}
button{font:inherit;font-size:12px;margin-right:6px}
"""

SCRIPT = """
document.documentElement.classList.add("js");
function openTarget() {
  var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (el && el.tagName === "DETAILS") { el.open = true; }
}
window.addEventListener("hashchange", openTarget);
openTarget();
document.querySelectorAll("[data-toggle-all]").forEach(function (button) {
  button.addEventListener("click", function () {
    var open = button.getAttribute("data-toggle-all") === "open";
    document.querySelectorAll("details.step").forEach(function (d) { d.open = open; });
  });
});
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.getAttribute("data-dir") === "asc" ? "desc" : "asc";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", dir);
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      function key(row) { var c = row.cells[col]; return c.getAttribute("data-sort") || c.textContent.trim(); }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
        var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return dir === "asc" ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def esc(value: object) -> str:
    """Text made safe for HTML body and attribute values; control characters and lone surrogates become U+FFFD."""
    if value is None:
        return ""
    return html.escape(CONTROL_CHARS.sub("\ufffd", str(value)), quote=True)


def page(title: str, body: str) -> str:
    """A complete self-contained document: inline CSS and JS, a CSP that forbids loading anything."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script></body></html>\n")


def stage_colour(label: str | None) -> str:
    return STAGE_COLOURS.get(label, NO_STAGE_COLOUR) if label else NO_STAGE_COLOUR


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on a `#rrggbb` background (WCAG relative luminance)."""
    channels = [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#fff"


def badge(text: object, colour: str = "#757575") -> str:
    return f'<span class="badge" style="background:{colour};color:{text_colour(colour)}">{esc(text)}</span>'


def outcome_badge(outcome: str) -> str:
    return badge(outcome, OUTCOME_COLOURS.get(outcome, "#546e7a"))


def stage_badge(label: str | None) -> str:
    return f'<span class="badge" style="background:{stage_colour(label)};color:#212121">{esc(label or "-")}</span>'


def tokens(prompt: int | None, completion: int | None) -> str | None:
    """`1,234 prompt · 56 completion` with the known parts only; None when neither is known."""
    parts = [f"{n:,} {kind}" for n, kind in ((prompt, "prompt"), (completion, "completion")) if n is not None]
    return " · ".join(parts) or None


def step_links(ks: Iterable[int], href: str = "") -> str:
    """Step numbers as links to their entries (`href` prefixes another page's file name)."""
    return ", ".join(f'<a href="{esc(href)}#step-{k}">{k}</a>' for k in ks)


Cell = str | tuple[str, object]
"""A table cell: HTML escaped by the caller, or (HTML, sort key) for columns that sort by value."""


def _cell(cell: Cell) -> str:
    if isinstance(cell, tuple):
        return f'<td data-sort="{esc(cell[1])}">{cell[0]}</td>'
    return f"<td>{cell}</td>"


def table(headers: list[str], rows: list[list[Cell]], cls: str = "", row_classes: list[str] | None = None) -> str:
    """A table of cells (see Cell); headers are plain text; `sortable` in cls makes headers sort on click."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(f'<tr class="{esc(row_classes[i] if row_classes else "")}">' + "".join(map(_cell, r)) + "</tr>"
                   for i, r in enumerate(rows))
    return f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def clipped(text: str | None) -> str:
    """Text cut to one line with an ellipsis where it is too wide; the whole text shows on hover."""
    if not text:
        return "-"
    return f'<span class="clip" title="{esc(text)}">{esc(text)}</span>'


def legend(items: list[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><span class="swatch" style="background:{c}"></span>{esc(t)}</span>' for t, c in items) + "</div>"
