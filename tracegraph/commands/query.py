"""`tracegraph query` and `tracegraph queries`."""

from __future__ import annotations

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table
from tracegraph.store.base import QUERY_TIMEOUT_S


def register(cli: click.Group) -> None:
    cli.add_command(query)
    cli.add_command(queries)


def _parse_param(value: str) -> tuple[str, object]:
    import json

    if "=" not in value:
        raise click.BadParameter(f"{value!r} is not k=v")
    key, raw = value.split("=", 1)
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


@click.command()
@click.argument("cypher_or_name")
@click.option("--param", "-p", "params", multiple=True, metavar="K=V",
              help="Query parameter; V is read as JSON when it parses (numbers, lists), else as text.")
@click.option("--timeout", type=click.FloatRange(min=0.001), default=QUERY_TIMEOUT_S, show_default=True,
              metavar="SECONDS", help="The store stops the query after this long.")
@output_options
@pass_ctx
@handle_errors
def query(ctx: Ctx, cypher_or_name: str, params: tuple[str, ...], timeout: float) -> None:
    """Run a named query from the library or read-only Cypher text, with parameters.

    A run parameter takes a run's name, a unique prefix or its id. Long cells are cut with … (--json keeps them).

    Example: tracegraph query failure_chain --param run_id=dna-assembly --param method=heuristic
    """
    from tracegraph.queries import run_query

    rows = run_query(ctx.store, cypher_or_name, dict(_parse_param(p) for p in params), timeout=timeout)

    def render(rs: list[dict]) -> None:
        if not rs:
            console().print("no rows")
            return
        cols = list(rs[0])
        table(f"{len(rs)} rows", cols, [[r.get(c) for c in cols] for r in rs])

    emit(ctx, rows, render)


@click.command()
@output_options
@pass_ctx
@handle_errors
def queries(ctx: Ctx) -> None:
    """List the named queries with what each answers and its parameters.

    Example: tracegraph queries
    """
    from tracegraph.queries import list_queries

    rows = [q.model_dump(exclude={"cypher"}) for q in list_queries()]
    emit(ctx, rows, lambda rs: table("named queries", ["name", "answers", "parameters"],
                                     [[r["name"], r["description"], ", ".join(r["parameters"])] for r in rs],
                                     cell_width=None))
