"""The data-quality gate: a great-expectations suite over each ingest batch's step table, its failures mapped back
to the runs that caused them; reported in the ingest summary, and refused with --strict."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES, REPO
from tracegraph.cli import cli
from tracegraph import ingest_paths
from tracegraph.ingest.discover import discover
from tracegraph.ingest.quality import COLUMNS, TIMESTAMP_SLACK_MS, _suite, check_batch, step_rows
from tracegraph.schema import Observation
from tracegraph.tree import build_tree

HARBOR = FIXTURES / "harbor-atif"
GOOD_TRIAL = HARBOR / "dna-assembly__BC7CeVz"
VICTIM = HARBOR / "filter-js-from-html__ANAXTHK"
BACKWARDS = "timestamps go backwards: step 4 is 600.0 s earlier than a step before it"


@pytest.fixture(scope="module")
def fixture_runs():
    """Every fixture run, parsed and given its trace tree, as the pipeline hands a batch to the gate."""
    traces = [t for u in discover([FIXTURES]).units for t in u.parser.parse(u.path)]
    for trace in traces:
        build_tree(trace)
    return {t.run.name: t for t in traces}


def copy(fixture_runs, name):
    return fixture_runs[name].model_copy(deep=True)


def test_the_suite_is_run_by_great_expectations():
    import great_expectations as gx

    batch_definition, suite = _suite()
    assert isinstance(suite, gx.ExpectationSuite)
    assert [e.expectation_type for e in suite.expectations] == [
        "expect_compound_columns_to_be_unique", "expect_column_pair_values_to_be_equal",
        "expect_column_values_to_be_between", "expect_column_values_to_be_null", "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
        "expect_column_pair_values_to_be_equal"]
    assert batch_definition.name == "ingest-batch"


def test_every_fixture_run_passes(fixture_runs):
    # keyed by name: as many entries as runs parsed means no two runs share a name
    assert len(fixture_runs) == sum(1 for u in discover([FIXTURES]).units for _ in u.parser.parse(u.path))
    assert check_batch(list(fixture_runs.values())) == {}


def test_step_table_has_a_row_per_step_and_one_for_a_run_without_steps(fixture_runs):
    empty, dna = fixture_runs["fix-permissions.1-of-1.2025-08-07__20-46-16"], fixture_runs["dna-assembly__BC7CeVz"]
    rows = [dict(zip(COLUMNS, row)) for row in step_rows([empty, dna])]
    assert len(rows) == 1 + 10
    assert rows[0] == {"run_id": empty.run_id, "k": None, "position": None, "timestamp_ms": None, "ts_back_ms": None,
                       "answered": None, "observations": None, "tool": None, "outcome": "failed",
                       "step_count": 0, "n_steps": 0, "unattached": None}
    steps = rows[1:]
    assert [r["k"] for r in steps] == [r["position"] for r in steps] == list(range(1, 11))
    assert [r["tool"] for r in steps] == [s.tool for s in dna.steps] and {r["tool"] for r in steps} >= {"Bash"}
    # dna-assembly's last call never got a result: Harbor lists it last with the time it was made (107 s before
    # step 9), and the gate exempts it.
    assert [r["answered"] for r in steps] == [True] * 9 + [False]
    assert steps[-1]["timestamp_ms"] < steps[-2]["timestamp_ms"] - 100_000
    assert steps[-1]["ts_back_ms"] is None and all(r["ts_back_ms"] == 0 for r in steps[:-1])


def test_unanswered_calls_only_escape_the_timestamp_check_at_the_end(fixture_runs):
    run = copy(fixture_runs, "headless-terminal__bemYu3W")
    tail = run.steps[-3:]
    assert [s.k for s in tail] == [33, 34, 35] and all(s.observation_size == 0 for s in tail)
    assert all(s.timestamp_ms < run.steps[31].timestamp_ms for s in tail)
    assert check_batch([run]) == {}
    # Once step 34 has a result, 33 and 34 are no longer calls that never returned: their order is checked.
    next(o for o in run.observations if o.k == 34).size = 12
    assert check_batch([run]) == {
        run.run_id: ["timestamps go backwards: step 33 is 402.5 s earlier than a step before it (+1 more)"]}


@pytest.mark.parametrize("back_ms, flagged", [(TIMESTAMP_SLACK_MS, False), (TIMESTAMP_SLACK_MS + 500, True)])
def test_a_second_of_clock_slack_is_tolerated(fixture_runs, back_ms, flagged):
    run = copy(fixture_runs, "fibonacci-server.1-of-1.2025-11-09__14-07-43")
    run.steps[4].timestamp_ms = run.steps[3].timestamp_ms - back_ms
    issues = check_batch([run])
    assert issues == ({run.run_id: ["timestamps go backwards: step 5 is 1.5 s earlier than a step before it"]}
                      if flagged else {})


def test_each_violation_is_reported_against_its_run(fixture_runs):
    names = ["bn-fit-modify__AWvGVmB", "git-leak-recovery__CVQc9DD", "ponylang__ponyc-4595", "basic_gui_mode",
             "django__django-11001", "hand-crafted-4", "local", "github_issue", "regex-log__XYfBZFy"]
    batch = [copy(fixture_runs, n) for n in names]
    repeated, gap, orphan, outcome, tool, count, doubled, clean, _ = batch
    repeated.steps[3].k = 3
    del gap.steps[4:6]
    gap.run.step_count = len(gap.steps)
    gap.observations = [o for o in gap.observations if o.k not in (5, 6)]
    gap.tool_calls = [c for c in gap.tool_calls if c.k not in (5, 6)]
    gap.deltas = [d for d in gap.deltas if d.k not in (5, 6)]
    gap.dependencies = [d for d in gap.dependencies if {d.src_k, d.dst_k}.isdisjoint({5, 6})]
    gap.repeats = [r for r in gap.repeats if {r.src_k, r.dst_k}.isdisjoint({5, 6})]
    gap.stages = []
    orphan.observations.append(Observation(id=f"{orphan.run_id}/extra", run_id=orphan.run_id, k=99))
    outcome.run.outcome = "lost"
    tool.steps[0].tool = "  "
    count.run.step_count += 1
    doubled.observations.append(doubled.observations[0].model_copy(update={"id": "again"}))
    issues = check_batch(batch)
    assert issues == {
        repeated.run_id: ["step ordinal 3 occurs more than once", "step ordinals are not 1..N: step 4 is numbered 3",
                          "observation of step 4 is not attached to a step (+4 more)"],
        gap.run_id: ["step ordinals are not 1..N: step 5 is numbered 7 (+12 more)"],
        orphan.run_id: ["observation of step 99 is not attached to a step"],
        outcome.run_id: ["outcome 'lost' is not one of solved/failed/infra_error/incomplete/unknown"],
        tool.run_id: ["step 1 has an empty tool name"],
        count.run_id: ["step_count is 17 but the run has 16 steps"],
        doubled.run_id: ["step 1 has 2 observations"],
    }
    assert clean.run_id not in issues


def _trial_with_a_step_ten_minutes_early(tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(GOOD_TRIAL, root / GOOD_TRIAL.name)
    shutil.copytree(VICTIM, root / VICTIM.name)
    path = root / VICTIM.name / "agent" / "trajectory.json"
    data = json.loads(path.read_text())
    step = next(s for s in data["steps"] if s.get("step_id") == 10)  # holds the run's 4th call
    assert step["timestamp"] == "2026-04-01T17:25:08.543Z"
    step["timestamp"] = "2026-04-01T17:15:01.651Z"  # 10 minutes before the 3rd call
    path.write_text(json.dumps(data))
    return root


def _names(store):
    return sorted(r["name"] for r in store.query("MATCH (r:Run) RETURN r.name AS name"))


def test_ingest_reports_issues_per_run_and_strict_refuses_them(tmp_path, store):
    root = _trial_with_a_step_ten_minutes_early(tmp_path)
    strict = ingest_paths([root], store, strict=True)
    assert [(r.name, r.quality_issues) for r in strict.refused] == [(VICTIM.name, [BACKWARDS])]
    assert [(r.name, r.quality_issues) for r in strict.runs] == [(GOOD_TRIAL.name, [])]
    assert _names(store) == [GOOD_TRIAL.name]

    lenient = ingest_paths([root], store)
    assert not lenient.refused and not lenient.errors
    assert sorted((r.name, tuple(r.quality_issues)) for r in lenient.runs) == [
        (GOOD_TRIAL.name, ()), (VICTIM.name, (BACKWARDS,))]
    assert _names(store) == [GOOD_TRIAL.name, VICTIM.name]


def test_cli_prints_issues_and_strict_refusals(tmp_path):
    root = _trial_with_a_step_ten_minutes_early(tmp_path)
    runner = CliRunner()
    strict = runner.invoke(cli, ["--store", str(tmp_path / "strict"), "ingest", "--strict", str(root)],
                           catch_exceptions=False)
    assert strict.exit_code == 1, strict.output  # --strict fails when it refused a run
    printed = " ".join(strict.output.split())  # rich wraps long lines
    assert f"refused (--strict) {VICTIM.name}: {BACKWARDS}" in printed
    assert "loaded 1 runs, 10 steps" in printed

    lenient = runner.invoke(cli, ["--store", str(tmp_path / "lenient"), "--json", "ingest", str(root)],
                            catch_exceptions=False)
    assert lenient.exit_code == 0, lenient.output
    runs = {r["name"]: r["quality_issues"] for r in json.loads(lenient.output)["runs"]}
    assert runs == {GOOD_TRIAL.name: [], VICTIM.name: [BACKWARDS]}


def test_an_expectation_that_cannot_run_is_an_issue_of_every_run_in_the_batch(fixture_runs, monkeypatch):
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from tracegraph.ingest import quality

    batch_definition, _ = _suite()
    broken = gxe.ExpectColumnValuesToBeNull(column="no_such_column", meta={"issue": "never shown", "per_row": False})
    monkeypatch.setattr(quality, "_suite", lambda: (batch_definition, gx.ExpectationSuite(name="broken",
                                                                                          expectations=[broken])))
    runs = [copy(fixture_runs, "local"), copy(fixture_runs, "basic")]
    issues = check_batch(runs)
    assert list(issues) == [r.run_id for r in runs]
    for found in issues.values():
        assert len(found) == 1 and found[0].startswith(
            "quality check expect_column_values_to_be_null could not run: ") and "\n" not in found[0]


def test_the_suite_runs_without_loading_what_it_never_uses_and_those_modules_still_work_after():
    """scipy.stats and altair stand in until used (UNUSED_BY_THE_SUITE): a check leaves them unloaded, the suite's
    verdicts are the usual ones, and code that uses them afterwards gets the real modules."""
    import subprocess
    import sys

    script = """
