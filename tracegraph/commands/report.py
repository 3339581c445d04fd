"""`tracegraph report` and `tracegraph compare`."""

from __future__ import annotations

from pathlib import Path

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(report)
    cli.add_command(compare)


@click.command()
@click.argument("run", required=False)
@click.option("--all", "all_runs", is_flag=True, help="Write a report per loaded run plus index.html into a folder.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="HTML file for one run (default <run name>.html), folder with --all (default ./report).")
@click.option("--method", default=None, help="Diagnosis to show when a run has several (default: heuristic first).")
@click.option("--diagnose", "diagnose_first", is_flag=True,
              help="First diagnose runs that did not pass and have no diagnosis yet (heuristic unless --method).")
@output_options
@pass_ctx
@handle_errors
def report(ctx: Ctx, run: str | None, all_runs: bool, output: Path | None, method: str | None,
           diagnose_first: bool) -> None:
    """Write a self-contained HTML report of a run: timeline, onset and chain with evidence, tests, files, steps.

    Example: tracegraph report dna-assembly -o run.html && tracegraph report --all -o report/
    """
    from tracegraph.diagnose import diagnose_missing
    from tracegraph.report import report_filename, write_all_reports, write_report
    from tracegraph.store.info import resolve_run

    store = ctx.store
    if bool(run) == all_runs:
        raise click.UsageError("name one run or pass --all")
    run_id = resolve_run(store, run) if run else None
    diagnosed = diagnose_missing(store, method or "heuristic",
                                 run_ids=[run_id] if run_id else None) if diagnose_first else []
    if all_runs:
        written = write_all_reports(store, output or Path("report"), method)
        data = {**written.model_dump(), "diagnosed": diagnosed}
        emit(ctx, data, lambda d: console().print(
            f"wrote {len(d['reports'])} reports and {Path(d['folder']) / d['index']}"
            + (f"; {len(d['not_diagnosed'])} runs not diagnosed (pass --diagnose)" if d["not_diagnosed"] else "")))
        return
    path = output or Path(report_filename(run_id.split("@")[0], set()))
    shown = write_report(store, run_id, path, method)
    data = {"run_id": run_id, "written": str(path), "diagnosis": shown.diagnosis.method if shown.diagnosis else None,
            "diagnosed": diagnosed}
    emit(ctx, data, lambda d: console().print(
        f"wrote {d['written']}" + ("" if d["diagnosis"] or shown.run.outcome == "solved"
                                   else " (not diagnosed: pass --diagnose)")))


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the comparison as a self-contained HTML page.")
@click.option("--method", default=None, help="Diagnosis whose onset to show (default: heuristic first).")
@output_options
@pass_ctx
@handle_errors
def compare(ctx: Ctx, run_a: str, run_b: str, html_path: Path | None, method: str | None) -> None:
    """Align two runs of a task by stage: where they diverge, what each did there, which files and tests differ.

    Example: tracegraph compare blind-maze-explorer-5x5.1-of-1.2025 blind-maze-explorer-5x5.1-of-1.openhands
    """
    from tracegraph.report import compare_runs, render_comparison, write_html
    from tracegraph.store.info import resolve_run

    c = compare_runs(ctx.store, resolve_run(ctx.store, run_a), resolve_run(ctx.store, run_b), method)
    if html_path:
        write_html(html_path, render_comparison(c))
    emit(ctx, {**c.model_dump(mode="json"), "html": str(html_path) if html_path else None},
         lambda _: _render_comparison(c, html_path))


def _render_comparison(c, html_path: Path | None) -> None:
    out = console()
    table("runs", ["", "run", "framework", "model", "outcome", "steps", "onset"],
          [[side, r.name, r.framework, r.model, r.outcome, r.steps,
            f"step {r.onset_k} ({r.onset_stage}) {r.category}" if r.onset_k is not None else r.category or "-"]
           for side, r in (("A", c.a), ("B", c.b))])
    if not c.same_task:
        out.print("[yellow]note[/] the two runs are not of the same task")
    table("stages aligned", ["#", "A", "B", "differences"],
          [[("▶ " if i == c.diverge_at else "") + str(i + 1),
            f"{p.a.label} {p.a.start_k}-{p.a.end_k}" if p.a else "-",
            f"{p.b.label} {p.b.start_k}-{p.b.end_k}" if p.b else "-", "; ".join(p.differences)]
           for i, p in enumerate(c.pairs)])
    d = c.divergence
    if d is None:
        out.print("no aligned stage differs materially")
    else:
        out.print(f"[bold]diverge at aligned stage {c.diverge_at + 1}[/]: {'; '.join(d.differences)}")
        for side, stage in (("A", d.a), ("B", d.b)):
            steps = stage.steps if stage else []
            table(f"{side} there", ["k", "tool", "action", ""],
                  [[s.k, s.tool, s.summary[:100], "error" if s.is_error else ""] for s in steps])
    changed_files = [f for f in c.files if bool(f.a_steps) != bool(f.b_steps)]
    if changed_files:
        table("files written by one run only", ["file", "A steps", "B steps"],
              [[f.path, ", ".join(map(str, f.a_steps)), ", ".join(map(str, f.b_steps))] for f in changed_files])
    changed_tests = [t for t in c.tests if t.a != t.b]
    if changed_tests:
        table("tests that differ", ["test", "A", "B"], [[t.name, t.a or "-", t.b or "-"] for t in changed_tests])
    if html_path:
        out.print(f"wrote {html_path}")
