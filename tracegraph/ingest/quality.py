"""Data-quality gate: a great-expectations suite over the step tables of ingested runs, violations mapped to runs.

The step table has one row per step (run_id, k, timestamp, whether the call got a result, tool, outcome, ...), plus
one row per node that names a step the run does not have, and one row for a run without steps, so run-level
expectations still see it. great-expectations decides pass or fail; the rows it returns as unexpected name the runs.
load/quality_gate.py decides when and where it runs: each batch before it is written (--strict), or many batches at
once after the writes; store/quality.py runs it over a whole store (`tracegraph quality`, check_table: a count per
expectation, optionally great-expectations' Data Docs site).

Timestamp tolerance: within a run, a step may be up to TIMESTAMP_SLACK_MS earlier than the latest step before it.
Calls that never got a result are exempt when they close the run: Harbor's ATIF lists such calls last with the time
they were issued (often minutes before the steps above them), so their order says nothing about the data.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import math
import types
from collections import Counter
from pathlib import Path
from typing import Any

from tracegraph.schema import Outcome, RunTrace

TIMESTAMP_SLACK_MS = 1000
"""How far a step's timestamp may fall behind the latest earlier step's (sources with whole-second clocks)."""

COLUMNS = ("run_id", "k", "position", "timestamp_ms", "ts_back_ms", "answered", "observations", "tool", "outcome",
           "step_count", "n_steps", "unattached")

# Each expectation's meta holds the one-line issue it raises, formatted with the first offending row of a run
# (the row's run_id, k and the expectation's own columns), and whether further rows are counted in the issue.
_ISSUE, _PER_ROW = "issue", "per_row"


DEGRADED_KINDS = ("terminal_fidelity", "no_steps", "never_started")


def degraded_run_notes(trace: RunTrace) -> dict[str, str]:
    """Kind → one-line reason for what makes a run a poor record of the agent's work (empty for a good record).

    A run whose agent never started (Run.triage, when the ingest decided it) is said as such; any other run without
    steps is a 0-step run.
    """
    notes: dict[str, str] = {}
    if trace.run.fidelity == "terminal":
        notes["terminal_fidelity"] = ("terminal fidelity: steps read from a terminal recording, not from the "
                                      "agent's own log")
    triage = getattr(trace.run, "triage", None)
    if triage is not None and str(triage) == "agent_never_ran":
        reason = getattr(trace.run, "triage_reason", None)
        notes["never_started"] = "agent never started" + (f" ({reason})" if reason else "")
    elif not trace.steps:
        notes["no_steps"] = "0 agent steps"
    return notes


def check_batch(traces: list[RunTrace]) -> dict[str, list[str]]:
    """Run id → the expectations its steps violate (empty when the whole batch passes)."""
    return check_rows(step_rows(traces), [t.run_id for t in traces])


def check_rows(rows: list[tuple], run_ids: list[str]) -> dict[str, list[str]]:
    """check_batch over step tables already made (step_rows of the runs `run_ids`), so they can be checked
    elsewhere (another process) or later, many batches in one call."""
    if not run_ids:
        return {}
    batch_definition, suite = _suite()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _frame(rows)})
    result = batch.validate(suite, result_format="BOOLEAN_ONLY")
    if result.success:
        return {}
    return _issues_by_run(batch, suite, result, run_ids)


def check_table(rows: list[tuple], run_ids: list[str], docs_dir: Path | None = None) -> dict[str, Any]:
    """The suite over a whole step table with a count per expectation, for a report of a store rather than a gate.

    Returns {"rows": step rows checked, "expectations": [{expectation, columns, success, unexpected, issue}],
    "issues": run id → issues as check_rows says them, "docs": the Data Docs index or None}. With `docs_dir`,
    great-expectations also writes its Data Docs HTML site of this validation there.
    """
    batch_definition, suite = _suite()
    frame = _frame(rows)
    if docs_dir is not None:
        result = _docs_checkpoint(Path(docs_dir).resolve()).run(batch_parameters={"dataframe": frame},
                                                                 run_id=_run_identifier())
        result = next(iter(result.run_results.values()))
    else:
        result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format="SUMMARY")
    expectations = []
    for res in result.results:
        config = res.expectation_config
        kwargs = config.kwargs
        columns = kwargs.get("column_list") or [kwargs[c] for c in ("column", "column_A", "column_B") if c in kwargs]
        error = _raised(res.exception_info)
        expectations.append({"expectation": config.type, "columns": columns, "success": bool(res.success),
                             "unexpected": (res.result or {}).get("unexpected_count", 0) if error is None else None,
                             "error": error, "issue": config.meta[_ISSUE]})
    issues = {} if result.success or not run_ids else _issues_by_run(
        batch_definition.get_batch(batch_parameters={"dataframe": frame}), suite, result, run_ids)
    return {"rows": len(rows), "expectations": expectations, "issues": issues,
            "docs": str(Path(docs_dir).resolve() / "index.html") if docs_dir is not None else None}


def _run_identifier():
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name="tracegraph quality")


def _frame(rows: list[tuple]):
    import pandas as pd

    return pd.DataFrame.from_records(rows, columns=COLUMNS)


def _issues_by_run(batch, suite, result, run_ids: list[str]) -> dict[str, list[str]]:
    """Run id → the one-line issues of the expectations `result` failed (or could not run) on `batch`."""
    failed = set()
    out: dict[str, list[str]] = {}
    for res in result.results:
        error = _raised(res.exception_info)
        if error is not None:
            # Not any run's fault, but no run of the batch was checked: say so on each (--strict refuses them).
            problem = f"quality check {res.expectation_config.type} could not run: {error}"
            for run_id in run_ids:
                out.setdefault(run_id, []).append(problem)
        elif not res.success:
            failed.add(res.expectation_config.meta[_ISSUE])
    # Only a failing expectation pays for its unexpected rows: it runs again over the same batch.
    for expectation in suite.expectations:
        if expectation.meta[_ISSUE] not in failed:
            continue
        res = batch.validate(expectation, result_format={"result_format": "COMPLETE",
                                                         "unexpected_index_column_names": ["run_id", "k"]})
        found = res.result.get("unexpected_index_list") or []
        if not found:  # failed without naming rows: no run can be cleared
            found = [{"run_id": run_id} for run_id in run_ids]
        per_run = Counter(row["run_id"] for row in found)
        for row in found:  # the first offending row of each run describes the issue
            run_id = row["run_id"]
            if per_run[run_id] == 0:
                continue
            issue = expectation.meta[_ISSUE].format_map(_Fields(row))
            more = per_run[run_id] - 1
            out.setdefault(run_id, []).append(issue + (f" (+{more} more)" if more and expectation.meta[_PER_ROW]
                                                       else ""))
            per_run[run_id] = 0
    return out


def _raised(info: dict | None) -> str | None:
    """The first line of the error an expectation raised, if it did. great-expectations 1.x keys the error by the
    metric that failed ({metric id: {raised_exception, exception_message, ...}}); older results hold it flat."""
    if not info:
        return None
    for entry in (info, *info.values()):
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return (str(entry.get("exception_message") or "unknown error").splitlines() or ["unknown error"])[0]
    return None


def step_rows(traces: list[RunTrace]) -> list[tuple]:
    """The step table's rows, in COLUMNS order (see the module docstring)."""
    rows: list[tuple] = []
    for t in traces:
        run_id, steps = t.run_id, t.steps
        outcome = str(t.run.outcome)
        step_count, n_steps = t.run.step_count, len(steps)
        obs_count = Counter(o.k for o in t.observations)
        answered_ks = {o.k for o in t.observations if o.size > 0}
        answered = [s.k in answered_ks for s in steps]
        last_answered = max((i for i, a in enumerate(answered) if a), default=-1)
        latest: int | None = None
        for i, s in enumerate(steps):
            back = None
            ts = s.timestamp_ms
            if ts is not None and i <= last_answered:  # an unanswered tail is exempt (module docstring)
                back = 0 if latest is None else max(0, latest - ts)
                latest = ts if latest is None else max(latest, ts)
            rows.append((run_id, s.k, i + 1, ts, back, answered[i], obs_count.get(s.k, 0), s.tool or "", outcome,
                         step_count, n_steps, None))
        unattached = _unattached(t)
        for what in unattached:
            rows.append((run_id, None, None, None, None, None, None, None, outcome, step_count, n_steps, what))
        if not steps and not unattached:
            rows.append((run_id, None, None, None, None, None, None, None, outcome, step_count, n_steps, None))
    return rows


