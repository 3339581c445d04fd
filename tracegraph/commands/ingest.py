"""`tracegraph ingest`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table
from tracegraph.commands.formats import model_options


SHOWN_RUNS = 40
"""Runs listed in the ingest summary table; the rest are counted (a benchmark sweep has thousands)."""


def register(cli: click.Group) -> None:
    cli.add_command(ingest)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_name", default=None, help="Force one parser (see `tracegraph formats`).")
@click.option("--no-redact", is_flag=True, help="Store secrets as found (redaction is on by default).")
@click.option("--strict", is_flag=True, help="Refuse runs that fail the data-quality suite.")
@click.option("--force", is_flag=True,
              help="Rewrite runs already loaded from the same artifacts (after an upgrade, or to apply another "
                   "--observation-chars or --no-redact).")
@click.option("--max-file-mb", type=int, default=100, show_default=True, help="Largest artifact file read.")
@click.option("--max-steps", type=int, default=20000, show_default=True, help="Most steps kept per run.")
@click.option("--observation-chars", type=int, default=4000, show_default=True,
              help="Characters of each tool result kept (full size is recorded).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes parsing runs while the store writes [default: one per core; 0 parses in-process].")
@click.option("--learn-format", is_flag=True,
              help="Files no parser claims: ask --model for a parser, checked in a sandbox, then ingest with it.")
@model_options
@output_options
@pass_ctx
@handle_errors
def ingest(ctx: Ctx, paths: tuple[Path, ...], format_name: str | None, no_redact: bool, strict: bool,
           max_file_mb: int, max_steps: int, observation_chars: int, workers: int | None, learn_format: bool,
           model: str | None, api_base: str | None, force: bool) -> None:
    """Find runs below PATHS (folders or archives), parse them and load them into the store.

    Example: tracegraph ingest ../shared/fixtures/harbor-atif
    """
    from rich.progress import Progress

    from tracegraph.ingest import Limits
    from tracegraph.load import IngestInterrupted, ingest_paths

    ctx.create_store = True
    limits = Limits(max_file_bytes=max_file_mb * 2**20, max_steps=max_steps, observation_chars=observation_chars)
    learned = _learn_formats(list(paths), model, api_base) if learn_format else []
    store = ctx.store
    with Progress(console=console(), transient=True, disable=ctx.as_json or not sys.stderr.isatty()) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"ingesting {name}")

        try:
            report = ingest_paths(list(paths), store, format=format_name, redact=not no_redact, strict=strict,
                                  limits=limits, progress=progress, workers=workers, force=force)
            interrupted = False
        except IngestInterrupted as stop:
            report, interrupted = stop.report, True
    counts = report.quality_counts()
    data = report.model_dump() | {"steps": report.steps, "redactions": report.redactions,
                                  "quality_counts": counts, "interrupted": interrupted}
    if learn_format:
        data["learned_formats"] = learned

    def render(_: object) -> None:
        # Runs with quality issues first: in a sweep of thousands of runs they are the ones worth reading.
        runs = sorted(report.runs, key=lambda r: not r.quality_issues)
        table(None, ["run", "framework", "outcome", "triage", "steps", "redactions", "quality"],
              [[r.name, r.framework, r.outcome, r.triage or "-", r.steps, r.redactions,
                "; ".join(r.quality_issues) or "ok"] for r in runs[:SHOWN_RUNS]])
        out = console()
        if len(runs) > SHOWN_RUNS:
            out.print(f"… and {len(runs) - SHOWN_RUNS} more runs (`tracegraph runs` or --json lists them all)")
        for r in report.skipped:
            out.print(f"[yellow]skipped[/] {r.path}: {r.problem}")
        if report.copies:
            copies = "1 copy of a run" if len(report.copies) == 1 else f"{len(report.copies)} copies of runs"
            out.print(f"skipped {copies} already loaded by this ingest "
                      f"(e.g. {report.copies[0].source} = {report.copies[0].same_as})")
        for r in report.refused:
            out.print(f"[yellow]refused (--strict)[/] {r.name}: {'; '.join(r.quality_issues)}")
        for e in report.errors:
            out.print(f"[red]error[/] {e.path}: {e.problem}")
        for x in learned:
            out.print(f"learned format {x['format']} from {', '.join(x['files'][:3])}" if x["format"] else
                      f"[red]no format learned[/] for {', '.join(x['files'][:3])}: {x['error']}")
        # The closing line comes last, so the counts that matter are what a user sees after a long ingest.
        if interrupted:
            out.print(f"interrupted: kept {len(report.runs)} runs (each complete), {report.steps} steps, in "
                      f"{store.location}; run the same command again to load the rest")
        else:
            same = f" ({len(report.unchanged)} unchanged, not rewritten: --force rewrites)" if report.unchanged else ""
            out.print(f"loaded {len(report.runs)} runs{same}, {report.steps} steps, {report.redactions} secrets "
                      f"redacted into {store.location}; {closing_counts(counts, len(report.errors))}")

    emit(ctx, data, render)
    named = {str(p) for p in paths}
    if interrupted:
        sys.exit(130)
    if report.errors and (not report.runs or any(e.path in named for e in report.errors)):
        sys.exit(1)  # a run that could not be read is said above; a named input that could not be read fails
    if strict and (report.refused or report.skipped):
        sys.exit(1)


def closing_counts(counts: dict[str, int], errors: int) -> str:
    """`2 at terminal fidelity, 1 with 0 agent steps, ...`: every kind, zeros included, so the line reads the same
    in every summary."""
    return (f"{counts['terminal_fidelity']} at terminal fidelity, {counts['no_steps']} with 0 agent steps, "
            f"{counts['never_started']} never started, {counts['skipped_folders']} run-like folders skipped, "
            f"{errors} errors")


def _learn_formats(paths: list[Path], model: str | None, api_base: str | None) -> list[dict]:
    from tracegraph.learn import LearnConfig
    from tracegraph.learn.unclaimed import learn_unclaimed

    if not model:
        raise click.UsageError("--learn-format needs --model")
    outcomes = learn_unclaimed(paths, LearnConfig(model=model, api_base=api_base))
    return [{"files": [str(f) for f in o.files], "format": o.report.format.name if o.report else None,
             "error": o.error} for o in outcomes]
