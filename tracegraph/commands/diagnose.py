"""`tracegraph diagnose`, `tracegraph labels`, `tracegraph eval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tracegraph.cli import Ctx, console, emit, handle_errors, output_options, pass_ctx, table


def register(cli: click.Group) -> None:
    cli.add_command(diagnose)
    cli.add_command(labels)
    cli.add_command(eval_command)


@click.command()
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Diagnose every loaded run that did not pass.")
@click.option("--method", default="heuristic", show_default=True, help="heuristic, llm or hybrid.")
@click.option("--model", default=None, help="litellm model string for llm/hybrid (e.g. openai/gpt-4o-mini).")
@click.option("--api-base", default=None, help="OpenAI-compatible server URL for llm/hybrid.")
@output_options
@pass_ctx
@handle_errors
def diagnose(ctx: Ctx, runs: tuple[str, ...], all_runs: bool, method: str, model: str | None,
             api_base: str | None) -> None:
    """Find the failure onset, error chain and step labels of runs, and write them to the graph.

    Example: tracegraph diagnose --all
    """
    from rich.progress import Progress

    from tracegraph.diagnose import diagnose_run, failed_run_ids
    from tracegraph.store.info import resolve_run

    store = ctx.store
    if not runs and not all_runs:
        raise click.UsageError("name runs to diagnose or pass --all")
    ids = failed_run_ids(store) if all_runs else [resolve_run(store, r) for r in runs]
    options = {k: v for k, v in {"model": model, "api_base": api_base}.items() if v}
    results = []
    with Progress(console=console(), transient=True, disable=ctx.as_json or not sys.stderr.isatty()) as bar:
        task = bar.add_task("diagnosing", total=len(ids))
        for run_id in ids:
            results.append(diagnose_run(store, run_id, method, **options))
            bar.advance(task)

    def render(_: object) -> None:
        table(f"{len(results)} runs diagnosed ({method})", ["run", "onset", "stage", "category", "chain", "why"],
              [[r.run_id.split("@")[0], r.onset_k or "-", r.onset_stage or "-", r.category,
                " → ".join(map(str, r.chain_ks)), r.reasoning[:160]] for r in results])
        for r in (r for r in results if r.model):
            console().print(f"{r.run_id.split('@')[0]}: " + "; ".join([*spend(r), r.model, *r.notes]))

    emit(ctx, [r.model_dump(mode="json") for r in results], render)


def spend(r) -> list[str]:
    """What an LLM diagnosis spent, each part only when known."""
    tokens = [f"{n:,} {kind}" for n, kind in ((r.prompt_tokens, "prompt"), (r.completion_tokens, "completion"))
              if n is not None]
    return ([" + ".join(tokens) + " tokens"] if tokens else []) + (
        [f"cost ${r.cost_usd:.4f}"] if r.cost_usd is not None else [])


@click.command()
@click.option("--format", "fmt", type=click.Choice(["codetracebench"]), default="codetracebench", show_default=True)
@click.option("--method", default="heuristic", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the labels to FILE (JSON) instead of printing them.")
@output_options
@pass_ctx
@handle_errors
def labels(ctx: Ctx, fmt: str, method: str, output: Path | None) -> None:
    """Export diagnoses as step labels in CodeTracer's CodeTraceBench format.

    Example: tracegraph labels --format codetracebench -o labels.json
    """
    from tracegraph.evaluate.labels import codetracebench_labels

    data = codetracebench_labels(ctx.store, method)
    if output:
        output.write_text(json.dumps(data, indent=2))
        emit(ctx, {"written": str(output), "runs": len(data)},
             lambda d: console().print(f"wrote labels of {d['runs']} runs to {d['written']}"))
        return
    emit(ctx, data, lambda d: click.echo(json.dumps(d, indent=2)))


@click.command("eval")
@click.argument("gold", type=click.Path(exists=True, path_type=Path))
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder the gold records' `source` paths are relative to (with --labels gold).")
@click.option("--labels", type=click.Choice(["gold", "source"]), default="gold", show_default=True,
              help="gold: GOLD is a labels file (JSONL, the protocol's labels); source: GOLD is runs that ship their "
                   "own labels (Who&When's mistake_step / mistake_agent), scored per subset against baselines.")
@click.option("--method", default="heuristic", show_default=True)
@click.option("--model", default=None, help="litellm model string for llm/hybrid.")
@click.option("--api-base", default=None, help="OpenAI-compatible server URL for llm/hybrid.")
@click.option("--cv", "cv", default=None, metavar="K|format",
              help="Cross-validate the heuristic: K folds over runs, or `format` (leave one format out). Weights "
                   "are chosen on the training folds only; fit figures are printed beside. With --labels source: "
                   "K folds per subset, baselines' k and agent also chosen on the training folds.")
@output_options
@pass_ctx
@handle_errors
def eval_command(ctx: Ctx, gold: Path, root: Path | None, labels: str, method: str, model: str | None,
                 api_base: str | None, cv: str | None) -> None:
    """Ingest and diagnose each gold run, then score the method and the baselines against the labels.

    With --labels source, GOLD is a folder of runs that carry their own labels (Who&When);
    `--labels source --cv 5` cross-validates the conversation rules per subset.

    Example: tracegraph eval ../shared/gold/dev.jsonl --root ../shared/fixtures --cv 5
    """
    from rich.progress import Progress

    from tracegraph.evaluate.onsets import evaluate, read_gold

    ctx.create_store = True  # eval ingests the gold runs, as `ingest` would
    options = {k: v for k, v in {"model": model, "api_base": api_base}.items() if v}
    if labels == "source":
        if cv is not None and (not cv.isdigit() or method != "heuristic"):
            raise click.UsageError("--labels source --cv takes a number of folds and tunes the heuristic only")
        _eval_source(ctx, gold, method, options, int(cv) if cv else None)
        return
    if root is None or gold.is_dir():
        raise click.UsageError("--labels gold needs GOLD to be a labels file and --root the folder of its sources")
    if cv is not None:
        if method != "heuristic":
            raise click.UsageError("--cv tunes the heuristic's weights; llm and hybrid have none to tune")
        if cv != "format" and not cv.isdigit():
            raise click.UsageError(f"--cv takes a number of folds or `format`, not {cv!r}")
        _eval_cv(ctx, read_gold(gold), root, cv)
        return
    with Progress(console=console(), transient=True, disable=ctx.as_json or not sys.stderr.isatty()) as bar:
        task = bar.add_task("evaluating", total=None)
        report = evaluate(read_gold(gold), root, ctx.store, method,
                          progress=lambda n, i, t: bar.update(task, completed=i, total=t, description=n),
                          **options)

    def render(_: object) -> None:
        metrics = list(next(iter(report.overall.values())).keys())
        methods = [method, "random_step", "last_step", "first_error_step"]
        table("all runs", ["metric", *methods], [[m, *(report.overall.get(x, {}).get(m, "") for x in methods)]
                                                  for m in metrics])
        for fmt, ms in report.by_format.items():
            table(fmt, ["metric", *methods], [[m, *(ms.get(x, {}).get(m, "") for x in methods)] for m in metrics])
        for e in report.errors:
            console().print(f"[red]error[/] {e}")

    emit(ctx, report.model_dump(mode="json"), render)


def _eval_cv(ctx: Ctx, records: list[dict], root: Path, scheme: str) -> None:
    from rich.progress import Progress

    from tracegraph.evaluate.crossval import MAJORITY, cross_validate
    from tracegraph.evaluate.onsets import load_gold_traces

    with Progress(console=console(), transient=True, disable=ctx.as_json or not sys.stderr.isatty()) as bar:
        task = bar.add_task("loading", total=None)
        items, errors = load_gold_traces(records, root, ctx.store,
                                         lambda n, i, t: bar.update(task, completed=i, total=t, description=n))
    try:
        report = cross_validate(items, scheme, errors)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def render(_: object) -> None:
        columns = ["heuristic", "heuristic_fit", "random_step", "last_step", "first_error_step", MAJORITY]
        heads = ["metric", f"heuristic ({report.scheme} CV)", "heuristic (fit)", "random", "last step",
                 "first error", "majority class"]
        metrics = [m for m in report.fit if m != "runs"]
        overall = report.cv | {"heuristic_fit": report.fit}
        table(f"all {report.fit['runs']} runs, cross-validated ({report.scheme})", heads,
              [[m, *(overall[c].get(m, "-") for c in columns)] for m in ["runs", *metrics]])
        for fmt, ms in report.by_format.items():
            table(fmt, heads, [[m, *(ms[c].get(m, "-") for c in columns)] for m in ["runs", *metrics]])
        for f in report.folds:
            moved = ", ".join(f"{k}={v}" for k, v in f.changes.items()) or "defaults"
            console().print(f"{f.name}: {len(f.held_out)} held out; chosen on the rest: {moved}; "
                            f"majority class {f.majority}")
        for e in report.errors:
            console().print(f"[red]error[/] {e}")

    emit(ctx, report.model_dump(mode="json"), render)


def _eval_source(ctx: Ctx, path: Path, method: str, options: dict, folds: int | None) -> None:
    from tracegraph.diagnose import diagnose_run, load_trace
    from tracegraph.evaluate.source_labels import METRICS, score_source_labels
    from tracegraph.load import ingest_paths

    report = ingest_paths([path], ctx.store)
    errors = [f"{e.path}: {e.problem}" for e in report.errors]
    if folds is not None:
        _eval_source_cv(ctx, [load_trace(ctx.store, r.run_id) for r in report.runs], folds, errors)
        return
    diagnosed = [(load_trace(ctx.store, r.run_id), diagnose_run(ctx.store, r.run_id, method, **options).onset_k)
                 for r in report.runs]
    scored = score_source_labels(diagnosed, method, errors)

    def render(_: object) -> None:
        for subset, ms in scored.subsets.items():
            names = list(ms)
            heads = ["metric", *(f"always step {ms[n]['k']} (best k)" if n == "best_k" else n for n in names)]
            table(f"{subset}: {ms[method]['runs']} runs, the source's own labels", heads,
                  [[m, *(ms[n][m] for n in names)] for m in METRICS])
        for e in scored.errors:
            console().print(f"[red]error[/] {e}")

    emit(ctx, scored.model_dump(mode="json"), render)


def _eval_source_cv(ctx: Ctx, traces: list, folds: int, errors: list[str]) -> None:
    from tracegraph.evaluate.source_crossval import cross_validate_source
    from tracegraph.evaluate.source_labels import METRICS

    try:
        scored = cross_validate_source(traces, folds, errors=errors)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    heads = {"heuristic": f"heuristic ({scored.scheme} CV)", "heuristic_fit": "heuristic (fit)",
             "best_k": "always step k (k from training folds)", "majority_agent": "majority agent (CV)"}

    def render(_: object) -> None:
        for subset, ms in scored.subsets.items():
            names = list(ms)
            cols = [heads.get(n) or (f"always step {ms[n]['k']} (best k, fit)" if n == "best_k_fit" else n)
                    for n in names]
            table(f"{subset}: {ms['heuristic']['runs']} runs, the source's own labels, cross-validated",
                  ["metric", *cols], [[m, *("-" if ms[n].get(m) is None else ms[n][m] for n in names)]
                                      for m in METRICS])
        for f in scored.folds:
            chosen = ", ".join(f"{w}={v:g}" for w, v in f.weights.items()) or "no rule (always step k)"
            console().print(f"{f.name} {f.subset}: {len(f.held_out)} held out; chosen on the rest: {chosen}; "
                            f"k={f.best_k}; majority agent {f.majority_agent}")
        for e in scored.errors:
            console().print(f"[red]error[/] {e}")

    emit(ctx, scored.model_dump(mode="json"), render)
