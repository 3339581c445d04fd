"""The bad-input corpus (tests/malformed_corpus.py: ~90 faults, each in a copy of a real trial) ingested beside a good
run, on each engine: the good run loads, every variant is either loaded or named in a one-line error, nothing is
half-written."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from tests.conftest import ENGINES
from tests.malformed_corpus import BASE, generate
from tests.reliability.conftest import assert_no_partial_runs
from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.store import open_store

GOOD = FIXTURES / "harbor-atif" / "bn-fit-modify__AWvGVmB"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    variants = generate(root / "bad")
    shutil.copytree(GOOD, root / "good" / GOOD.name)
    return root, variants


@pytest.fixture(scope="module", params=ENGINES)
def ingested(request, corpus):
    """The corpus ingested through the CLI into an empty store of each engine (the session's Neo4j server wiped)."""
    root, variants = corpus
    if request.param == "falkordb":
        store = str(root / "store")
    else:
        store = request.getfixturevalue("neo4j_uri")
        with open_store(store) as s:
            s.reset()
    done = CliRunner().invoke(cli, ["--store", store, "--json", "ingest", str(root / "bad"), str(root / "good"),
                                    "--workers", "0"])
    return variants, done, store


def test_the_good_run_loads_and_the_ingest_succeeds(ingested):
    variants, done, store = ingested
    assert len(variants) >= 85
    assert done.exit_code == 0, done.output[-2000:]
    data = json.loads(done.output)
    assert GOOD.name in [r["name"] for r in data["runs"]]
    with open_store(store) as s:
        assert assert_no_partial_runs(s) == len(data["runs"])


def test_every_variant_is_loaded_or_named_in_one_line(ingested):
    variants, done, _ = ingested
    data = json.loads(done.output)
    for error in data["errors"]:
        assert "\n" not in error["problem"] and "Traceback" not in error["problem"], error
        assert len(error["problem"]) < 600
    loaded = [r["source"] for r in data["runs"]]
    named = [e["path"] for e in data["errors"]]
    for variant in variants:
        prefix = str(variant)
        assert any(p == prefix or p.startswith(prefix + "/") or p.startswith(prefix + "!/") for p in loaded + named), \
            f"{variant.name} was neither loaded nor named"


@pytest.mark.parametrize("variant, field", [
    ("reward-nan", "reward"), ("reward-huge", "reward"), ("traj-tool-name-list", "tool name"),
    ("traj-steps-object", "'steps'"), ("traj-observation-list", "observation"), ("result-task-name-list", "task_id"),
])
def test_errors_name_the_field(ingested, variant, field):
    _, done, _ = ingested
    problems = [e["problem"] for e in json.loads(done.output)["errors"] if f"{BASE.name}-{variant}" in e["path"]]
    assert len(problems) == 1 and field in problems[0], problems


def test_folder_or_fifo_where_a_file_belongs_is_an_error_not_an_empty_run(ingested):
    _, done, _ = ingested
    errors = {e["path"]: e["problem"] for e in json.loads(done.output)["errors"]}
    folder = next(p for p in errors if p.endswith("traj-is-folder/agent/trajectory.json"))
    fifo = next(p for p in errors if p.endswith("traj-is-fifo/agent/trajectory.json"))
    assert errors[folder] == "is a folder where the run's file should be"
    assert errors[fifo].startswith("is not a regular file")


def test_archive_depth_error_names_the_archive_path_not_a_temp_folder(ingested):
    _, done, _ = ingested
    deep = [e for e in json.loads(done.output)["errors"] if "nested.tar.gz" in e["path"]]
    assert [e["path"].split("/bad/")[1] for e in deep] == [
        "nested.tar.gz!/level3.tar.gz!/level2.tar.gz!/level1.tar.gz"]
    assert "tracegraph-archive-" not in deep[0]["path"]


def test_lone_surrogate_and_whitespace_names_load(ingested):
    _, done, store = ingested
    loaded = {r["name"] for r in json.loads(done.output)["runs"]}
    for variant in ("traj-tool-name-surrogate", "traj-tool-name-padded", "ctrf-test-name-padded",
                    "result-task-name-padded", "traj-tool-name-nul", "traj-tool-name-cypher"):
        assert f"{BASE.name}-{variant}" in loaded
    with open_store(store) as s:
        names = {r["name"] for r in s.query("MATCH (t:TestCase) RETURN t.name AS name")}
    assert "  padded name \t" in names


@pytest.mark.parametrize("content", ["", '{"schema_version": "ATIF-v1.2", "steps": [{"so'])
def test_a_named_file_that_cannot_be_read_fails_the_command(tmp_path, content):
    named = tmp_path / "run.json"
    named.write_text(content)
    done = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "--json", "ingest", str(named),
                                    str(GOOD), "--workers", "0"])
    assert done.exit_code == 1
    data = json.loads(done.output)
    assert [e["path"] for e in data["errors"]] == [str(named)]
    assert [r["name"] for r in data["runs"]] == [GOOD.name]
