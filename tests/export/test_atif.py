"""ATIF export: the schema written from the spec, exports of every framework validating, and the ATIF round trip."""

from __future__ import annotations

import json

import pytest

from tests.support import FIXTURES
from tracegraph.errors import RunNotFoundError, UnknownNameError
from tracegraph.export import atif_problems, check_atif, export_run, to_json
from tracegraph.export.atif import build_atif
from tracegraph.export.validate import SCHEMA_PATH, AtifValidationError
from tracegraph import ingest_paths
from tracegraph.ingest.builder import OBSERVATION_LIMIT

HARBOR = FIXTURES / "harbor-atif"
TRAJECTORIES = sorted(HARBOR.glob("*/agent/trajectory.json"))

SOURCES = {
    "harbor-atif": HARBOR / "dna-assembly__BC7CeVz",
    "claude-code": FIXTURES / "tb-claude-code" / "coder" / "build-initramfs-qemu",
    "swe-agent": FIXTURES / "swe-agent" / "coder",
    "mini-swe-agent": FIXTURES / "mini-swe-agent" / "traj-json" / "github_issue.traj.json",
    "openhands": FIXTURES / "openhands" / "multi-swe-bench",
}

STEPS = """
MATCH (s:Step {run_id: $id})-[:CALLS]->(c:ToolCall) MATCH (s)-[:OBSERVES]->(o:Observation)
RETURN s.k AS k, c.name AS tool, c.arguments_json AS arguments, o.content AS observation,
       o.truncated AS truncated, s.is_error AS is_error
ORDER BY k
"""


def _steps(store, run_id):
    return store.query(STEPS, {"id": run_id})


def test_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


@pytest.mark.parametrize("path", TRAJECTORIES, ids=lambda p: p.parts[-3])
def test_harbor_trajectories_follow_the_schema(path):
    # Harbor writes ATIF itself: a schema that rejected its files would be stricter than the spec.
    assert atif_problems(json.loads(path.read_text())) == []


def _valid_document():
    return json.loads(TRAJECTORIES[0].read_text())


@pytest.mark.parametrize("mangle, problem", [
    (lambda d: d["steps"][1].update(step_id=7), "step_id: 7 where 2 was expected"),
    (lambda d: d["steps"][0].update(timestamp="yesterday"), "is not ISO 8601"),
    (lambda d: d["steps"][0].update(tool_calls=[]), "$.steps[0]"),
    (lambda d: d["steps"][0].pop("message"), "'message' is a required property"),
    (lambda d: d.update(schema_version="ATIF-v9"), "$.schema_version"),
    (lambda d: d["agent"].pop("version"), "'version' is a required property"),
    (lambda d: d.update(unknown_field=1), "Additional properties are not allowed"),
])
def test_broken_documents_are_caught(mangle, problem):
    data = _valid_document()
    mangle(data)
    problems = atif_problems(data)
    assert any(problem in p for p in problems), problems
    with pytest.raises(AtifValidationError, match="not valid ATIF"):
        check_atif(data)


def test_observation_must_answer_a_call_of_its_step():
    data = _valid_document()
    step = next(s for s in data["steps"] if s.get("observation"))
    step["observation"]["results"][0]["source_call_id"] = "nobody"
    assert any("names no tool call of this step" in p for p in atif_problems(data))


@pytest.mark.parametrize("framework", list(SOURCES))
def test_export_of_every_framework_validates_and_reingests_to_the_same_steps(store, tmp_path, framework):
    report = ingest_paths([SOURCES[framework]], store)
    assert report.runs and not report.errors
    for run in report.runs:
        document = export_run(store, run.run_id, "atif")
        assert atif_problems(document) == []
        tool_steps = [s for s in document["steps"] if s.get("tool_calls")]
        assert len(tool_steps) == run.steps
        assert document["agent"]["name"] and document["final_metrics"]["total_steps"] == len(document["steps"])

        exported = tmp_path / f"{run.name}.atif.json"
        exported.write_text(to_json(document))
        again = ingest_paths([exported], store)
        assert not again.errors and len(again.runs) == 1
        assert again.runs[0].framework == "harbor-atif"
        before, after = _steps(store, run.run_id), _steps(store, again.runs[0].run_id)
        assert [s["k"] for s in after] == [s["k"] for s in before]
        assert [s["tool"] for s in after] == [s["tool"] for s in before]
        assert [s["arguments"] for s in after] == [s["arguments"] for s in before]
        assert [s["is_error"] for s in after] == [s["is_error"] for s in before]
        for b, a in zip(before, after):
            if b["truncated"]:
                # Stored contents were cut at the ingest limit and marked; a second ingest cuts at the same place.
                assert a["observation"][:OBSERVATION_LIMIT] == b["observation"][:OBSERVATION_LIMIT]
            else:
                assert a["observation"] == b["observation"], (run.name, b["k"])


def test_atif_in_export_out_keeps_the_original_tool_calls(store):
    trial = HARBOR / "bn-fit-modify__AWvGVmB"
    run = ingest_paths([trial], store).runs[0]
    original = json.loads((trial / "agent" / "trajectory.json").read_text())
    calls = [c for s in original["steps"] if s["source"] == "agent" for c in s.get("tool_calls") or []]
    exported = [c for s in export_run(store, run.run_id)["steps"] for c in s.get("tool_calls") or []]
    assert [c["function_name"] for c in exported] == [c["function_name"] for c in calls]
    assert [c["tool_call_id"] for c in exported] == [c["tool_call_id"] for c in calls]
    assert [c["arguments"] for c in exported] == [c["arguments"] for c in calls]


def test_export_carries_run_facts(store):
    run = ingest_paths([SOURCES["harbor-atif"]], store).runs[0]
    document = build_atif(store, run.run_id)
    assert list(document)[0] == "schema_version" and document["session_id"] == run.run_id
    assert document["agent"] == {"name": "claude-code", "version": "2.1.89", "model_name": "kimi-k2.5"}
    assert document["steps"][0]["source"] == "user" and "primers" in document["steps"][0]["message"]
    assert document["final_metrics"]["total_prompt_tokens"] == 177471
    assert document["extra"]["tracegraph"]["outcome"] == "failed"
    errors = [s["extra"]["tool_result_is_error"] for s in document["steps"] if s.get("tool_calls")]
    assert errors[8] is True  # step 9 is the run's first tool error


def test_prefix_stops_before_the_given_step(store):
    run = ingest_paths([SOURCES["harbor-atif"]], store).runs[0]
    full = build_atif(store, run.run_id)
    prefix = build_atif(store, run.run_id, upto_k=4)
    assert atif_problems(prefix) == []
    ks = [s["extra"]["tracegraph"]["k"] for s in prefix["steps"] if s.get("tool_calls")]
    assert ks == [1, 2, 3, 4]
    assert prefix["steps"] == full["steps"][:len(prefix["steps"])]
    assert prefix["session_id"].endswith("/prefix-4") and "total_prompt_tokens" not in prefix["final_metrics"]


def test_arguments_the_graph_cut_short_are_kept_as_text():
    from tracegraph.export.atif import _arguments

    assert _arguments('{"cmd": "ls"') == {"input": '{"cmd": "ls"'}
    assert _arguments('"plain"') == {"input": "plain"}
    assert _arguments(None) == {}


def test_named_errors(store):
    with pytest.raises(RunNotFoundError):
        export_run(store, "no-such-run")
    with pytest.raises(UnknownNameError, match="unknown export format 'csv'; valid: atif"):
        export_run(store, "no-such-run", "csv")

