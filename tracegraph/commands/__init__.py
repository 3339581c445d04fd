"""CLI commands, one module per group of verbs; each is a thin call into the library."""

from __future__ import annotations

import importlib

import click

COMMAND_MODULES = ["ingest", "formats", "db", "query", "runs", "diagnose", "report", "mine", "replay", "show", "quality"]


def register(cli: click.Group) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"tracegraph.commands.{name}").register(cli)
