"""Damaged and hostile inputs, made from copies of real fixture files in tmp_path: each ends in one clear error line
for its run (or is skipped safely) while the other runs of the same ingest load."""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
import zstandard

from tests.support import FIXTURES
from tracegraph import Limits, ingest_paths
from tracegraph.ingest.discover import discover

HARBOR = FIXTURES / "harbor-atif"
GOOD_TRIAL = HARBOR / "dna-assembly__BC7CeVz"  # 10 steps
VICTIM = HARBOR / "filter-js-from-html__ANAXTHK"  # 8 steps; its copy gets damaged
ARCHIVED = HARBOR / "install-windows-3.11__sVtnj8d"  # dots and capitals in its name, 35 steps
MINI = FIXTURES / "mini-swe-agent" / "traj-json" / "local.traj.json"  # 2 steps
SWE_TRAJ = (FIXTURES / "swe-agent" / "upstream" / "gpt4__swe-bench-dev-easy_first_only__default__t-0.00__p-0.95__c-3.00"
            "__install-1" / "pydicom__pydicom-1458.traj")
GOOD = {"dna-assembly__BC7CeVz", "local"}


@pytest.fixture
def runs(tmp_path) -> Path:
    """A folder holding two good runs (a Harbor trial and a mini-SWE-agent file) and a copy of the victim trial."""
    root = tmp_path / "runs"
    shutil.copytree(GOOD_TRIAL, root / GOOD_TRIAL.name)
    shutil.copytree(VICTIM, root / VICTIM.name)
    shutil.copy(MINI, root / MINI.name)
    return root


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Archives unpack below tmp_path/tmp, so a test sees everything extraction wrote (and what it left)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def loaded(store) -> set[str]:
    return {r["name"] for r in store.query("MATCH (r:Run) RETURN r.name AS name")}


def one_error(report) -> tuple[str, str]:
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    assert "\n" not in error.problem
    return error.path, error.problem


def trajectory(root: Path) -> Path:
    return root / VICTIM.name / "agent" / "trajectory.json"


def edit_atif(root: Path, change) -> None:
    data = json.loads(trajectory(root).read_text())
    change(data)
    trajectory(root).write_text(json.dumps(data))


def first_call_step(data: dict) -> dict:
    return next(s for s in data["steps"] if s.get("tool_calls"))


