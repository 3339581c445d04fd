"""`tracegraph show`."""

from __future__ import annotations

from typing import Any

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx

ACTION_WIDTH = 80
"""Characters of each step's action shown in the tree view (--json keeps the stored text)."""


def register(cli: click.Group) -> None:
    cli.add_command(show)


@click.command()
@click.argument("run")
@output_options
@pass_ctx
@handle_errors
def show(ctx: Ctx, run: str) -> None:
    """Print a run's trace tree: stages, their steps, change steps, errors, no-ops and causal links.

    RUN is a run id, a run name, or a unique prefix of either. Change steps are marked Δ, no-ops ∅, failed
    steps are red with ✗; "← 7" means the step depends on step 7, "↻ 6" that it repeats step 6.

    Example: tracegraph show dna-assembly__BC7CeVz --json
    """
    from tracegraph.tree.view import load_tree

    emit(ctx, load_tree(ctx.store, run), _render)


def _render(tree: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    run = tree["run"]
    root = Tree(f"[bold]{escape(run['name'])}[/]  {run['framework']} · {run['outcome']} · {run['step_count']} steps"
                f" ({run.get('fidelity') or 'structured'})" + (f" · {escape(run['model'])}" if run.get("model") else "")
                + (f"\ntriage: {run['triage']}: {escape(run.get('triage_reason') or '')}" if run.get("triage") else ""))
    groups = [(f"[bold cyan]{st['ordinal']}. {st['label']}[/]  steps {st['start_k']}–{st['end_k']}", st["steps"])
              for st in tree["stages"]]
    if tree["unstaged"]:
        groups.append(("[bold]steps without a stage[/]", tree["unstaged"]))
    for title, steps in groups:
        branch = root.add(title)
        for step in steps:
            branch.add(_step_line(step, escape))
    console().print(root)


def _step_line(step: dict[str, Any], escape) -> str:
    action = " ".join((step["action"] or "").split())
    if len(action) > ACTION_WIDTH:
        action = action[:ACTION_WIDTH - 1] + "…"
    mark = "∅" if step["is_noop"] else ("[bold yellow]Δ[/]" if step["kind"] == "change" else "·")
    text = f"{mark} {step['k']:>4} [bold]{escape(step['tool'])}[/] {escape(action)}"
    if step["is_noop"]:
        text = f"[dim]{text} (no-op)[/]"
    if step["is_error"]:
        code = f" exit {step['exit_code']}" if step.get("exit_code") not in (None, 0) else ""
        text = f"[red]{text} ✗{code}[/]"
    links = [f"← {', '.join(str(d['k']) for d in step['depends_on'])}"] if step["depends_on"] else []
    if step["repeats"] is not None:
        links.append(f"↻ {step['repeats']}")
    return text + (f"  [dim]{'  '.join(links)}[/]" if links else "")
