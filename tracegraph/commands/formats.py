"""`tracegraph formats`: the parsers, and the formats learned from a model (learn, show, remove)."""

from __future__ import annotations

from pathlib import Path

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(formats)


def model_options(fn):
    """--model and --api-base, shared by `formats learn` and `ingest --learn-format`."""
    fn = click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server.")(fn)
    fn = click.option("--model", default=None, help="litellm model string, e.g. openai/gpt-4o-mini.")(fn)
    return fn


@click.group(invoke_without_command=True)
@output_options
@pass_ctx
@click.pass_context
@handle_errors
def formats(click_ctx: click.Context, ctx: Ctx) -> None:
    """List the parsers in detection order, then the formats learned from a model.

    Example: tracegraph formats --json
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from tracegraph.ingest.registry import all_parsers
    from tracegraph.learn.storage import list_formats

    rows = [{"name": p.name, "recognises": p.recognises} for p in all_parsers()]
    learned = [{"name": f.name, "layout": f.fingerprints[0].layout, "suffix": f.fingerprints[0].suffix,
                "model": f.model, "samples": ", ".join(f"{s.file} ({s.steps} steps)" for s in f.samples),
                "created_at": f.created_at} for f in list_formats()]

    def render(_: object) -> None:
        table("formats (detection order)", ["name", "recognises"], [[x["name"], x["recognises"]] for x in rows])
        if learned:
            table("learned formats (parsed in a sandbox)", ["name", "layout", "model", "samples"],
                  [[x["name"], f"{x['layout']} {x['suffix']}", x["model"], x["samples"]] for x in learned])

    emit(ctx, rows + [{"name": x["name"], "recognises": f"learned from {x['samples']}", "learned": x}
                      for x in learned], render)


@formats.command()
@click.argument("samples", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_options
@click.option("--name", default=None, help="Name of the format [default: from the first sample and fingerprint].")
@click.option("--max-repairs", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times a refused parser goes back to the model with its problems.")
@output_options
@pass_ctx
@handle_errors
def learn(ctx: Ctx, samples: tuple[Path, ...], model: str | None, api_base: str | None, name: str | None,
          max_repairs: int) -> None:
    """Ask a model for a parser of SAMPLES (files of one unknown format); keep it if it passes in the sandbox.

    Example: tracegraph formats learn session.jsonl --model openai/gpt-4o-mini
    """
    from tracegraph.learn import LearnConfig, learn_format

    if not model:
        raise click.UsageError("--model is required to learn a format")
    report = learn_format(list(samples), LearnConfig(model=model, api_base=api_base, max_repairs=max_repairs),
                          name=name)
    data = {"format": report.format.model_dump(), "folder": str(report.folder),
            "attempts": [a.problems for a in report.attempts]}

    def render(_: object) -> None:
        out = console()
        for i, attempt in enumerate(report.attempts[:-1], 1):
            out.print(f"reply {i} refused: {'; '.join(attempt.problems[:3])}")
        counts = ", ".join(f"{s.file}: {s.steps} steps" for s in report.format.samples)
        out.print(f"learned format {report.format.name} after {len(report.attempts)} model replies ({counts}); "
                  f"saved in {report.folder}")

    emit(ctx, data, render)


@formats.command()
@click.argument("name")
@output_options
@pass_ctx
@handle_errors
def show(ctx: Ctx, name: str) -> None:
    """Show a learned format: its fingerprint, model, prompt version, samples and parser code.

    Example: tracegraph formats show aider-chat-history-1a2b3c4d
    """
    from tracegraph.learn.storage import load_format

    meta, code = load_format(name)
    data = meta.model_dump() | {"parser": code}

    def render(_: object) -> None:
        out = console()
        out.print(f"{meta.name}: learned by {meta.model} (prompt v{meta.prompt_version}) on {meta.created_at} "
                  f"after {meta.attempts} replies")
        for fp in meta.fingerprints:
            out.print(f"fingerprint: {fp.layout} {fp.suffix}, {len(fp.shapes)} shapes: {', '.join(fp.shapes[:8])} …")
        out.print("samples: " + ", ".join(f"{s.file} ({s.steps} steps)" for s in meta.samples))
        out.print(code, markup=False)

    emit(ctx, data, render)


@formats.command()
@click.argument("name")
@output_options
@pass_ctx
@handle_errors
def remove(ctx: Ctx, name: str) -> None:
    """Delete a learned format (its files will no longer be ingested).

    Example: tracegraph formats remove aider-chat-history-1a2b3c4d
    """
    from tracegraph.learn.storage import remove_format

    remove_format(name)
    emit(ctx, {"removed": name}, lambda _: console().print(f"removed learned format {name}"))
