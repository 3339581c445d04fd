"""Render a comparison of two runs: the stage alignment, the divergence side by side, file and test differences."""

from __future__ import annotations

from tracegraph.report.compare import Comparison, RunSide, StageSide
from tracegraph.report.page import badge, esc, outcome_badge, page, stage_badge, table, tokens


def _run(label: str, r: RunSide) -> str:
    onset = (f"step {r.onset_k} {stage_badge(r.onset_stage)} {esc(r.category)}" if r.onset_k is not None
             else esc(r.category or ("-" if r.outcome == "solved" else "not diagnosed")))
    rows = [("run", esc(r.name)), ("task", esc(r.task_id or "-")), ("framework", esc(r.framework)),
            ("model", esc(r.model or "-")), ("outcome", outcome_badge(r.outcome)), ("steps", str(r.steps)),
            ("tokens", tokens(r.prompt_tokens, r.completion_tokens)), ("onset", onset)]
    meta = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows if v is not None)
    return f'<div><h2>{label}</h2><dl class="meta">{meta}</dl></div>'


def _side_cell(side: StageSide | None) -> str:
    if side is None:
        return '<span class="muted">—</span>'
    return (f"{stage_badge(side.label)} steps {side.start_k}-{side.end_k}"
            f'<div class="muted">{esc(", ".join(side.actions[:6]))}{" …" if len(side.actions) > 6 else ""}</div>')


def _side_steps(label: str, side: StageSide | None) -> str:
    if side is None:
        return f'<div><h3>{label}</h3><p class="muted">no matching stage</p></div>'
    items = "".join(f"<li><b>{s.k}</b> {esc(s.tool)} <code>{esc(s.summary)}</code>"
                    f"{badge('change', '#1b5e20') if s.kind == 'change' else ''}"
                    f"{badge('error', '#d32f2f') if s.is_error else ''}</li>" for s in side.steps)
    writes = f"<p>wrote: <code>{esc(', '.join(side.writes))}</code></p>" if side.writes else ""
    return f"<div><h3>{label}: {stage_badge(side.label)} stage {side.ordinal}</h3><ul>{items}</ul>{writes}</div>"


def render_comparison(c: Comparison) -> str:
    """The comparison page as a self-contained HTML document."""
    warn = "" if c.same_task else '<p class="note">the two runs are not of the same task</p>'
    rows = [[str(i + 1), _side_cell(p.a), _side_cell(p.b), esc("; ".join(p.differences)) or "same kind of work"]
            for i, p in enumerate(c.pairs)]
    classes = ["diverge" if i == c.diverge_at else "" for i in range(len(c.pairs))]
    alignment = table(["#", "A", "B", "differences"], rows, cls="alignment", row_classes=classes)
    d = c.divergence
    where = (f'<h2 id="divergence">Where they diverge: aligned stage {c.diverge_at + 1}</h2>'
             f"<p>{esc('; '.join(d.differences))}</p>"
             f'<div class="sides">{_side_steps("A", d.a)}{_side_steps("B", d.b)}</div>' if d else
             '<h2 id="divergence">Where they diverge</h2><p>no stage differs materially</p>')
    files = table(["file", "A wrote at step", "B wrote at step"],
                  [[f"<code>{esc(f.path)}</code>", esc(", ".join(map(str, f.a_steps)) or "-"),
                    esc(", ".join(map(str, f.b_steps)) or "-")] for f in c.files], cls="files",
                  row_classes=["only-a" if not f.b_steps else "only-b" if not f.a_steps else "" for f in c.files])
    tests = table(["test", "A", "B"], [[f"<code>{esc(t.name)}</code>", esc(t.a or "-"), esc(t.b or "-")]
                                       for t in c.tests], cls="tests",
                  row_classes=["diverge" if t.a != t.b else "" for t in c.tests])
    body = (f"<h1>Comparison · {esc(c.a.task_id or c.a.name)}</h1>{warn}"
            f'<div class="sides">{_run("A", c.a)}{_run("B", c.b)}</div>{where}'
            f"<h2>Stages aligned</h2>{alignment}<h2>Files written</h2>{files if c.files else '<p>none</p>'}"
            f"<h2>Tests</h2>{tests if c.tests else '<p>no verifier checks recorded</p>'}")
    return page(f"compare {c.a.name} · {c.b.name}", body)
