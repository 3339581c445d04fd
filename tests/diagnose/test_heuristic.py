"""Each evidence rule on real fixture runs, and the write-back of results into the graph."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.diagnose.rules import facts_of, writes_by_path
from tracegraph.diagnose.writeback import write_diagnosis
from tracegraph import ingest_paths
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.ingest.discover import discover
from tracegraph.replay.diagnosis import stored_diagnosis
from tracegraph.schema import Outcome
from tracegraph.tree import build_tree

HARBOR = FIXTURES / "harbor-atif"


def trace_of(path):
    unit = discover([path]).units[0]
    return build_tree(next(unit.parser.parse(unit.path)))


def rules_at(result, k):
    return {e.rule for e in result.evidence if k in e.steps}


def test_silent_noop_install_is_the_onset():
    result = diagnose_trace(trace_of(HARBOR / "headless-terminal__bemYu3W"))
    assert result.onset_k == 8
    assert result.category == "dependency_resolution"
    assert "silent_change" in rules_at(result, 8)
    assert "no-op" in next(e.reason for e in result.evidence if e.rule == "silent_change" and e.steps == [8])


def test_rejected_write_of_the_checked_file_is_the_onset():
    result = diagnose_trace(trace_of(HARBOR / "modernize-scientific-stack__gDr77c7"))
    assert result.onset_k == 5
    reason = next(e.reason for e in result.evidence if e.rule == "silent_change" and e.steps == [5])
    assert "rejected" in reason and "/app/analyze_climate_modern.py" in reason


def test_deliverable_never_written_means_premature_stop_at_the_end():
    result = diagnose_trace(trace_of(HARBOR / "dna-assembly__BC7CeVz"))
    assert (result.onset_k, result.category) == (10, "premature_stop")
    assert "/app/primers.fasta" in next(e.reason for e in result.evidence if e.rule == "never_produced")


def test_a_checked_file_written_under_another_name_beside_it_is_a_misplaced_write():
    # The checks read /root/.jupyter/jupyter_notebook_config.py, never written; step 15 wrote the settings to
    # jupyter_server_config.py in the same folder (and again at 26, the same mistake carried on). Earlier changes
    # (mkdir at 9, the certificate at 11) are weaker.
    result = diagnose_trace(trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server"))
    assert [e.steps for e in result.evidence if e.rule == "misplaced_write"] == [[15, 26]]
    assert 26 in result.chain_ks
    assert (result.onset_k, result.category) == (15, "mislocalized_edit")
    reason = next(e.reason for e in result.evidence if e.rule == "misplaced_write")
    assert "jupyter_server_config.py" in reason and "jupyter_notebook_config.py" in reason
    assert result.incorrect_ks == [15, 26, 32]  # 26 edits the same wrong file; 32 claims the task done


def test_a_file_the_verifier_could_not_open_written_elsewhere_is_a_misplaced_write():
    # The verifier's qemu says it failed to open ramfs/initramfs.cpio.gz (a relative path, so no checked file);
    # the agent's archive went one folder up at step 18 and again at 21.
    trace = trace_of(FIXTURES / "tb-claude-code" / "coder" / "build-initramfs-qemu")
    result = diagnose_trace(trace)
    assert (result.onset_k, result.category) == (18, "mislocalized_edit")
    assert [e.steps for e in result.evidence if e.rule == "misplaced_write"] == [[18, 21]]
    assert "ramfs/initramfs.cpio.gz" in next(e.reason for e in result.evidence if e.rule == "misplaced_write")


def test_a_missing_file_the_agent_wrote_at_that_relative_path_is_not_misplaced():
    trace = trace_of(FIXTURES / "tb-claude-code" / "coder" / "build-initramfs-qemu")
    trace.run.verifier_output = "qemu: could not load initrd 'ramfs/init': No such file or directory"
    assert facts_of(trace).missing == {"ramfs/init"}
    assert not [e for e in diagnose_trace(trace).evidence if e.rule == "misplaced_write"]


def test_a_script_beside_the_verifiers_test_file_is_no_misplaced_write():
    # SWE-agent: the failing checks live in test_requests.py, which the agent was never asked to write; the
    # reproduce.py it wrote beside it is a scratch script it ran itself, not the deliverable.
    trace = trace_of(FIXTURES / "swe-agent" / "coder" / "trajs" / "psf__requests-2317.traj")
    assert "/psf__requests/reproduce.py" in writes_by_path(trace)
    assert not [e for e in diagnose_trace(trace).evidence if e.rule == "misplaced_write"]


def test_making_the_folder_of_a_checked_file_is_not_producing_it():
    # Step 9 only made /root/.jupyter; jupyter_notebook_config.py inside it, which the checks read, never came.
    result = diagnose_trace(trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server"))
    never = [e for e in result.evidence if e.rule == "never_produced"]
    assert [e.steps for e in never] == [[32]] and "/root/.jupyter/jupyter_notebook_config.py" in never[0].reason
    assert result.onset_k == 15  # the misplaced write is still the stronger evidence


def test_a_checked_folder_the_agent_made_was_produced():
    # The checks name /app/c4_reshard/ (with its last slash); step 7 made that folder.
    result = diagnose_trace(trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "reshard-c4-data"))
    assert not [e for e in result.evidence if e.rule == "never_produced"]
    assert [e.steps[0] for e in result.evidence if e.rule == "wrote_checked_file"] == [7]


def test_the_unverified_end_is_the_last_change_to_the_deliverable_not_an_install():
    # `pip install` at 8 and 29 change the environment; 31, 32 and 36 are inline scripts that write files, and 36,
    # which writes the answer, ends the run unchecked.
    trace = trace_of(FIXTURES / "tb-claude-code" / "coder" / "count-dataset-tokens")
    assert [s.k for s in trace.steps if s.kind == "change"] == [8, 29, 31, 32, 36]
    unverified = [e for e in diagnose_trace(trace).evidence if e.rule == "unverified_end"]
    assert [(e.steps, e.reason) for e in unverified] == [
        ([36], "last change at step 36 was never verified before the run ended")]


@pytest.mark.parametrize(("command", "fires"), [("pip install biopython", False),
                                                ("echo done > /app/notes.txt", True)])
def test_only_a_change_to_the_deliverable_can_end_a_run_unverified(tmp_path, command, fires):
    trace = trace_of(_with_extra_bash_step(HARBOR / "dna-assembly__BC7CeVz", tmp_path, command))
    last = trace.steps[-1].k
    assert trace.step(last).kind == "change"
    unverified = [e.steps for e in diagnose_trace(trace).evidence if e.rule == "unverified_end"]
    assert unverified == ([[last]] if fires else [])


def test_a_checked_file_the_agent_also_ran_is_the_deliverable_not_a_scratch_script():
    # Step 2 writes /app/text_processor.py, which the failing check examines; step 6 runs it. It is still the
    # first change to the deliverable (step 4's sample.txt is only input for it).
    result = diagnose_trace(trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "vim-terminal-task"))
    first = [e for e in result.evidence if e.rule == "first_change"]
    assert [e.steps for e in first] == [[2]] and "/app/text_processor.py" in first[0].reason


def test_a_script_the_agent_made_and_ran_is_scratch_only_when_named_or_placed_as_a_throwaway():
    # fibonacci-server: /app/server.js is created at step 6 and run: the server the task asks for, not scratch.
    server = facts_of(trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "fibonacci-server"))
    assert "/app/server.js" not in server.scratch
    # grid-pattern-transform: /app/test_transform.py, made and run to try the solution, is.
    grid = facts_of(trace_of(FIXTURES / "tb-claude-code" / "c4" / "grid-pattern-transform"))
    assert grid.scratch == {"/app/test_transform.py"}
    # CodeR's reproduce.py is a throwaway by name.
    sympy = facts_of(trace_of(FIXTURES / "swe-agent" / "coder" / "trajs" / "sympy__sympy-20590.traj"))
    assert sympy.scratch == {"/sympy__sympy/reproduce.py"}


def test_an_unrecovered_loop_is_incorrect_at_its_first_call_and_unuseful_after():
    # The protocol's loops: the first failing call carries the mistake; its repeats that change nothing are
    # unuseful, though they stay on the chain (they carry the onset's error to the end of the run).
    result = diagnose_trace(trace_of(HARBOR / "openssl-selfsigned-cert__6aDSXLS"))
    assert (result.onset_k, result.category) == (1, "unproductive_looping")
    # Step 15's empty command runs nothing either, so the loop does not break there.
    assert [e.steps for e in result.evidence if e.rule == "error_loop"] == [list(range(1, 22))]
    assert result.incorrect_ks == [1] and result.unuseful_ks == list(range(2, 22))
    assert result.chain_ks == list(range(1, 22))


def test_calls_issued_together_are_one_attempt_not_a_loop():
    # Steps 1-6 are six searches sent in one message that all failed: the agent saw no error before sending the
    # others, so it did not loop, and the run's failure is that it stopped at step 10 without the deliverable.
    trace = trace_of(HARBOR / "sanitize-git-repo__tVYCtFW")
    assert len({trace.step(k).timestamp_ms for k in range(1, 7)}) == 1
    result = diagnose_trace(trace)
    assert not [e for e in result.evidence if e.rule == "error_loop"]
    assert (result.onset_k, result.category, result.incorrect_ks) == (10, "premature_stop", [10])


def test_a_loop_after_the_onset_is_unuseful_to_the_end():
    result = diagnose_trace(trace_of(HARBOR / "git-leak-recovery__CVQc9DD"))
    loop = next(e for e in result.evidence if e.rule == "error_loop" and e.steps[0] == 14)
    assert loop.steps == list(range(14, 20)) and result.onset_k == 13
    # Every repeat is unuseful, the call the run stops on too: the chain ends where propagation ends, at the onset.
    assert {15, 16, 17, 18, 19} <= set(result.unuseful_ks)
    assert result.incorrect_ks == result.chain_ks == [13]


def test_a_failure_the_agent_acted_on_before_retrying_is_not_unuseful():
    # pip fails at 2 and 4, and each time the agent installs what was missing (apt-get at 3, pyzmq at 5) before
    # retrying; only the attempt at 6, retried at 7 with nothing changed in between, did not advance the task.
    trace = trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server")
    retries = {(d.src_k, d.dst_k) for d in trace.dependencies if d.reason.startswith("retries")}
    assert retries >= {(4, 2), (6, 4), (7, 6)}
    assert [trace.step(k).kind.value for k in (3, 5)] == ["change", "change"]
    unuseful = diagnose_trace(trace).unuseful_ks
    assert 6 in unuseful and not {2, 4} & set(unuseful)


def test_updating_the_plan_again_is_not_a_redundant_repeat():
    # TodoWrite at 18 repeats 17 with one status changed: bookkeeping, not exploration done twice.
    trace = trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server")
    assert (18, 17) in {(r.src_k, r.dst_k) for r in trace.repeats} and trace.step(18).tool == "TodoWrite"
    assert 18 not in diagnose_trace(trace).unuseful_ks


def test_listing_a_folder_after_writing_into_it_is_not_a_re_read():
    # Step 16 lists /root/.jupyter (listed at 11) right after step 15 wrote a file into it.
    trace = trace_of(FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server")
    assert "/root/.jupyter" in {d.path for d in trace.deltas_of(16) if d.op.value == "read"}
    assert "/root/.jupyter/jupyter_server_config.py" in {d.path for d in trace.deltas_of(15)}
    assert 16 not in diagnose_trace(trace).unuseful_ks


def test_running_the_file_the_onset_wrote_carries_the_error():
    # Step 13 writes the preprocessing script, step 14 runs it to build the training data from it.
    trace = trace_of(FIXTURES / "tb-claude-code" / "c4" / "train-fasttext")
    assert any(d.src_k == 14 and d.dst_k == 13 and d.reason.startswith("runs") for d in trace.dependencies)
    result = diagnose_trace(trace)
    assert result.onset_k == 13 and result.chain_ks[:2] == [13, 14] and 14 in result.incorrect_ks


def test_verifier_without_network_is_not_the_agents_fault():
    result = diagnose_trace(trace_of(HARBOR / "regex-log__XYfBZFy"))
    assert result.onset_k is None and result.category == "not_agent_fault"
    assert "Failed to connect" in result.reasoning


def test_candidates_are_ranked_and_onset_is_one_of_them():
    result = diagnose_trace(trace_of(HARBOR / "git-leak-recovery__CVQc9DD"))
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.onset_k in {c.k for c in result.candidates}
    assert result.chain_ks[0] == result.onset_k and result.chain_ks == sorted(result.chain_ks)
    assert not set(result.incorrect_ks) & set(result.unuseful_ks)


def test_writeback_replaces_the_old_result(store):
    ingest_paths([HARBOR / "headless-terminal__bemYu3W", HARBOR / "sqlite-db-truncate__kfqQYr3"], store)
    ids = failed_run_ids(store)
    assert len(ids) == 1  # the solved run is not diagnosed
    first = diagnose_run(store, ids[0])
    diagnose_run(store, ids[0])
    rows = store.query("MATCH (:Run)-[:HAS_DIAGNOSIS]->(d:Diagnosis) RETURN d.method AS m, d.onset_k AS k")
    assert rows == [{"m": "heuristic", "k": first.onset_k}]
    onset = store.query("MATCH (:Diagnosis)-[:ONSET]->(s:Step) RETURN s.k AS k")
    assert onset == [{"k": first.onset_k}]
    links = store.query("MATCH (a:Step)-[e:PROPAGATES_TO]->(b:Step) RETURN a.k AS a, b.k AS b ORDER BY a")
    assert [(r["a"], r["b"]) for r in links] == list(zip(first.chain_ks, first.chain_ks[1:]))
    roles = store.query("MATCH (:Diagnosis)-[l:LABELS]->(s:Step) RETURN l.role AS role, count(s) AS n ORDER BY role")
    expected = {"chain": len(first.chain_ks), "incorrect": len(first.incorrect_ks), "unuseful": len(first.unuseful_ks)}
    assert {r["role"]: r["n"] for r in roles} == {k: v for k, v in expected.items() if v}


def test_a_stored_diagnosis_reads_back_as_the_result_that_was_written(store):
    ingest_paths([HARBOR / "headless-terminal__bemYu3W"], store)
    run_id = failed_run_ids(store)[0]
    written = diagnose_run(store, run_id)
    written.notes = ["a remark the method made"]
    write_diagnosis(store, written)
    assert stored_diagnosis(store, run_id) == written


def test_a_task_declared_done_in_a_failed_run_is_a_false_claim():
    run = FIXTURES / "tb-claude-code" / "c4" / "grid-pattern-transform"
    result = diagnose_trace(trace_of(run))
    claims = [e for e in result.evidence if e.rule == "false_claim"]
    assert [e.steps for e in claims] == [[10]]  # the TodoWrite that marks every item completed
    assert "failing checks: test_transformation_case2" in claims[0].reason
    assert 10 in result.incorrect_ks


def test_the_false_claim_is_the_last_declaration_of_done():
    # Step 24 marks every todo completed too, but the agent went on working; step 32 is the claim it stopped on.
    run = FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server"
    result = diagnose_trace(trace_of(run))
    assert [e.steps for e in result.evidence if e.rule == "false_claim"] == [[32]]
    assert 24 not in result.incorrect_ks and result.chain_ks[-1] == 32


def test_the_chain_ends_where_propagation_ends_not_at_the_last_step():
    run = FIXTURES / "tb-claude-code" / "gpt5" / "fibonacci-server"
    trace = trace_of(run)
    last = trace.steps[-1]
    assert (last.k, last.tool, last.kind.value, last.is_error) == (15, "Read", "explore", False)
    result = diagnose_trace(trace)
    # 8 runs the server 6 wrote; 14 declares the task done; 15 only reads the file again.
    assert result.chain_ks == [6, 8, 14] and result.incorrect_ks == [6, 8, 14]
    # A last step that is a claim of success stays incorrect (grid-pattern-transform's TodoWrite, step 10).
    assert 10 in diagnose_trace(trace_of(FIXTURES / "tb-claude-code" / "c4" / "grid-pattern-transform")).incorrect_ks


def test_a_solved_run_has_no_false_claim():
    assert not [e for e in diagnose_trace(trace_of(HARBOR / "sqlite-db-truncate__kfqQYr3")).evidence
                if e.rule == "false_claim"]


def _with_extra_bash_step(trial, tmp_path, command):
    """A copy of a real Harbor trial with one more Bash call appended to its ATIF trajectory."""
    copy = tmp_path / trial.name
    shutil.copytree(trial, copy)
    path = copy / "agent" / "trajectory.json"
    doc = json.loads(path.read_text())
    call_id = "extra-bash-call"
    doc["steps"].append({
        "step_id": doc["steps"][-1]["step_id"] + 1, "source": "agent", "message": "Executed Bash",
        "tool_calls": [{"tool_call_id": call_id, "function_name": "Bash", "arguments": {"command": command}}],
        "observation": {"results": [{"source_call_id": call_id, "content": ""}]}})
    path.write_text(json.dumps(doc))
    return copy


def test_an_edit_the_agent_deletes_again_is_a_reverted_edit(tmp_path):
    trace = trace_of(_with_extra_bash_step(HARBOR / "filter-js-from-html__ANAXTHK", tmp_path, "rm /app/filter.py"))
    last = trace.steps[-1].k
    reverted = [e for e in diagnose_trace(trace).evidence if e.rule == "reverted_edit"]
    assert reverted and all(e.steps[1] == last for e in reverted)
    assert {e.steps[0] for e in reverted} == {d.k for d in trace.deltas
                                              if d.path == "/app/filter.py" and d.op.value in ("create", "modify")}
    assert "/app/filter.py" in reverted[0].reason and "deleted" in reverted[0].reason
    # The unchanged run has none: writing a file and keeping it is not a revert.
    assert not [e for e in diagnose_trace(trace_of(HARBOR / "filter-js-from-html__ANAXTHK")).evidence
                if e.rule == "reverted_edit"]


@pytest.mark.parametrize("run", [HARBOR / "headless-terminal__bemYu3W",
                                 FIXTURES / "tb-claude-code" / "c4" / "grid-pattern-transform"])
def test_the_graph_holds_all_the_diagnosis_needs(run, store):
    """Diagnosing the run read back from the graph gives what diagnosing the parsed run gives."""
    parsed = diagnose_trace(trace_of(run))
    ingest_paths([run], store)
    stored = diagnose_run(store, parsed.run_id)
    assert stored == parsed


def test_making_a_folder_is_not_the_first_change():
    # Step 6 only makes /app/output (the run later reads /app/output/1.txt inside it); step 8 writes the explorer.
    run = (FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet"
           / "blind-maze-explorer-algorithm.1-of-1.2025-08-07__20-46-16")
    trace = trace_of(run)
    assert trace.step(6).action == "mkdir -p /app/output" and trace.step(6).kind == "change"
    assert [e.steps for e in diagnose_trace(trace).evidence if e.rule == "first_change"] == [[8]]


def _built(steps, tests, task="Make the service work."):
    """A small real trace: steps as (tool, arguments, observation, is_error), tests as (name, status, message)."""
    builder = TraceBuilder(framework="claude-code", source="synthetic", name="synthetic", content_hash="0")
    for tool, arguments, observation, is_error in steps:
        builder.add_step(tool, arguments, observation=observation, is_error=is_error)
    for name, status, message in tests:
        builder.add_test(name, status, message=message)
    builder.set(outcome=Outcome.failed, task_text=task)
    return build_tree(builder.build())


DONE = ("TodoWrite", {"todos": [{"content": "write the script", "status": "completed"}]}, "ok", False)


def test_a_missing_execute_bit_is_an_omission_where_the_run_stopped():
    steps = [("Write", {"file_path": "/app/run.sh", "content": "#!/bin/sh\necho hi\n"}, "written", False),
             ("Bash", {"command": "sh /app/run.sh"}, "hi", False), DONE]
    mode = ("test_executable", "failed", "AssertionError: /app/run.sh is not executable")
    result = diagnose_trace(_built(steps, [("test_output", "passed", None), mode]))
    assert (result.onset_k, result.category) == (3, "premature_stop")
    assert "mode_not_set" in rules_at(result, 3)
    # A content check failing too: the mode is not the only thing wrong, so the rule says nothing.
    content = ("test_output", "failed", "AssertionError: expected 'hello'")
    assert "mode_not_set" not in {e.rule for e in diagnose_trace(_built(steps, [content, mode])).evidence}


def test_a_run_ending_on_failed_changes_stopped_at_the_first_of_them():
    steps = [("Write", {"file_path": "/etc/app/app.conf", "content": "port 8080\n"}, "written", False),
             ("Bash", {"command": "app --check-config"}, "config ok", False),
             ("Bash", {"command": "service app start"}, "app: unrecognized service", True),
             ("Bash", {"command": "systemctl start app"}, "System has not been booted with systemd", True)]
    down = [("test_running", "failed", "ConnectionRefusedError: [Errno 111] Connection refused")]
    result = diagnose_trace(_built(steps, down))
    assert (result.onset_k, result.category) == (3, "premature_stop")
    assert "failed_end" in rules_at(result, 3)
    # Ending on failing test runs reports on earlier work: no failed_end.
    tests = steps[:2] + [("Bash", {"command": "pytest tests/"}, "1 failed", True)] * 2
    assert "failed_end" not in {e.rule for e in diagnose_trace(_built(tests, down)).evidence}


def test_a_rewrite_that_broke_a_script_that_had_run_cleanly_is_the_onset():
    write = ("Write", {"file_path": "/app/solve.py", "content": "print(1)\n"}, "written", False)
    rewrite = ("Write", {"file_path": "/app/solve.py", "content": "print(input())\n"}, "written", False)
    run_ok = ("Bash", {"command": "python3 /app/solve.py"}, "1", False)
    run_bad = ("Bash", {"command": "python3 /app/solve.py"}, "EOFError: EOF when reading a line", True)
    wrong = [("test_output", "failed", "AssertionError: expected 2")]
    result = diagnose_trace(_built([write, run_ok, rewrite, run_bad, run_bad, DONE], wrong))
    assert result.onset_k == 3 and "broke_working" in rules_at(result, 3)
    # Fixed again later: the rewrite was a detour, not what the run failed on.
    fixed = diagnose_trace(_built([write, run_ok, rewrite, run_bad, write, run_ok, DONE], wrong))
    assert "broke_working" not in {e.rule for e in fixed.evidence}
