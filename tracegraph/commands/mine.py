"""`tracegraph mine`."""

from __future__ import annotations

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(mine)


@click.command()
@click.option("--method", default="heuristic", show_default=True,
              help="Diagnosis whose onsets a pattern must touch to explain a failure.")
@click.option("--outcome", "outcomes", multiple=True, default=["failed"], show_default=True,
              help="Outcomes mined as failures (repeatable); solved runs are the comparison.")
@click.option("--verdict", "verdicts", multiple=True, default=["agent_failed", "agent_timed_out"], show_default=True,
              help="Triage verdicts of the failures mined (repeatable); runs without one count as agent_failed.")
@click.option("--model", default=None, help="Only runs whose model contains this (case-insensitive).")
@click.option("--agent", default=None, help="Only runs whose agent contains this (case-insensitive).")
@click.option("--min-support", type=click.IntRange(min=1), default=3, show_default=True,
              help="Fewest failed runs a pattern must occur in.")
@click.option("--max-length", type=click.IntRange(min=1), default=3, show_default=True,
              help="Most features in a sequence.")
@click.option("--max-gap", type=click.IntRange(min=0), default=2, show_default=True,
              help="Most steps between two consecutive features of a sequence.")
@click.option("--min-lift", type=float, default=1.0, show_default=True,
              help="Drop patterns whose lift is at or below this (solved runs show them as often).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Patterns printed (--json and the graph get all).")
@click.option("--no-diagnose", is_flag=True, help="Do not diagnose failed runs that have no diagnosis first.")
@click.option("--dry-run", is_flag=True, help="Print the patterns without writing them to the graph.")
@output_options
@pass_ctx
@handle_errors
def mine(ctx: Ctx, method: str, outcomes: tuple[str, ...], verdicts: tuple[str, ...], model: str | None,
         agent: str | None, min_support: int, max_length: int, max_gap: int, min_lift: float, top: int,
         no_diagnose: bool, dry_run: bool) -> None:
    """Mine what failed runs do that solved runs do not: commands, tools, errors, no-ops, file types, models.

    Patterns (features that co-occur in a run, or follow each other within a few steps) are scored against solved
    runs of the same framework (support, confidence, lift, Fisher's exact p-value, Benjamini-Hochberg q-value),
    ranked by the failed runs whose onset they touch, and replace the old ones in the graph as Pattern nodes
    (EXHIBITS from runs, MATCHES to steps). `tracegraph query pattern_runs -p pattern=ID` lists a pattern's runs.

    Example: tracegraph mine --model kimi --min-support 2
    """
    from tracegraph.mine import MineConfig, mine_patterns

    config = MineConfig(method=method, outcomes=list(outcomes), verdicts=list(verdicts), model=model, agent=agent,
                        min_support=min_support, max_length=max_length, max_gap=max_gap, min_lift=min_lift,
                        diagnose_missing=not no_diagnose)
    result = mine_patterns(ctx.store, config, write=not dry_run)

    def render(_: object) -> None:
        out = console()
        if result.diagnosed:
            out.print(f"diagnosed {len(result.diagnosed)} failed runs first ({method})")
        shown = result.patterns[:top]
        table(f"top {len(shown)} of {len(result.patterns)} patterns", ["#", "pattern", "failed", "solved", "lift",
                                                                       "p", "q", "onset in", "example"],
              [[i, p.signature, p.support, p.support_solved, f"{p.lift:.2f}", f"{p.p_value:.3g}", f"{p.q_value:.3g}",
                p.explained, p.example_run_id.split("@")[0]] for i, p in enumerate(shown, start=1)])
        for i, p in enumerate(shown[:5], start=1):
            out.print(f"{i}. {p.statement}")
        if result.left_out:
            out.print(f"[yellow]{len(result.left_out)} failed runs left out[/]: no solved run of their framework to "
                      "compare them with")
        if not result.solved_runs:
            out.print("[yellow]no solved runs to compare against[/]: every lift is 1; --min-lift 0 lists the patterns")
        verb = "found" if dry_run else "wrote"
        out.print(f"{verb} {len(result.patterns)} patterns ({result.tested} tested) from {result.failed_runs} failed "
                  f"and {result.solved_runs} solved runs")

    emit(ctx, result.model_dump(mode="json"), render)
