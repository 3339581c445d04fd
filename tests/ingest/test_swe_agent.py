"""SweAgentParser on the real SWE-agent and CodeR trajectories in ../shared/fixtures/swe-agent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracegraph.errors import IngestError
from tracegraph.ingest import swe_agent
from tracegraph.ingest.swe_agent import SweAgentParser, parse_swe_agent_traj
from tracegraph.schema import DeltaOp, Outcome

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"
SWE = FIXTURES / "swe-agent"
CODER = SWE / "coder" / "trajs"
UPSTREAM_OLD = SWE / "upstream" / "gpt4__swe-agent__test-repo__default_from_url__t-0.00__p-0.95__c-3.00__install-1" \
    / "swe-agent__test-repo-i1.traj"
UPSTREAM_NEW = SWE / "upstream" / "gpt4__swe-agent-test-repo__default_from_url__t-0.00__p-0.95__c-3.00__install-1" \
    / "6e44b9__sweagenttestrepo-1c2844.traj"
UPSTREAM_DEV = SWE / "upstream" / "gpt4__swe-bench-dev-easy_first_only__default__t-0.00__p-0.95__c-3.00__install-1" \
    / "pydicom__pydicom-1458.traj"

STEP_COUNTS = {
    UPSTREAM_OLD: 5, UPSTREAM_NEW: 5, UPSTREAM_DEV: 12,
    CODER / "astropy__astropy-6938.traj": 7, CODER / "django__django-11001.traj": 33,
    CODER / "psf__requests-2317.traj": 96, CODER / "pytest-dev__pytest-5227.traj": 5,
    CODER / "sympy__sympy-20590.traj": 56,
}
GOLD = [r for r in map(json.loads, (SHARED / "gold" / "dev.jsonl").read_text().splitlines())
        if r["format"] == "swe-agent"]

_cache: dict[Path, object] = {}


def parsed(path: Path):
    """Each fixture is parsed once per session: the big CodeR runs are reused by several tests."""
    if path not in _cache:
        _cache[path] = parse_swe_agent_traj(path)
    return _cache[path]


def test_every_fixture_traj_is_listed():
    assert set(SWE.glob("*/*/*.traj")) == set(STEP_COUNTS)


@pytest.mark.parametrize("path", list(STEP_COUNTS), ids=lambda p: p.stem)
def test_step_count_is_trajectory_length(path):
    trace = parsed(path)
    assert trace.run.step_count == STEP_COUNTS[path] == len(json.loads(path.read_text())["trajectory"])
    assert [s.k for s in trace.steps] == list(range(1, STEP_COUNTS[path] + 1))


def test_gold_has_the_three_swe_agent_runs():
    assert sorted(r["run_id"] for r in GOLD) == ["swe__astropy__astropy-6938", "swe__psf__requests-2317",
                                                  "swe__sympy__sympy-20590"]


@pytest.mark.parametrize("record", GOLD, ids=lambda r: r["run_id"])
def test_gold_step_count_and_anchors(record):
    trace = parsed(FIXTURES / record["source"])
    assert trace.run.step_count == record["step_count"]
    assert len(record["anchors"]) == record["step_count"]
    for k, anchor in record["anchors"].items():
        assert trace.step(int(k)).action[:80] == anchor, f"step {k}"


def test_coder_roles_are_kept():
    astropy = parsed(CODER / "astropy__astropy-6938.traj")
    assert [s.role for s in astropy.steps] == ["Manager"] + ["Programmer"] * 5 + ["Manager"]
    assert astropy.run.agent == "CodeR"
    requests = parsed(CODER / "psf__requests-2317.traj")
    assert {s.role for s in requests.steps} == {"Manager", "Programmer", "Tester", "Reproducer", "Debugger"}
    assert (requests.step(7).tool, requests.step(7).role) == ("plan", "Manager")
    assert (requests.step(8).tool, requests.step(8).role) == ("find_file", "Tester")


def test_single_agent_runs_have_no_role():
    assert {s.role for s in parsed(UPSTREAM_OLD).steps} == {None}


def deltas(trace, k):
    return [(d.op, d.path, d.effect) for d in trace.deltas_of(k)]


def test_edit_modifies_the_open_file():
    old = parsed(UPSTREAM_OLD)
    assert old.step(3).tool == "edit"
    assert deltas(old, 3) == [(DeltaOp.modify, "/klieret__swe-agent-test-repo/tests/missing_colon.py", None)]
    # newest schema: search/replace edit, state recorded after the action
    new = parsed(UPSTREAM_NEW)
    assert deltas(new, 3) == [(DeltaOp.modify, "/SWE-agent__test-repo/tests/missing_colon.py", None)]
    astropy = parsed(CODER / "astropy__astropy-6938.traj")
    assert deltas(astropy, 5) == [(DeltaOp.modify, "/astropy__astropy/astropy/io/fits/fitsrec.py", None)]


def test_commands_map_to_tools_and_deltas():
    dev = parsed(UPSTREAM_DEV)
    assert [s.tool for s in dev.steps] == ["create", "edit", "python", "find_file", "open", "edit", "edit", "edit",
                                           "edit", "python", "rm", "submit"]
    assert deltas(dev, 1) == [(DeltaOp.create, "/pydicom__pydicom/reproduce_bug.py", None)]
    assert deltas(dev, 3) == [(DeltaOp.execute, "/pydicom__pydicom/reproduce_bug.py", None)]
    assert deltas(dev, 4) == [(DeltaOp.read, None, "search")]
    assert deltas(dev, 5) == [(DeltaOp.read, "/pydicom__pydicom/pydicom/pixel_data_handlers/numpy_handler.py", None)]
    assert deltas(dev, 11) == [(DeltaOp.delete, "/pydicom__pydicom/reproduce_bug.py", None)]
    assert deltas(dev, 12) == []
    assert dev.step(11).command == "rm reproduce_bug.py" and dev.step(5).command is None


def test_errors_are_judged_from_observations():
    dev = parsed(UPSTREAM_DEV)
    # 3: the reproduction script's traceback; 6-8: "Your proposed edit has introduced new syntax error(s)"
    assert [s.k for s in dev.steps if s.is_error] == [3, 6, 7, 8]
    # a rejected edit changed nothing: no modify delta, only what it tried
    assert deltas(dev, 6) == [] and dev.step(6).intent.startswith("modify /pydicom__pydicom/pydicom/")
    assert deltas(dev, 9) == [(DeltaOp.modify, "/pydicom__pydicom/pydicom/pixel_data_handlers/numpy_handler.py", None)]
    requests = parsed(CODER / "psf__requests-2317.traj")
    assert requests.step(13).is_error  # "Usage: edit <start_line>:<end_line>"
    assert not requests.step(3).is_error  # grep output quoting source is not a failure


def test_thought_and_task_text():
    dev = parsed(UPSTREAM_DEV)
    assert dev.step(1).thought.startswith("First, I'll create a new Python script to reproduce the bug")
    # the issue text only, cut out of the instance prompt
    assert dev.run.task_text.startswith("Pixel Representation attribute should be optional for pixel data handler")
    assert dev.run.task_text.endswith("np.array_equal(ds.pixel_array, pixel_array)\r\n```")
    assert dev.run.final_message.startswith("The `reproduce_bug.py` script has been successfully removed.")


def test_newest_schema_keeps_call_ids_model_and_instance():
    new = parsed(UPSTREAM_NEW)
    assert new.step(1).call_id == "call_fJuazlMUN5fQDQ73G6XSpYpx"
    assert new.step(5).call_id is None  # the submit turn is missing from history[]
    assert (new.run.model, new.run.task_id) == ("gpt-4o", "SWE-agent__test-repo-i1")
    assert new.step(4).tool == "python3" and new.step(4).command.startswith("python3 /SWE-agent__test-repo")


def test_upstream_outcome_is_unknown_with_exit_status():
    run = parsed(UPSTREAM_OLD).run
    assert run.outcome == Outcome.unknown and "'submitted'" in run.outcome_reason
    assert (run.model, run.task_id) == ("gpt4", "swe-agent__test-repo-i1")


@pytest.mark.parametrize("instance, outcome", [
    ("django__django-11001", Outcome.solved), ("pytest-dev__pytest-5227", Outcome.solved),
    ("astropy__astropy-6938", Outcome.failed), ("psf__requests-2317", Outcome.failed),
    ("sympy__sympy-20590", Outcome.failed),
])
def test_coder_outcome_from_results_json(instance, outcome):
    run = parsed(CODER / f"{instance}.traj").run
    assert run.outcome == outcome
    assert run.reward == (1.0 if outcome == Outcome.solved else 0.0)
    assert (run.task_id, run.model) == (instance, "gpt4")


def test_results_json_has_trailing_commas_upstream():
    with pytest.raises(json.JSONDecodeError):
        json.loads((SWE / "coder" / "results.json").read_text())


def test_eval_log_becomes_test_cases():
    sympy = parsed(CODER / "sympy__sympy-20590.traj")
    assert len(sympy.tests) == 23
    [failed] = [t for t in sympy.tests if t.status != "passed"]
    assert (failed.name, failed.status) == ("sympy/core/tests/test_basic.py::test_immutable", "failed")
    assert "assert not hasattr(b1, '__dict__')" in failed.message
    assert sympy.test_files[failed.name] == ["/sympy__sympy/sympy/core/tests/test_basic.py"]
    assert sympy.run.verifier_output.endswith(">>>>> Some Tests Failed")

    requests = parsed(CODER / "psf__requests-2317.traj")
    failing = sorted(t.name for t in requests.tests if t.status == "failed")
    assert failing == ["test_requests.py::RequestsTestCase::test_conflicting_post_params",
                       "test_requests.py::RequestsTestCase::test_mixed_case_scheme_acceptable",
                       "test_requests.py::RequestsTestCase::test_pyopenssl_redirect",
                       "test_requests.py::RequestsTestCase::test_requests_history_is_saved",
                       "test_requests.py::TestTimeout::test_stream_timeout"]
    assert len(requests.tests) == 143

    django = parsed(CODER / "django__django-11001.traj")
    assert len(django.tests) == 121 and sum(t.status == "passed" for t in django.tests) == 120
    name = "test_order_by_exists (expressions.tests.BasicExpressionsTests)"
    assert django.test_files[name] == ["/django__django/tests/expressions/tests.py"]


@pytest.mark.parametrize("marker, outcome", [
    (">>>>> Init Failed", Outcome.infra_error),
    (">>>>> Patch Apply Failed (test)", Outcome.infra_error),
    (">>>>> Patch Apply Failed (pred)", Outcome.failed),
    (">>>>> Tests Timed Out", Outcome.failed),
])
def test_eval_log_harness_markers(tmp_path, marker, outcome):
    trajs = tmp_path / "trajs"
    trajs.mkdir()
    traj = trajs / "pytest-dev__pytest-5227.traj"
    shutil.copy(CODER / traj.name, traj)
    (tmp_path / "results.json").write_text('{"resolved": ["other",],}')
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "pytest-dev__pytest-5227.x.eval.log").write_text(f"Task Metadata:\n{marker}\n")
    assert parse_swe_agent_traj(traj).run.outcome == outcome


def test_history_only_schema(tmp_path):
    data = json.loads(UPSTREAM_OLD.read_text())
    del data["trajectory"]
    old = tmp_path / "old.traj"
    old.write_text(json.dumps(data))
    assert SweAgentParser().detect(old)
    trace = parse_swe_agent_traj(old)
    assert [s.action for s in trace.steps] == [s.action for s in parsed(UPSTREAM_OLD).steps]
    assert trace.step(4).observation.strip() == "8.2"  # prompt markers stripped
    assert deltas(trace, 3) == [(DeltaOp.modify, "/klieret__swe-agent-test-repo/tests/missing_colon.py", None)]


@pytest.mark.parametrize("path", list(STEP_COUNTS), ids=lambda p: p.stem)
def test_detect_claims_every_traj(path):
    assert SweAgentParser().detect(path)


@pytest.mark.parametrize("path", [
    FIXTURES / "harbor-atif" / "bn-fit-modify__AWvGVmB" / "agent" / "trajectory.json",
    FIXTURES / "who-and-when" / "hand-crafted" / "1.json",
    FIXTURES / "mini-swe-agent" / "traj-json" / "local.traj.json",
    FIXTURES / "openhands" / "runtime-trajs" / "basic.json",
    SWE / "coder" / "results.json",
    SWE / "coder" / "trajs",
], ids=lambda p: p.name)
def test_detect_rejects_other_files(path):
    assert not SweAgentParser().detect(path)


def test_detect_rejects_random_json(tmp_path):
    other = tmp_path / "data.json"
    other.write_text(json.dumps({"history": [{"role": "user", "content": "hi"}], "info": {}}))
    assert not SweAgentParser().detect(other)


def test_truncated_traj_names_the_file(tmp_path):
    cut = tmp_path / "cut.traj"
    cut.write_bytes(UPSTREAM_OLD.read_bytes()[:5000])
    assert SweAgentParser().detect(cut)
    with pytest.raises(IngestError) as err:
        list(SweAgentParser().parse(cut))
    assert str(cut) in str(err.value) and "\n" not in str(err.value)


def test_trajectory_entry_without_action_is_an_error(tmp_path):
    bad = tmp_path / "bad.traj"
    bad.write_text(json.dumps({"trajectory": [{"observation": "x"}], "info": {}}))
    with pytest.raises(IngestError, match=r"trajectory\[0\] has no 'action'"):
        parse_swe_agent_traj(bad)


@pytest.mark.parametrize("pattern, words", [(swe_agent._INTERFACE_ERROR, swe_agent._INTERFACE_ERROR_WORDS),
                                            (swe_agent._READER_FAILURE, swe_agent._READER_FAILURE_WORDS)])
def test_the_words_checked_before_an_error_search_are_in_every_match(pattern, words):
    texts = ["Error: x", "Errors", "Usage: edit <start>", "No file open. Use the open command first.",
             "File foo.py not found", "Directory /x y not found", "/testbed/a is a directory", "x is a directory.",
             "Your proposed edit has introduced new syntax error(s).", "bash: pytset: command not found",
             "cat: a: No such file or directory", "ls: /root: Permission denied", "grep: invalid option -- 'y'",
             "  Error", "all good", "", "not found", "ERROR: no", "a\nError\n"]
    for text in texts:
        assert swe_agent._holds(text, words, pattern) == bool(pattern.search(text)), text
    matches = [m for text in texts for m in pattern.finditer(text)]
    assert len(matches) >= 4
    for match in matches:  # what makes the check sound: every match holds one of the words
        assert any(word in match.group(0) for word in words), match.group(0)


def test_prompt_markers_are_looked_for_only_where_their_words_are():
    observation = "ok\n(Open file: /a.py)\n(Current directory: /testbed)\nbash-$ "
    assert swe_agent._PROMPT_MARKERS_WORD in observation and swe_agent._PROMPT_MARKERS.search(observation)
    assert swe_agent._PROMPT_MARKERS.sub("", observation) == "ok"
