"""tracegraph command line: a thin skin over the Python API (open the store, call one function, render)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from tracegraph.errors import TracegraphError


class Ctx:
    def __init__(self, store_uri: str | None, as_json: bool) -> None:
        self.store_uri = store_uri
        self.as_json = as_json
        self.create_store = False
        """Only `db init`, `ingest` and `eval` (which ingests) make a missing store; others say there is none."""
        self._store = None

    @property
    def store(self):
        if self._store is None:
            from tracegraph.store import open_store

            self._store = open_store(self.store_uri, create=self.create_store)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def output_options(fn: Callable) -> Callable:
    """--json on every command (also accepted before the command name)."""
    @click.option("--json", "as_json", is_flag=True, default=False, help="Print machine-readable JSON.")
    @functools.wraps(fn)
    def wrapper(*args: Any, as_json: bool = False, **kwargs: Any) -> Any:
        ctx = click.get_current_context().find_object(Ctx)
        if as_json and ctx is not None:
            ctx.as_json = True
        return fn(*args, **kwargs)
    return wrapper


def handle_errors(fn: Callable) -> Callable:
    """Named library errors become one line on stderr and exit code 1."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TracegraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    return wrapper


def console():
    from rich.console import Console

    # soft_wrap: long paths in messages stay on one line so they can be copied; tables still fit the width.
    # Piped or logged output (make demo, CI) gets 160 columns instead of rich's 80, so tables stay readable.
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    return Console(highlight=False, soft_wrap=True, width=width)


def emit(ctx: Ctx, data: Any, render: Callable[[Any], None]) -> None:
    """The one renderer: JSON with --json, else the command's rich view."""
    if ctx.as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        render(data)


CELL_WIDTH = 100
"""Characters of a table cell shown before it is cut with an ellipsis (--json keeps every value whole)."""


def cell_text(value: Any, width: int | None = CELL_WIDTH) -> str:
    """A value as one table line (a list as its items joined by commas): whitespace runs (newlines included) become one space, cut at `width` with `…`."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join("" if v is None else str(v) for v in value)
    text = " ".join(str(value).split())
    return text if width is None or len(text) <= width else text[:width - 1] + "…"


def table(title: str | None, columns: list[str], rows: list[list[Any]], cell_width: int | None = CELL_WIDTH) -> None:
    """Print rows as a rich table; each cell on one line, cut at `cell_width` characters (None keeps them whole)."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(title) if title else title, show_lines=False)
    for c in columns:
        t.add_column(escape(c), overflow="fold")
    for r in rows:
        t.add_row(*(escape(cell_text(v, cell_width)) for v in r))
    console().print(t)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--store", "store_uri", default=None, metavar="URI",
              help="Store folder (embedded FalkorDB, default ./.tracegraph or $TRACEGRAPH_STORE) or neo4j://host:7687.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.version_option(package_name="tracegraph")
@click.pass_context
def cli(click_ctx: click.Context, store_uri: str | None, as_json: bool) -> None:
    """Make code-agent failures visible: runs as a graph, failure onsets, Cypher over failure chains.

    Example: tracegraph ingest runs/ && tracegraph diagnose --all
    """
    # litellm's bundled cost map instead of a download at its import (the CLI runs offline); set when a command runs,
    # not when tracegraph is imported, so a library user's environment is left as they made it.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    ctx = Ctx(store_uri, as_json)
    click_ctx.obj = ctx
    click_ctx.call_on_close(ctx.close)


pass_ctx = click.make_pass_decorator(Ctx)

from tracegraph.commands import register  # noqa: E402  (commands attach themselves to `cli`)

register(cli)


def main() -> None:
    cli(prog_name="tracegraph")