def _unattached(t: RunTrace) -> list[str]:
    """Nodes and edges of the run that name a step number the run does not have."""
    ks = {s.k for s in t.steps}
    out = [f"observation of step {o.k}" for o in t.observations if o.k not in ks]
    out += [f"tool call of step {c.k}" for c in t.tool_calls if c.k not in ks]
    out += [f"state delta of step {d.k}" for d in t.deltas if d.k not in ks]
    out += [f"dependency {d.src_k}→{d.dst_k}" for d in t.dependencies if d.src_k not in ks or d.dst_k not in ks]
    out += [f"repeat {r.src_k}→{r.dst_k}" for r in t.repeats if r.src_k not in ks or r.dst_k not in ks]
    out += [f"stage {st.ordinal} (steps {st.start_k}–{st.end_k})" for st in t.stages
            if st.start_k not in ks or st.end_k not in ks]
    return out


@functools.cache
def _suite():
    """The batch definition and expectation suite, built once per process (importing great-expectations takes
    seconds)."""
    _defer_unused_imports()
    # The import makes over a million objects, nearly all for good: the collector's passes over them while they
    # are made were a sixth of its CPU.
    collecting = gc.isenabled()
    gc.disable()
    try:
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig
    finally:
        if collecting:
            gc.enable()

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # its tqdm bars would write to stderr
    asset = context.data_sources.add_pandas("tracegraph-ingest").add_dataframe_asset("steps")
    batch_definition = asset.add_batch_definition_whole_dataframe("ingest-batch")
    checks = [
        (gxe.ExpectCompoundColumnsToBeUnique(column_list=["run_id", "k"], ignore_row_if="any_value_is_missing"),
         "step ordinal {k} occurs more than once", False),
        (gxe.ExpectColumnPairValuesToBeEqual(column_A="k", column_B="position"),
         "step ordinals are not 1..N: step {position} is numbered {k}", True),
        (gxe.ExpectColumnValuesToBeBetween(column="ts_back_ms", min_value=0, max_value=TIMESTAMP_SLACK_MS),
         "timestamps go backwards: step {k} is {ts_back_s} s earlier than a step before it", True),
        (gxe.ExpectColumnValuesToBeNull(column="unattached"), "{unattached} is not attached to a step", True),
        (gxe.ExpectColumnValuesToBeBetween(column="observations", min_value=0, max_value=1),
         "step {k} has {observations} observations", True),
        (gxe.ExpectColumnValuesToBeInSet(column="outcome", value_set=[o.value for o in Outcome]),
         "outcome {outcome!r} is not one of " + "/".join(o.value for o in Outcome), False),
        (gxe.ExpectColumnValuesToMatchRegex(column="tool", regex=r"\S"), "step {k} has an empty tool name", True),
        (gxe.ExpectColumnPairValuesToBeEqual(column_A="step_count", column_B="n_steps"),
         "step_count is {step_count} but the run has {n_steps} steps", False),
    ]
    for expectation, issue, per_row in checks:
        expectation.meta = {_ISSUE: issue, _PER_ROW: per_row}
    suite = gx.ExpectationSuite(name="tracegraph-step-table", expectations=[e for e, _, _ in checks])
    return batch_definition, suite