import sys
from tracegraph.ingest.quality import check_rows
rows = [("r1", 1, 1, 1000, 0, True, 1, "bash", "solved", 2, 2, None),
        ("r1", 1, 2, 2000, 0, True, 1, "", "solved", 2, 2, None)]
print(check_rows(rows, ["r1"]))
print(sorted(m for m in ("scipy.stats._stats_py", "altair.vegalite") if m in sys.modules))
import scipy.stats
from scipy.stats import entropy
print(round(scipy.stats.entropy([0.5, 0.5]), 6), entropy is sys.modules["scipy.stats"].entropy)
import altair
print(altair.Chart.__name__, "scipy.stats._stats_py" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "{'r1': ['step ordinal 1 occurs more than once', 'step ordinals are not 1..N: step 2 is numbered 1', "
        "'step 1 has an empty tool name']}",
        "[]",
        "0.693147 True",
        "Chart True",
    ]


def test_building_the_suite_leaves_the_collector_as_it_found_it():
    """The great-expectations import runs with the collector off; it is on again afterwards (and stays off for a
    caller who had turned it off)."""
    import subprocess
    import sys

    script = """
import gc
import sys
from tracegraph.ingest import quality
if sys.argv[1] == "off":
    gc.disable()
quality._suite()
print(gc.isenabled(), "great_expectations" in sys.modules)
"""
    for state, expected in (("on", "True True"), ("off", "False True")):
        done = subprocess.run([sys.executable, "-c", script, state], capture_output=True, text=True, timeout=120,
                              cwd=REPO)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\n")[0] == expected
