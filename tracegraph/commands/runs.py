"""`tracegraph runs`."""

from __future__ import annotations

import click

from tracegraph.cli import Ctx, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(runs)


@click.command()
@output_options
@pass_ctx
@handle_errors
def runs(ctx: Ctx) -> None:
    """List loaded runs with outcome, step count, fidelity, triage verdict and diagnosis.

    Example: tracegraph runs --json
    """
    from tracegraph.store.info import list_runs

    def render(rows: list[dict]) -> None:
        def onset(r: dict) -> str:
            d = next((x for x in r["diagnoses"] if x.get("method") == "heuristic"), None) or (
                r["diagnoses"][0] if r["diagnoses"] else None)
            if not d or not d.get("method"):
                return ""
            where = f"step {d['onset_k']} ({d['onset_stage']})" if d.get("onset_k") else "no agent onset"
            return f"{where}: {d['category']}"

        table(f"{len(rows)} runs", ["run", "framework", "model", "outcome", "steps", "fidelity", "triage", "onset"],
              [[r["name"], r["framework"], r["model"], r["outcome"], r["steps"], r["fidelity"], r["triage"] or "",
                onset(r)] for r in rows])

    emit(ctx, list_runs(ctx.store), render)
