"""`tracegraph quality`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(quality)


@click.command()
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write great-expectations' Data Docs HTML report of this check into DIR.")
@output_options
@pass_ctx
@handle_errors
def quality(ctx: Ctx, docs_dir: Path | None) -> None:
    """Check every loaded run, step by step, with the ingest's great-expectations suite.

    Prints each expectation with the step-table rows it finds unexpected, then the runs with issues.

    Example: tracegraph quality --docs quality-docs/
    """
    from tracegraph.store.quality import check_store

    emit(ctx, check_store(ctx.store, docs_dir), _render)


def _render(report: dict[str, Any]) -> None:
    passed = sum(e["success"] for e in report["expectations"])
    table(f"{report['runs']} runs, {report['steps']} steps ({report['rows']} step-table rows): "
          f"{passed} of {len(report['expectations'])} expectations met",
          ["expectation", "columns", "result", "unexpected rows"],
          [[e["expectation"], e["columns"], "ok" if e["success"] else (f"error: {e['error']}" if e["error"]
                                                                       else "FAILED"), e["unexpected"]]
           for e in report["expectations"]])
    if report["issues"]:
        table(f"{len(report['issues'])} runs with issues", ["run", "issues"],
              [[r["name"], "; ".join(r["issues"])] for r in report["issues"]], cell_width=None)
    if report["docs"]:
        console().print(f"Data Docs: {report['docs']}")
