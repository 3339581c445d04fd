"""Render one run's report page: header, diagnosis with chain and evidence, timeline, tests, files, steps."""

from __future__ import annotations

from datetime import UTC, datetime

from tracegraph.report.data import DiagnosisView, ReportData, StepView
from tracegraph.report.page import (
    CATEGORY_COLOURS, STAGE_COLOURS, badge, esc, legend, outcome_badge, page, stage_badge, stage_colour,
    step_links, table, tokens,
)
from tracegraph.schema.nodes import BLAMEABLE

ROLE_COLOURS = {"onset": "#b71c1c", "chain": "#e65100", "incorrect": "#ad1457", "unuseful": "#78909c"}


def _when(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _header(data: ReportData, index_href: str | None) -> str:
    r = data.run
    duration = f"{(r.ended_at_ms - r.started_at_ms) / 1000:,.0f} s" if r.started_at_ms and r.ended_at_ms else "-"
    rows = [("run", esc(r.name) + f' <span class="muted">{esc(r.id)}</span>'), ("framework", esc(r.framework)),
            ("agent", esc(r.agent or "-")), ("model", esc(r.model or "-")),
            ("outcome", outcome_badge(r.outcome.value) + esc(r.outcome_reason or "")),
            ("triage", esc(f"{r.triage.value}: {r.triage_reason or ''}" if r.triage else "-")),
            ("reward", esc("-" if r.reward is None else r.reward)),
            ("tokens", tokens(r.prompt_tokens, r.completion_tokens)),
            ("steps", f"{len(data.steps)} ({sum(s.step.kind.value == 'change' for s in data.steps)} change)"),
            ("started", esc(_when(r.started_at_ms))), ("duration", esc(duration)),
            ("fidelity", esc(r.fidelity)), ("source", f"<code>{esc(r.source)}</code>")]
    back = f'<p><a href="{esc(index_href)}">← all runs</a></p>' if index_href else ""
    extras = "".join(f"<details><summary>{label}</summary><pre>{esc(text)}</pre></details>"
                     for label, text in (("task", r.task_text), ("final message", r.final_message),
                                         ("verifier output", r.verifier_output)) if text)
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows if v is not None)
    return f'{back}<h1>{esc(r.task_id or r.name)}</h1>{_caveats(data)}<dl class="meta">{meta}</dl>{extras}'


UNDIAGNOSABLE_OUTCOMES = {"infra_error": "the infrastructure failed", "unknown": "no verifier result says how it ended"}
"""Outcomes that leave nothing to diagnose, with why."""


def caveats(data: ReportData) -> list[str]:
    """What a reader must know before trusting the page: how the run was read, and whether it can be diagnosed."""
    r = data.run
    out = []
    if r.fidelity != "structured":
        how = "a terminal recording" if r.fidelity == "terminal" else f"{r.fidelity} output"
        out.append(f"Read at {r.fidelity} fidelity: the steps were reconstructed from {how}, not from logged tool "
                   "calls, so step boundaries, commands and exit codes are inferred and the diagnosis is less certain.")
    if r.triage is not None and r.triage not in BLAMEABLE:
        out.append(f"Not diagnosable: {r.triage.value}" + (f" ({r.triage_reason})" if r.triage_reason else "")
                   + "; the failure did not happen through the agent's actions.")
    elif r.outcome.value in UNDIAGNOSABLE_OUTCOMES:
        out.append(f"Not diagnosable: the outcome is {r.outcome.value}; {UNDIAGNOSABLE_OUTCOMES[r.outcome.value]}"
                   + (f" ({r.outcome_reason})" if r.outcome_reason else "") + ".")
    elif data.diagnosis is not None and data.diagnosis.onset_k is None and r.outcome.value != "solved":
        out.append(f"No agent onset: the diagnosis found the failure was not the agent's ({data.diagnosis.reasoning})")
    return out


def _caveats(data: ReportData) -> str:
    notes = caveats(data)
    return f'<div class="note" id="caveats">{"".join(f"<p>{esc(n)}</p>" for n in notes)}</div>' if notes else ""