@functools.cache
def _docs_checkpoint(docs_dir: Path):
    """A checkpoint that validates a step table with the suite and writes great-expectations' Data Docs site
    into `docs_dir` (one per folder: the context keeps its sites, suite and checkpoints for the process)."""
    import great_expectations as gx

    batch_definition, suite = _suite()
    context = batch_definition.data_asset.datasource.data_context
    site = "tracegraph-docs-" + hashlib.sha1(str(docs_dir).encode()).hexdigest()[:12]
    context.add_data_docs_site(site_name=site, site_config={
        "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}})
    if not any(s.name == suite.name for s in context.suites.all()):
        context.suites.add(suite)
    validation = context.validation_definitions.add(gx.ValidationDefinition(
        data=batch_definition, suite=suite, name=f"{site}-validation"))
    return context.checkpoints.add(gx.Checkpoint(
        name=f"{site}-checkpoint", validation_definitions=[validation],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data-docs", site_names=[site])],
        result_format={"result_format": "SUMMARY"}))


UNUSED_BY_THE_SUITE = ("scipy.stats", "altair")
"""Modules great-expectations imports when it loads but the suite never calls: its expectations/core/__init__.py
imports every core expectation, and expect_column_kl_divergence_to_be_less_than imports these two at module level
for use inside its methods only. They are a third of the import's CPU (2.1 → 1.4 s, tests/ingest/test_quality.py)."""


def _defer_unused_imports() -> None:
    """Stand a _LoadOnUse in for each module of UNUSED_BY_THE_SUITE not imported yet (importlib's LazyLoader
    cannot: the import system reads the module's __spec__ when great-expectations imports it, which loads it)."""
    import importlib.util
    import sys

    for name in UNUSED_BY_THE_SUITE:
        if name not in sys.modules and (spec := importlib.util.find_spec(name)) is not None:
            sys.modules[name] = _LoadOnUse(name, spec)


class _LoadOnUse(types.ModuleType):
    """A module's stand-in that imports the real one at the first use of anything it does not hold itself (its
    name and spec): whoever uses it gets the real module's attributes, only later."""

    def __init__(self, name: str, spec) -> None:
        super().__init__(name)
        self.__spec__ = spec
        self.__loader__ = spec.loader

    def __getattr__(self, attr: str) -> Any:
        import importlib
        import sys

        real = self.__dict__.get("_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self.__dict__["_real"] = importlib.import_module(self.__name__)
        return getattr(real, attr)


class _Fields(dict):
    """Row values for an issue template: whole numbers without `.0`, and `ts_back_s` in seconds."""

    def __init__(self, row: dict) -> None:
        super().__init__((key, _plain(value)) for key, value in row.items())
        if isinstance(self.get("ts_back_ms"), int):
            self["ts_back_s"] = f"{self['ts_back_ms'] / 1000:.1f}"

    def __missing__(self, key: str) -> str:
        return "?"


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        return None if math.isnan(value) else int(value) if value.is_integer() else value
    return value