def _truncate(root):
    raw = trajectory(root).read_bytes()
    trajectory(root).write_bytes(raw[: len(raw) // 2])


def _steps_as_dict(root):
    edit_atif(root, lambda d: d.update(steps={"0": d["steps"][0]}))


def _tool_calls_as_string(root):
    edit_atif(root, lambda d: first_call_step(d).update(tool_calls="Bash"))


def _step_as_string(root):
    edit_atif(root, lambda d: d["steps"].__setitem__(2, "oops"))


def _empty(root):
    trajectory(root).write_text("")


def _binary_junk(root):
    trajectory(root).write_bytes(random.Random(7).randbytes(8192))


def _result_junk(root):
    (root / VICTIM.name / "result.json").write_bytes(random.Random(8).randbytes(300))


def _sparse_200_mb(path: Path, head: bytes = b"") -> None:
    """A 200 MB file written in an instant: `head`, then a hole, then one byte."""
    with open(path, "wb") as fh:
        fh.write(head)
        fh.seek(200 * 2**20)
        fh.write(b"}")


def _huge_trajectory(root):
    _sparse_200_mb(trajectory(root))


DAMAGED_TRAJECTORY = {
    "truncated": (_truncate, "agent/trajectory.json", r"not valid JSON \(Unterminated string"),
    "steps-as-dict": (_steps_as_dict, "agent/trajectory.json", r"'steps' is not a list"),
    "tool-calls-as-string": (_tool_calls_as_string, "agent/trajectory.json", r"tool call without function_name"),
    "step-as-string": (_step_as_string, "agent/trajectory.json", r"step 2 is str, not an object"),
    "empty": (_empty, "agent/trajectory.json", r"not an ATIF trajectory"),
    "binary-junk": (_binary_junk, "agent/trajectory.json", r"not valid JSON"),
    "binary-result": (_result_junk, "result.json", r"not valid JSON"),
    "200-MB": (_huge_trajectory, "agent/trajectory.json",
               r"^file is 200 MB, over the 100 MB limit \(raise it with --max-file-mb\)$"),
}


@pytest.mark.parametrize("case", list(DAMAGED_TRAJECTORY))
def test_a_damaged_harbor_trial_is_one_error_and_the_others_load(case, runs, store):
    damage, file, problem = DAMAGED_TRAJECTORY[case]
    damage(runs)
    report = ingest_paths([runs], store)
    path, message = one_error(report)
    assert path == str(runs / VICTIM.name / file)
    assert re.search(problem, message), message
    assert {r.name for r in report.runs} == GOOD
    assert loaded(store) == GOOD


def _bad_mini(root):
    messages = json.loads(MINI.read_text())  # the legacy shape: a bare message list; the current one wraps it
    (root / "bad.traj.json").write_text(json.dumps({"info": {}, "messages": dict(enumerate(messages))}))


def _bad_openhands(root):
    record = json.loads((FIXTURES / "openhands" / "multi-swe-bench" / "output.jsonl").read_text().splitlines()[0])
    record["history"] = "not a list"
    (root / "output.jsonl").write_text(json.dumps(record) + "\n")


def _truncated_swe_agent(root):
    raw = SWE_TRAJ.read_bytes()
    (root / "pydicom.traj").write_bytes(raw[: len(raw) // 3])


def _wrong_swe_agent_items(root):
    (root / "wrong.traj").write_text(json.dumps({"trajectory": [1, "two", None], "info": {}}))


def _huge_swe_agent(root):
    _sparse_200_mb(root / "huge.traj", b'{"trajectory": [')


DAMAGED_FILE = {
    "mini-messages-as-dict": (_bad_mini, "bad.traj.json", "'messages' is dict, not a list"),
    "openhands-history-as-string": (_bad_openhands, "output.jsonl", "line 1: 'history' is str, not a list"),
    "swe-agent-truncated": (_truncated_swe_agent, "pydicom.traj", "not valid JSON (Unterminated string"),
    "swe-agent-wrong-items": (_wrong_swe_agent_items, "wrong.traj", "trajectory[0] has no 'action' string"),
    "swe-agent-200-MB": (_huge_swe_agent, "huge.traj",
                         "file is 200 MB, over the 100 MB limit (raise it with --max-file-mb)"),
}


@pytest.mark.parametrize("case", list(DAMAGED_FILE))
def test_a_damaged_run_file_is_one_error_and_the_others_load(case, runs, store):
    shutil.rmtree(runs / VICTIM.name)
    damage, file, problem = DAMAGED_FILE[case]
    damage(runs)
    report = ingest_paths([runs], store)
    path, message = one_error(report)
    assert path == str(runs / file)
    assert message.startswith(problem), message
    assert loaded(store) == GOOD


def test_junk_files_that_no_parser_claims_are_skipped(runs, store):
    shutil.rmtree(runs / VICTIM.name)
    (runs / "junk.bin").write_bytes(random.Random(9).randbytes(4096))
    (runs / "junk.traj").write_bytes(random.Random(10).randbytes(4096))
    (runs / "empty.json").write_text("")
    (runs / "list.json").write_text("[1, 2, 3]")
    os.mkfifo(runs / "pipe.json")  # opening it to look inside would block forever
    report = ingest_paths([runs], store)
    assert not report.errors
    assert loaded(store) == GOOD


# --- symlinks --------------------------------------------------------------------------------------------------

def test_a_symlink_loop_is_walked_once(runs, store):
    shutil.rmtree(runs / VICTIM.name)
    (runs / "loop").symlink_to(runs, target_is_directory=True)  # a folder pointing at its parent
    (runs / GOOD_TRIAL.name / "agent" / "up").symlink_to("../..", target_is_directory=True)  # inside a run
    found = discover([runs])
    assert sorted(u.path.name for u in found.units) == sorted([GOOD_TRIAL.name, MINI.name])
    report = ingest_paths([runs], store)
    assert not report.errors
    assert loaded(store) == GOOD


def test_a_symlink_to_itself_is_one_error(runs, store):
    shutil.rmtree(runs / VICTIM.name)
    (runs / "self").symlink_to("self")
    report = ingest_paths([runs], store)
    assert one_error(report) == (str(runs / "self"), "symlink loop; not followed")
    assert loaded(store) == GOOD


def test_symlinks_out_of_the_tree_are_not_followed(runs, tmp_path, store):
    outside = tmp_path / "outside"
    shutil.copytree(VICTIM, outside / VICTIM.name)
    shutil.copy(MINI, outside / "elsewhere.traj.json")
    shutil.rmtree(runs / VICTIM.name)
    (runs / "linked-trial").symlink_to(outside / VICTIM.name, target_is_directory=True)
    (runs / "linked.traj.json").symlink_to(outside / "elsewhere.traj.json")
    report = ingest_paths([runs], store)
    assert not report.errors
    assert loaded(store) == GOOD


def test_a_run_whose_file_links_out_of_the_tree_is_refused(runs, tmp_path, store):
    outside = tmp_path / "outside.json"
    shutil.copy(trajectory(runs), outside)
    trajectory(runs).unlink()
    trajectory(runs).symlink_to(outside)
    report = ingest_paths([runs], store)
    path, message = one_error(report)
    assert path == str(runs / VICTIM.name)
    assert message == f"agent/trajectory.json → {outside} links outside {runs}; the run is not read"
    assert loaded(store) == GOOD


def test_a_linked_folder_named_as_a_root_of_its_own_still_loads(runs, tmp_path, store):
    outside = tmp_path / "outside" / VICTIM.name
    shutil.move(runs / VICTIM.name, outside)
    (runs / "linked").symlink_to(outside, target_is_directory=True)
    report = ingest_paths([runs, outside], store)
    assert not report.errors
    assert sorted(r.name for r in report.runs) == sorted(GOOD | {VICTIM.name})


# --- archives --------------------------------------------------------------------------------------------------

def _members(folder: Path, prefix: str) -> list[tuple[str, bytes]]:
    return [(f"{prefix}{p.relative_to(folder).as_posix()}", p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()]


def _tar_bytes(members: list[tuple[str, bytes]], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_archive(path: Path, members: list[tuple[str, bytes]]) -> Path:
    name = path.name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in members:
                zf.writestr(member, data)
    elif name.endswith(".tar.gz"):
        path.write_bytes(_tar_bytes(members, "w:gz"))
    elif name.endswith(".tar.zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(_tar_bytes(members)))
    else:
        raise ValueError(name)
    return path


ARCHIVE_KINDS = [".tar.gz", ".zip", ".tar.zst"]
EVIL = json.dumps(json.loads((FIXTURES / "who-and-when" / "hand-crafted" / "1.json").read_text())).encode()


@pytest.mark.parametrize("suffix", ARCHIVE_KINDS)
@pytest.mark.parametrize("evil", ["../evil.json", "trial/../../evil.json", "/tmp/evil-absolute.json"])
def test_an_archive_with_an_escaping_member_is_refused(suffix, evil, runs, private_tmp, tmp_path, store):
    shutil.rmtree(runs / VICTIM.name)
    # The good trial comes first, so it is already unpacked when the bad member is met.
    members = _members(ARCHIVED, f"{ARCHIVED.name}/") + [(evil, EVIL)]
    archive = write_archive(runs / f"bundle{suffix}", members)
    report = ingest_paths([runs], store)
    path, message = one_error(report)
    assert path == str(archive)
    assert message == f"archive member {evil!r} escapes the extraction folder"
    assert loaded(store) == GOOD
    # Nothing landed outside the extraction folder, and the folder itself is gone.
    assert not (tmp_path / "evil.json").exists() and not (private_tmp.parent / "evil.json").exists()
    assert not Path("/tmp/evil-absolute.json").exists()
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("suffix", ARCHIVE_KINDS)
def test_a_tarred_up_harbor_trial_is_found_and_loaded_once(suffix, tmp_path, private_tmp, store):
    root = tmp_path / "runs"
    root.mkdir()
    write_archive(root / f"{ARCHIVED.name}{suffix}", _members(ARCHIVED, f"{ARCHIVED.name}/"))
    found = discover([root])
    assert [(u.parser.name, u.path.name, u.archive) for u in found.units] == [
        ("harbor-atif", ARCHIVED.name, root / f"{ARCHIVED.name}{suffix}")]
    assert found.display_path(found.units[0].path / "agent" / "trajectory.json") == (
        f"{root / ARCHIVED.name}{suffix}!/{ARCHIVED.name}/agent/trajectory.json")
    found.cleanup()
    report = ingest_paths([root], store)
    assert not report.errors
    assert [(r.name, r.steps) for r in report.runs] == [(ARCHIVED.name, 35)]
    assert store.query("MATCH (r:Run) RETURN r.name AS name, r.step_count AS steps, r.source AS source") == [
        {"name": ARCHIVED.name, "steps": 35, "source": f"{root / ARCHIVED.name}{suffix}!/{ARCHIVED.name}"}]
    assert list(private_tmp.iterdir()) == []


def test_a_broken_run_inside_an_archive_is_reported_by_its_archive_path(tmp_path, private_tmp, store):
    root = tmp_path / "runs"
    root.mkdir()
    members = [(name, b"{ not json" if name.endswith("trajectory.json") else data)
               for name, data in _members(ARCHIVED, f"{ARCHIVED.name}/")]
    write_archive(root / "broken.tar.gz", members)
    report = ingest_paths([root], store)
    path, message = one_error(report)
    assert path == f"{root / 'broken.tar.gz'}!/{ARCHIVED.name}/agent/trajectory.json"
    assert message.startswith("not valid JSON")
    assert loaded(store) == set()


def test_a_flat_archive_is_named_after_itself(tmp_path, private_tmp, store):
    root = tmp_path / "runs"
    root.mkdir()
    write_archive(root / f"{ARCHIVED.name}.zip", _members(ARCHIVED, ""))
    both = _members(GOOD_TRIAL, f"{GOOD_TRIAL.name}/") + _members(VICTIM, f"{VICTIM.name}/")
    write_archive(root / "both.tar.gz", both)  # two folders at the top: each keeps its own name
    report = ingest_paths([root], store)
    assert not report.errors
    assert loaded(store) == {ARCHIVED.name, GOOD_TRIAL.name, VICTIM.name}


def test_archives_nested_in_archives_are_unpacked_to_a_limit(tmp_path, private_tmp, store):
    root = tmp_path / "runs"
    root.mkdir()
    inner = write_archive(tmp_path / "inner.zip", _members(GOOD_TRIAL, f"{GOOD_TRIAL.name}/"))
    middle = write_archive(tmp_path / "middle.tar.gz", [("inner.zip", inner.read_bytes())])
    write_archive(root / "outer.tar.zst", [("middle.tar.gz", middle.read_bytes())])
    report = ingest_paths([root], store)
    assert not report.errors and loaded(store) == {GOOD_TRIAL.name}

    shallow = ingest_paths([root], store, limits=Limits(max_archive_depth=2))
    path, message = one_error(shallow)
    assert Path(path).name == "inner.zip" and message == "archive nested more than 2 deep; not unpacked"
    assert list(private_tmp.iterdir()) == []


def test_an_oversize_archive_member_refuses_the_archive(runs, private_tmp, store):
    shutil.rmtree(runs / VICTIM.name)
    archive = write_archive(runs / "big.tar.gz", [("trial/agent/trajectory.json", b"{" + b" " * (2 * 2**20))])
    report = ingest_paths([runs], store, limits=Limits(max_file_bytes=2**20))
    assert one_error(report) == (str(archive), "member 'trial/agent/trajectory.json' exceeds the size limit")
    assert loaded(store) == GOOD


def test_a_corrupt_archive_is_one_error(runs, store):
    shutil.rmtree(runs / VICTIM.name)
    (runs / "broken.tar.gz").write_bytes(b"\x1f\x8b" + random.Random(11).randbytes(2000))
    (runs / "broken.zip").write_bytes(b"PK\x03\x04" + random.Random(12).randbytes(2000))
    report = ingest_paths([runs], store)
    assert sorted(Path(e.path).name for e in report.errors) == ["broken.tar.gz", "broken.zip"]
    assert all(e.problem.startswith("unreadable archive (") for e in report.errors)
    assert loaded(store) == GOOD


# --- nested harness layouts ------------------------------------------------------------------------------------

def test_nested_harness_layouts_find_each_run_once(tmp_path, store):
    # A Harbor job (job → trial), a terminal-bench run (run → task → trial) and a job of jobs around both.
    jobs = tmp_path / "jobs"
    job = jobs / "2026-04-01__16-00-00"
    job.mkdir(parents=True)
    (job / "config.json").write_text(json.dumps({"job_name": job.name, "agents": [{"name": "claude-code"}]}))
    (job / "result.json").write_text(json.dumps({"n_total_trials": 2}))
    for trial in (GOOD_TRIAL, VICTIM):
        shutil.copytree(trial, job / trial.name)
    tb_trial = next((FIXTURES / "tb-claude-code" / "gpt5" / "vim-terminal-task").iterdir())
    shutil.copytree(tb_trial, jobs / "tb-run" / "vim-terminal-task" / tb_trial.name)
    expected = sorted([GOOD_TRIAL.name, VICTIM.name, tb_trial.name])

    found = discover([jobs, job, job / VICTIM.name])  # overlapping roots too
    assert sorted(u.path.name for u in found.units) == expected
    report = ingest_paths([jobs, job], store)
    assert not report.errors
    assert sorted(r.name for r in report.runs) == expected
    assert sorted(loaded(store)) == expected


def _first_link_out_by_os_walk(unit: Path, root: Path) -> str | None:
    """The reference the scandir walk of discover._link_out_of follows: os.walk's order, Path's checks."""
    for folder, dirs, files in os.walk(unit):
        for name in dirs + files:
            entry = Path(folder) / name
            if not entry.is_symlink():
                continue
            try:
                target = entry.resolve()
            except (OSError, RuntimeError):
                return f"{entry.relative_to(unit)} (a symlink loop)"
            if not target.is_relative_to(root):
                return f"{entry.relative_to(unit)} → {target}"
    return None


def test_the_link_out_of_a_run_named_is_the_one_os_walk_meets_first(tmp_path):
    from tracegraph.ingest.discover import _link_out_of

    root, outside = tmp_path / "runs", tmp_path / "outside"
    unit = root / "trial"
    for folder in ("a/b", "a/c", "d", "z"):
        (unit / folder).mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    (outside / "file").write_text("x")
    (root / "inside").write_text("x")
    (unit / "a" / "ok-link").symlink_to(root / "inside")  # inside the tree: fine
    (unit / "a" / "linked-dir").symlink_to(root / "trial" / "d", target_is_directory=True)
    (unit / "a" / "c" / "loop").symlink_to(unit / "a" / "c" / "loop")
    (unit / "a" / "b" / "out-dir").symlink_to(outside / "dir", target_is_directory=True)
    (unit / "z" / "out-file").symlink_to(outside / "file")
    (unit / "0-out-file").symlink_to(outside / "file")
    # Removing each first finding in turn walks through every link the order puts before the next one.
    findings = []
    while (expected := _first_link_out_by_os_walk(unit, root)) is not None:
        assert _link_out_of(unit, root) == expected
        findings.append(expected)
        (unit / expected.split(" ")[0]).unlink()
    assert _link_out_of(unit, root) is None
    assert len(findings) == 4 and "a/c/loop (a symlink loop)" in findings