def _chain(data: ReportData, d: DiagnosisView) -> str:
    items = []
    for k in d.chain_ks:
        view = data.step(k)
        what = (f"{stage_badge(view.step.stage)} {esc(view.step.tool)} <code>{esc(view.summary())}</code>"
                if view else '<span class="muted">step not in the graph</span>')
        why = "".join(f'<div class="muted">{esc(e.rule)}: {esc(e.reason)}</div>' for e in data.evidence_for(k))
        tag = badge("onset", ROLE_COLOURS["onset"]) if k == d.onset_k else ""
        items.append(f'<li data-k="{k}">{tag}step {step_links([k])}: {what}{why}</li>')
    return f'<h3>Error chain</h3><ol class="chain-list" id="chain">{"".join(items)}</ol>' if items else ""


def _diagnosis(data: ReportData) -> str:
    d = data.diagnosis
    if d is None:
        why = "the run solved its task" if data.run.outcome.value == "solved" else \
            f"run <code>tracegraph diagnose {esc(data.run.name)}</code> or pass --diagnose to the report command"
        return f'<h2>Diagnosis</h2><p class="note" id="diagnosis">not diagnosed ({why})</p>'
    onset = (f"step {step_links([d.onset_k])} {stage_badge(d.onset_stage)}" if d.onset_k is not None
             else f"no agent onset ({esc(data.run.triage.value if data.run.triage else 'not the agent’s fault')})")
    head = (f'<dl class="meta" id="diagnosis"><dt>onset</dt><dd id="onset" data-k="{esc(d.onset_k)}">{onset}</dd>'
            f"<dt>category</dt><dd>{badge(d.category, CATEGORY_COLOURS.get(d.category, '#757575'))}</dd>"
            f"<dt>confidence</dt><dd>{d.confidence:.2f}</dd><dt>method</dt><dd>{esc(d.method)}"
            f"{' · ' + esc(d.model) if d.model else ''}</dd></dl><p>{esc(d.reasoning)}</p>")
    evidence = table(["rule", "steps", "reason"], [[esc(e.rule), step_links(e.steps), esc(e.reason)]
                                                   for e in d.evidence], cls="evidence")
    candidates = table(["step", "score", "reasons"], [[step_links([c.k]), f"{c.score:.2f}", esc("; ".join(c.reasons))]
                                                      for c in d.candidates])
    others = [x for x in data.diagnoses if x.method != d.method]
    other = "".join(f"<p class='muted'>{esc(x.method)}: onset {esc(x.onset_k if x.onset_k is not None else '-')} "
                    f"({esc(x.onset_stage or '-')}), {esc(x.category)}</p>" for x in others)
    return (f"<h2>Diagnosis</h2>{head}{_chain(data, d)}<h3>Evidence</h3>{evidence}"
            f"<details><summary>onset candidates</summary>{candidates}</details>{other}")


def _timeline(data: ReportData) -> str:
    groups = [(f"{g.ordinal} · {g.label.value}", g.label.value,
               [v for v in data.steps if g.start_k <= v.step.k <= g.end_k]) for g in data.stages]
    staged = {v.step.k for _, _, views in groups for v in views}
    loose = [v for v in data.steps if v.step.k not in staged]
    if loose:
        groups.append(("no stage", None, loose))
    boxes = []
    for title, label, views in groups:
        steps = "".join(
            f'<a class="tl {" ".join(data.roles(v.step.k))}{" change" if v.step.kind.value == "change" else ""}'
            f'{" error" if v.step.is_error else ""}" href="#step-{v.step.k}" id="tl-{v.step.k}" '
            f'title="{esc(f"step {v.step.k} · {v.step.tool} · {v.summary()}")}">{v.step.k}</a>' for v in views)
        boxes.append(f'<div class="stage" style="background:{stage_colour(label)}"><span class="label">'
                     f'{esc(title)}</span><span class="steps">{steps}</span></div>')
    marks = legend([(s.value, c) for s, c in STAGE_COLOURS.items()] + [("onset", "#b71c1c"), ("chain", "#e65100"),
                   ("change (bold, underlined)", "#1b5e20"), ("tool error (dot)", "#d32f2f")])
    return f'<h2>Timeline</h2>{marks}<div class="timeline" id="timeline">{"".join(boxes)}</div>'


