"""Property-based fuzzing of the write path on the real engines: random, schema-valid runs full of adversarial text.

Invariants: the server never dies; `runs --json`, `show --json` and the named queries read back what was written;
ingesting the same runs again changes nothing. A fixed-seed slice runs in `make test`; `make test-long` runs more.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracegraph.ingest.builder import TraceBuilder
from tracegraph.load.pipeline import ingest_traces
from tracegraph.queries import run_query
from tracegraph.schema.keys import indexed_text
from tracegraph.store.info import db_status, list_runs
from tracegraph.tree.view import load_tree

NASTY = ["a ", " a", "\t", "a\n", "\x00", "a\x00b", "\x01", "\ud800", "a\udfffb", "x" * 5000, "🙂" * 2100,
         "é\u2028ß", "🙂", "'}) DETACH DELETE n //", '{"json": [1, 2]}', "$param", "\\", "`label`", "", " ",
         "\u00a0", "\ufeff"]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=20),
                 st.tuples(st.sampled_from(NASTY), st.text(max_size=5), st.sampled_from(NASTY)).map("".join))
step = st.one_of(
    st.tuples(st.just("Bash"), st.fixed_dictionaries({"command": text})),
    st.tuples(st.just("Write"), st.fixed_dictionaries({"file_path": text.map(lambda t: "/w/" + t), "content": text})),
    st.tuples(text.filter(bool), st.fixed_dictionaries({"input": text})),
)
run_spec = st.fixed_dictionaries({
    "name": text, "task": text, "steps": st.lists(st.tuples(step, text), max_size=5),
    "tests": st.lists(st.tuples(text, st.sampled_from(["passed", "failed"])), max_size=3),
})
runs = st.lists(run_spec, min_size=1, max_size=3)


def _build(specs: list[dict]) -> list:
    traces = []
    for i, spec in enumerate(specs):  # same names across runs are allowed; the content hash keeps ids apart
        # run ids take the hash's first 10 characters: the run's number goes first so runs of one name stay apart
        b = TraceBuilder(framework="fuzz", source=f"/fuzz/{i}", name=spec["name"], content_hash=f"{i:010d}" + "0" * 30)
        for (tool, args), observation in spec["steps"]:
            b.add_step(tool, args, observation=observation)
        for name, status in spec["tests"]:
            b.add_test(name, status)
        b.set(task_id=spec["task"] or None)
        traces.append(b.build())
    return traces


def _stored(value):
    # What the engines hold for a string: FalkorDB cuts its parameter header at NUL, so the plan sends U+FFFD.
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _stored_indexed(value):
    # An indexed text property (a test's name) over Neo4j's index key limit is stored cut, with a hash.
    return indexed_text(_stored(value))


def _check_round_trip(store, specs: list[dict]) -> None:
    store.reset()
    store.init_schema()
    traces = _build(specs)
    report = ingest_traces(traces, store, quality=False)
    assert report.errors == []
    assert store.query("RETURN 1 AS ok") == [{"ok": 1}]  # the server is alive

    listed = {r["run_id"]: (r["name"], r["steps"]) for r in list_runs(store)}
    assert listed == {t.run_id: (_stored(t.run.name), len(t.steps)) for t in traces}
    for t in traces:
        tree = load_tree(store, t.run_id)
        steps = sorted((s for st_ in tree["stages"] for s in st_["steps"]), key=lambda s: s["k"]) + tree["unstaged"]
        assert [(s["k"], s["tool"], s["action"]) for s in sorted(steps, key=lambda s: s["k"])] == [
            (s.k, _stored(s.tool), _stored(s.action)) for s in t.steps]
    # every run, whatever its triage (a fuzzed run without steps is triaged agent_never_ran)
    failing = {(row["test"], run) for row in run_query(store, "runs_failing_same_test",
                                                        {"min_runs": 1, "include_unblamed": True})
               for run in row["runs"]}
    assert failing == {(_stored_indexed(c.name), _stored(t.run.name))
                       for t in traces for c in t.tests if c.status == "failed"}
    calls = {row["tool"]: row["calls"] for row in run_query(store, "tool_error_rates",
                                                             {"min_calls": 1, "include_unblamed": True})}
    expected: dict[str, int] = {}
    for t in traces:
        for s in t.steps:
            expected[_stored(s.tool)] = expected.get(_stored(s.tool), 0) + 1
    assert calls == expected

    before = db_status(store)
    again = ingest_traces(_build(specs), store, quality=False)
    assert again.errors == [] and db_status(store) == before
    assert {r["run_id"]: (r["name"], r["steps"]) for r in list_runs(store)} == listed


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


@settings(max_examples=12, derandomize=True, **SETTINGS)
@given(specs=runs)
def test_fixed_seed_slice(store, specs):
    _check_round_trip(store, specs)


@pytest.mark.long
@settings(max_examples=300, **SETTINGS)
@given(specs=runs)
def test_long_fuzz(store, specs):
    _check_round_trip(store, specs)
