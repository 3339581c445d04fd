"""`tracegraph db init|status|reset`."""

from __future__ import annotations

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(db)


@click.group()
def db() -> None:
    """Set up, inspect or empty the store.

    Example: tracegraph db status
    """


@db.command()
@output_options
@pass_ctx
@handle_errors
def init(ctx: Ctx) -> None:
    """Create constraints and indexes (generated from the schema models) and record the schema version.

    Example: tracegraph --store neo4j://localhost:7687 db init
    """
    from tracegraph.store.info import db_status

    ctx.create_store = True
    status = db_status(ctx.store)  # opening the store initialises it
    emit(ctx, status, lambda s: console().print(f"{s['engine']} store at {s['location']} ready "
                                                f"(schema version {s['schema_version']})"))


@db.command()
@output_options
@pass_ctx
@handle_errors
def status(ctx: Ctx) -> None:
    """Print node counts per label, relationship counts per type and the schema version.

    Example: tracegraph db status --json
    """
    from tracegraph.store.info import db_status

    def render(s: dict) -> None:
        console().print(f"{s['engine']} store at {s['location']}, schema version {s['schema_version']}")
        table("nodes", ["label", "count"], [[k, v] for k, v in s["nodes"].items()])
        table("relationships", ["type", "count"], [[k, v] for k, v in s["relationships"].items()])

    emit(ctx, db_status(ctx.store), render)


@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@output_options
@pass_ctx
@handle_errors
def reset(ctx: Ctx, yes: bool) -> None:
    """Delete everything in the store, then set the schema up again.

    Example: tracegraph db reset --yes
    """
    if not yes and not ctx.as_json:
        click.confirm(f"delete everything in {ctx.store.location}?", abort=True)
    ctx.store.reset()
    ctx.store.init_schema()
    emit(ctx, {"reset": ctx.store.location}, lambda d: console().print(f"emptied {d['reset']}"))