def _tests(data: ReportData) -> str:
    if not data.tests:
        return '<h2>Failing tests</h2><p class="muted">no verifier checks recorded</p>'
    failing = data.failing_tests
    rows = [[f"<code>{esc(t.name)}</code>", esc(t.status), esc(", ".join(t.files)),
             f"<details><summary>message</summary><pre>{esc(t.message)}</pre></details>" if t.message else ""]
            for t in failing]
    body = table(["test", "status", "checks files", "message"], rows, cls="failing-tests") if rows else ""
    return (f'<h2>Failing tests</h2><p>{len(failing)} of {len(data.tests)} checks did not pass.</p>{body}')


def _files(data: ReportData) -> str:
    if not data.files:
        return '<h2>Files touched</h2><p class="muted">no file deltas recorded</p>'
    rows = [[f"<code>{esc(f.path)}</code>",
             ", ".join(f'<a href="#step-{k}">{k}</a> {esc(op)}' for k, op in f.writes),
             step_links(f.reads), esc(", ".join(f.checked_by))] for f in data.files]
    return "<h2>Files touched</h2>" + table(["file", "written by step", "read by step", "checked by"], rows,
                                            cls="files")


def _step(data: ReportData, view: StepView) -> str:
    s, roles = view.step, data.roles(view.step.k)
    flags = "".join(badge(r, ROLE_COLOURS[r]) for r in roles)
    flags += badge("change", "#1b5e20") if s.kind.value == "change" else ""
    flags += badge("error", "#d32f2f") if s.is_error else ""
    flags += badge("no-op", "#616161") if s.is_noop else ""
    parts = []
    if s.thought:
        parts.append(f"<h4>thought</h4><pre>{esc(s.thought)}</pre>")
    parts.append(f"<h4>action ({esc(s.tool)})</h4><pre class='action'>{esc(s.action)}</pre>")
    if s.command and s.command != s.action:
        parts.append(f"<h4>command</h4><pre>{esc(s.command)}</pre>")
    facts = [f"kind: {esc(s.kind.value)} ({esc(s.kind_reason)})" if s.kind_reason else f"kind: {esc(s.kind.value)}"]
    facts += [f"intent: {esc(s.intent)}"] if s.intent else []
    facts += [f"exit code: {esc(s.exit_code)}"] if s.exit_code is not None else []
    facts += [f"depends on: {step_links(view.depends_on)}"] if view.depends_on else []
    facts += [f"{esc(d.op.value)} {esc(d.path or d.effect or '')}" for d in view.deltas]
    facts += [f"<b>{esc(e.rule)}</b>: {esc(e.reason)}" for e in data.evidence_for(s.k)]
    parts.append("<ul>" + "".join(f"<li>{f}</li>" for f in facts) + "</ul>")
    size = (f" (first {len(view.output or ''):,} of {s.observation_size:,} chars)" if view.output_truncated
            else f" ({s.observation_size:,} chars)")
    parts.append(f"<h4>observation{size}</h4><pre class='observation'>{esc(view.output or s.observation)}</pre>")
    opened = " open" if "onset" in roles else ""
    return (f'<details class="step {" ".join(roles)}" id="step-{s.k}" data-k="{s.k}"{opened} '
            f'style="border-left-color:{stage_colour(s.stage)}"><summary><b>{s.k}</b> {stage_badge(s.stage)}'
            f"{esc(s.tool)} <code>{esc(view.summary())}</code> {flags}</summary>{''.join(parts)}</details>")


def _steps(data: ReportData) -> str:
    out, current = [], object()
    for view in data.steps:
        if view.step.stage_ordinal != current:
            current = view.step.stage_ordinal
            g = next((g for g in data.stages if g.ordinal == current), None)
            out.append(f"<h3>Stage {g.ordinal} · {esc(g.label.value)} (steps {g.start_k}-{g.end_k})</h3>" if g
                       else "<h3>Steps outside any stage</h3>")
        out.append(_step(data, view))
    toolbar = ('<p><button type="button" data-toggle-all="open">expand all</button>'
               '<button type="button" data-toggle-all="close">collapse all</button></p>')
    body = "".join(out) if out else '<p class="muted">the run has no steps</p>'
    return f'<h2>Steps</h2>{toolbar}<div id="steps">{body}</div>'


def render_run(data: ReportData, index_href: str | None = None) -> str:
    """The whole report page of one run as a self-contained HTML document."""
    body = (_header(data, index_href) + _timeline(data) + _diagnosis(data) + _tests(data) + _files(data)
            + _steps(data))
    return page(f"{data.run.task_id or data.run.name} · tracegraph report", body)
